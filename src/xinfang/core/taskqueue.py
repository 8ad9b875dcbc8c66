"""Which task queue runs the background work, and periodic jobs scheduled once.

With the database queue (the default) every `run_deadline_worker` enqueues the sweep and
runs the queue itself; the sweep is idempotent, so two workers at once only repeat work.
With Redis (XINFANG_TASKS=rq) separate `rqworker` processes run the jobs, possibly on
several machines, and `run_deadline_worker` only schedules. Several schedulers may run (one
per machine, so that losing one loses nothing); each periodic job is still enqueued once
per interval: the interval is cut into numbered slots, and only the scheduler that creates
the slot's key in Redis (SET NX, which Redis applies atomically) enqueues that slot's job.
"""

from __future__ import annotations

import time

from django.conf import settings

KEY_PREFIX = "xinfang:periodic"


def uses_redis() -> bool:
    return getattr(settings, "TASK_QUEUE", "db") == "rq"


def redis_connection():
    import django_rq

    return django_rq.get_connection("default")


def slot_of(interval: int, now: float | None = None) -> int:
    """The number of the interval that `now` (seconds since the epoch) falls in."""
    return int((time.time() if now is None else now) // interval)


def enqueue_once(task, *, interval: int, owner: str, now: float | None = None) -> bool:
    """Enqueue `task` unless another scheduler has already done so for this interval.
    Returns whether this call enqueued it."""
    slot = slot_of(interval, now)
    key = f"{KEY_PREFIX}:{task.module_path}:{interval}:{slot}"
    # Kept two intervals: long enough that no scheduler still in this slot can take it again.
    if not redis_connection().set(key, owner, nx=True, ex=2 * interval):
        return False
    task.enqueue()
    return True
