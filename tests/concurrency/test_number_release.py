"""The year's number is released at the COMMIT, before the disk's wait (petitions/numbering.py).

On PostgreSQL the registering transaction commits without waiting for the disk, so its row lock
on the number ends with its commit record; the registration then waits for the disk as the
first thing after the COMMIT, before its other callbacks and before the service returns. These
tests commit for real (`transaction=True`), as test_numbering.py does.
"""

from __future__ import annotations

import threading
import time
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test import override_settings

from tests.concurrency.test_numbering import assert_gapless
from tests.factories import generator, register
from xinfang.petitions import numbering

pytestmark = pytest.mark.django_db(transaction=True)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's transaction holds the write lock from its start"
)
DURABLE = "pg_logical_emit_message"


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


class Recorder:
    """The statements run on this thread's connection and markers, in one list, in order."""

    def __init__(self):
        self.log: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.log.append(sql)
        return execute(sql, params, many, context)

    def mark(self, name: str):
        return lambda: self.log.append(name)


@postgresql_only
@pytest.mark.slow
def test_the_next_registration_gets_its_number_while_the_first_waits_for_the_disk(demo_org):
    # The first registration is held in its wait for the disk (after its COMMIT); a second one
    # must take the next number and finish meanwhile: the row was released by the COMMIT. With
    # the lock held through the wait (as before), the second would block until the first returned.
    from xinfang.accounts.models import User

    first_committed, second_done = threading.Event(), threading.Event()
    real_wait = numbering.wait_until_durable
    returned: dict[str, float] = {}
    serials: dict[str, int] = {}
    errors: list[BaseException] = []

    def slow_disk():
        if threading.current_thread().name == "first":
            first_committed.set()
            assert second_done.wait(timeout=30), "the second registration did not finish"
        real_wait()

    def work(name: str, seed: int):
        try:
            user = User.objects.get(username="clerk")
            serials[name] = register(user, generator(seed).registration()).serial
            returned[name] = time.monotonic()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    with mock.patch.object(numbering, "wait_until_durable", slow_disk):
        first = threading.Thread(target=work, args=("first", 21), name="first")
        first.start()
        assert first_committed.wait(timeout=30), "the first registration never reached its wait"
        second = threading.Thread(target=work, args=("second", 22), name="second")
        second.start()
        second.join(timeout=30)
        finished_while_waiting = not second.is_alive()
        second_done.set()
        first.join(timeout=30)
        second.join(timeout=30)
    assert not errors, errors
    assert finished_while_waiting, "the second registration waited for the first one's disk wait"
    assert serials == {"first": 1, "second": 2}
    assert returned["second"] < returned["first"]  # the first answered only after its wait
    assert_gapless(2)


@postgresql_only
def test_the_wait_for_the_disk_runs_first_after_the_commit(demo_org):
    users, _units = demo_org
    record = Recorder()
    with connection.execute_wrapper(record):
        with transaction.atomic():
            # A callback of the same transaction registered before the registration (a door that
            # notifies first) still runs after the wait: nothing leaves before the disk has it.
            transaction.on_commit(record.mark("earlier callback"))
            register(users["clerk"], generator(31).registration())
            assert _synchronous_commit() == "off"  # for this transaction only
            transaction.on_commit(record.mark("later callback"))
            record.log.append("commit")
        record.log.append("returned")
    tail = [s if not s.startswith("SELECT pg_") else DURABLE for s in record.log[-5:]]
    assert tail == ["commit", DURABLE, "earlier callback", "later callback", "returned"]
    taking = next(s for s in record.log if 'WITH "n" AS (UPDATE "petitions_numbersequence"' in s)
    assert "set_config('synchronous_commit', 'off', true)" in taking
    assert sum(DURABLE in s for s in record.log) == 1
    assert _synchronous_commit() == "on"  # the session's own setting is back


@postgresql_only
def test_two_numbers_in_one_transaction_wait_once(demo_org):
    users, _units = demo_org
    record = Recorder()
    with connection.execute_wrapper(record), transaction.atomic():
        register(users["clerk"], generator(32).registration())
        register(users["clerk"], generator(33).registration())
    assert sum(DURABLE in s for s in record.log) == 1
    assert_gapless(2)


@postgresql_only
def test_a_registration_rolled_back_to_its_savepoint_leaves_no_wait_and_no_setting(demo_org):
    users, _units = demo_org
    record = Recorder()
    with connection.execute_wrapper(record), transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            register(users["clerk"], generator(34).registration())
            raise RuntimeError("a refused attachment")
        # The rest of the transaction commits as it would have: waiting for the disk.
        assert _synchronous_commit() == "on"
        assert not any(func is numbering.wait_until_durable for _s, func, _r in connection.run_on_commit)
    assert not any(DURABLE in s for s in record.log)


@postgresql_only
@override_settings(NUMBER_RELEASE_BEFORE_FLUSH=False)
def test_switched_off_the_commit_waits_for_the_disk_with_the_number_held(demo_org):
    users, _units = demo_org
    record = Recorder()
    with connection.execute_wrapper(record):
        register(users["clerk"], generator(35).registration())
    assert not any("set_config" in s or DURABLE in s for s in record.log)
    assert_gapless(1)


def test_sqlite_commits_as_before(demo_org):
    # Both databases: on SQLite (one writer at a time from BEGIN) there is nothing to release
    # early, so no setting and no wait; on PostgreSQL exactly one wait, after the COMMIT.
    users, _units = demo_org
    record = Recorder()
    with connection.execute_wrapper(record):
        register(users["clerk"], generator(36).registration())
    waits = [s for s in record.log if DURABLE in s]
    assert len(waits) == (1 if connection.vendor == "postgresql" else 0)
    assert numbering.release_before_flush() == (connection.vendor == "postgresql")


@postgresql_only
def test_an_idempotent_replay_waits_for_the_disk_before_answering(demo_org):
    # The first request may still be in its wait when a retry finds its petition: the replay
    # answers with the number only once it is on disk.
    from xinfang.petitions.services.registration import fingerprint

    users, _units = demo_org
    body = generator(37).registration()
    options = {"idempotency_key": "retry-1", "request_fingerprint": fingerprint(body)}
    first = register(users["clerk"], body, **options)
    record = Recorder()
    with connection.execute_wrapper(record):
        again = register(users["clerk"], body, **options)
    assert again.pk == first.pk
    assert [DURABLE in s for s in record.log][-1]
    assert sum(DURABLE in s for s in record.log) == 1
