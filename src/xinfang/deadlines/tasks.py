"""Background tasks, written against the `django.tasks` API (the django-tasks
backport on Django 5.2) so the backend can change without touching them. The
default backend is the database queue (django-tasks-db): no broker to run."""

from __future__ import annotations

from django_tasks import task

from xinfang.deadlines.sweep import sweep


@task()
def sweep_deadlines() -> dict:
    """Remind about clocks due soon and escalate overdue ones (idempotent)."""
    result = sweep()
    return {"due_soon": result.due_soon, "overdue": result.overdue, "notifications": result.notifications}
