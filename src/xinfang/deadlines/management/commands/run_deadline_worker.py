"""The deadline worker: every `--interval` seconds it queues a sweep on the task
queue and runs what the queue holds, so one process beside the web server is
enough (docs/deadlines.md). Several can run at once: the sweep is idempotent and
the queue hands each task to one worker.

With the Redis queue (XINFANG_TASKS=rq) it only schedules: `rqworker` processes run
the jobs, and each periodic job is enqueued once per interval however many of these
run (core/taskqueue.py, docs/scaling.md)."""

from __future__ import annotations

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.crypto import get_random_string

from xinfang.core import taskqueue
from xinfang.deadlines.tasks import sweep_deadlines
from xinfang.petitions.hooks import periodic_tasks


class Command(BaseCommand):
    help = "Send deadline reminders and escalations, now and then every --interval seconds."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=int,
            default=None,
            help="seconds between sweeps (default XINFANG_DEADLINE_SWEEP_SECONDS)",
        )
        parser.add_argument("--once", action="store_true", help="one sweep, then exit (for cron)")

    def handle(self, *args, interval=None, once=False, **options):
        interval = max(5, interval or settings.DEADLINE_SWEEP_SECONDS)
        self.running = True

        def stop(signum, frame):
            self.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        worker_id = f"deadlines-{get_random_string(8)}"
        while self.running:
            close_old_connections()
            # Capabilities' idempotent jobs (hooks.periodic_tasks), e.g. the portal's intake escalation.
            tasks = [sweep_deadlines, *periodic_tasks.values()]
            if taskqueue.uses_redis():
                queued = [t for t in tasks if taskqueue.enqueue_once(t, interval=interval, owner=worker_id)]
                self.stdout.write(f"scheduled {len(queued)} of {len(tasks)} periodic jobs for the rq workers")
            else:
                for task in tasks:
                    task.enqueue()
                self._drain(worker_id)
            if once:
                break
            self._sleep(interval, redis=taskqueue.uses_redis())

    def _sleep(self, interval: int, *, redis: bool) -> None:
        """Until the next sweep; on Redis until the next slot begins, so that a scheduler
        started late still enqueues in every slot rather than skipping one now and then."""
        seconds = interval
        if redis:
            seconds = max(1, int(interval - time.time() % interval) + 1)
        for _ in range(seconds):
            if not self.running:
                break
            time.sleep(1)

    def _drain(self, worker_id: str) -> None:
        """Run every ready task on the queue (ours and any other), then return."""
        from django_tasks_db.management.commands.db_worker import Worker

        Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        ).run()
        self.stdout.write(self.style.SUCCESS("deadline sweep done"))
