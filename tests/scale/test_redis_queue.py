"""The Redis task queue (XINFANG_TASKS=rq): jobs enqueued by the app run in separate `rqworker`
processes, and the periodic jobs are enqueued once per interval however many schedulers run
(core/taskqueue.py, docs/scaling.md).

Real Redis: TEST_REDIS_URL, by default database 5 on the loopback; skipped only when no Redis
answers there. The tests empty the queue's keys in that database before and after, one at a
time (a lock in that Redis).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from tests.concurrency.test_numbering import _database_url_for_children
from xinfang.core import taskqueue
from xinfang.deadlines.tasks import sweep_deadlines
from xinfang.petitions.hooks import periodic_tasks
from xinfang.reports.models import ExportStatus, LedgerExport

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")

pytestmark = pytest.mark.django_db(transaction=True)


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis answers at {REDIS_URL} (set TEST_REDIS_URL)")
    return client


def _empty(client) -> None:
    for pattern in ("rq:*", f"{taskqueue.KEY_PREFIX}:*"):
        keys = list(client.scan_iter(pattern))
        if keys:
            client.delete(*keys)


@pytest.fixture
def redis_queue(settings):
    client = _redis()
    # One test at a time on this Redis database, whichever xdist worker or test run it is in
    # (the queue is one list): a lock in Redis itself, given up if its holder dies.
    with client.lock("xinfang-tests:redis-queue", timeout=600, blocking_timeout=900):
        _empty(client)
        settings.TASK_QUEUE = "rq"
        settings.RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
        settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
        yield client
        _empty(client)


def _manage(*args, timeout=120) -> subprocess.CompletedProcess:
    """manage.py in a separate process, on the test database and the Redis queue."""
    if connection.vendor == "sqlite" and str(connection.settings_dict["NAME"]).startswith(":memory:"):
        pytest.skip("processes cannot share an in-memory SQLite database")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "DATABASE_URL": _database_url_for_children(),
        "XINFANG_TASKS": "rq",
        "XINFANG_REDIS_URL": REDIS_URL,
    }
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _queued(client) -> list[str]:
    from rq import Queue

    return [job.func_name for job in Queue("default", connection=client).get_jobs()]


def test_a_background_export_is_queued_in_redis_and_written_by_an_rq_worker_process(
    redis_queue, demo_org, register
):
    from xinfang.reports.exports import start_background_export

    users, _units = demo_org
    petition = register()
    job = start_background_export(users["clerk"], "csv", {}, "en")
    assert _queued(redis_queue) == ["xinfang.reports.tasks.write_ledger_export"]
    assert LedgerExport.objects.get(pk=job.pk).status == ExportStatus.QUEUED

    worker = _manage("rqworker", "default", "--burst", "--job-class", "django_tasks_rq.backend.Job")
    assert worker.returncode == 0, worker.stderr[-2000:]
    assert "Job OK" in worker.stderr, worker.stderr[-2000:]

    job.refresh_from_db()
    assert (job.status, job.total) == (ExportStatus.DONE, 1)
    with default_storage.open(job.file, "rb") as handle:
        assert petition.number in handle.read().decode("utf-8")
    assert _queued(redis_queue) == []


def test_periodic_jobs_are_enqueued_once_per_interval_by_several_schedulers(redis_queue, demo_org):
    expected = sorted([sweep_deadlines.module_path, *(t.module_path for t in periodic_tasks.values())])
    slot_before = taskqueue.slot_of(3600)
    schedulers = [
        subprocess.Popen(  # noqa: S603 - our own manage.py
            [sys.executable, str(ROOT / "manage.py"), "run_deadline_worker", "--once", "--interval", "3600"],
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
                "DATABASE_URL": _database_url_for_children(),
                "XINFANG_TASKS": "rq",
                "XINFANG_REDIS_URL": REDIS_URL,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [s.communicate(timeout=120) for s in schedulers]
    assert all(s.returncode == 0 for s in schedulers), [err[-1000:] for _out, err in outputs]
    slots = len({slot_before, taskqueue.slot_of(3600)})  # an hour may begin meanwhile
    assert sorted(_queued(redis_queue)) == sorted(expected * slots), [out for out, _err in outputs]
    # Nothing ran in the schedulers: on Redis they only schedule.
    assert all("scheduled" in out for out, _err in outputs)


def test_enqueue_once_takes_each_slot_once(redis_queue):
    now = 1_800_000_000.0  # a fixed instant at the start of a 60-second slot (30 000 000 × 60)
    takes = [
        ("a", now, True),
        ("b", now + 30, False),
        ("c", now + 59, False),
        ("b", now + 60, True),  # the next slot
        ("a", now + 61, False),
    ]
    for owner, at, expected in takes:
        assert taskqueue.enqueue_once(sweep_deadlines, interval=60, owner=owner, now=at) is expected, (
            owner,
            at,
        )
    assert _queued(redis_queue) == [sweep_deadlines.module_path] * 2


def test_the_redis_queue_needs_a_redis_url():
    env = {k: v for k, v in os.environ.items() if k != "XINFANG_REDIS_URL"}
    env.update({"XINFANG_TASKS": "rq", "PYTHONPATH": str(ROOT / "src")})
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import xinfang.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "XINFANG_TASKS=rq needs XINFANG_REDIS_URL" in result.stderr
