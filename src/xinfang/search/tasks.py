"""The scheduled retraining of the suggestion model (django.tasks API, as deadlines/tasks.py).

The task schedules its own next run, so once `manage.py train_suggestions --schedule` has queued
it (or a deployment's first run did), any worker draining the queue (`make worker`) keeps the
model fresh without a separate scheduler.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

RETRAIN_EVERY = timedelta(days=1)


@task()
def train_suggestions_task(reschedule: bool = True) -> dict:
    from xinfang.search.suggest import train

    record = train()
    if reschedule:
        train_suggestions_task.using(run_after=timezone.now() + RETRAIN_EVERY).enqueue(reschedule=True)
    return {"version": record.version if record else None, "examples": record.examples if record else 0}
