"""Unified numbering under concurrency (Rule 3.1) and Idempotency-Key replays.

These tests commit for real (`transaction=True`) so that every registration runs
in its own database transaction, as in production, and threads and processes see
each other's work. They run on SQLite (a file shared by every connection) and on
PostgreSQL (DATABASE_URL).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from unittest import mock
from urllib.parse import quote

import pytest
from django.db import IntegrityError, connection, transaction

from tests.factories import generator, register
from xinfang.audit.services import Context
from xinfang.petitions.models import NumberSequence, Petition
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import IdempotencyMismatch, fingerprint, register_petition

# Committed for real, so threads and processes see each other's work; the demo_org
# fixture puts back the seeded rows that the flush after such a test removes.
pytestmark = pytest.mark.django_db(transaction=True)

WORKER = Path(__file__).with_name("worker.py")


def run_threads(count: int, target) -> list:
    """Run target(i) in `count` threads, started together; re-raise the first error.

    Each thread closes its own database connection when done (Django opens one per
    thread and would otherwise leave it for the test's teardown to trip over)."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def body(i):
        try:
            barrier.wait(timeout=30)
            results[i] = target(i)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a registering thread hung"
    if errors:
        raise errors[0]
    return results


def serials() -> list[int]:
    return list(Petition.objects.order_by("serial").values_list("serial", flat=True))


def assert_gapless(expected: int) -> None:
    numbers = list(Petition.objects.order_by("serial").values_list("number", "serial", "year"))
    assert [s for _n, s, _y in numbers] == list(range(1, expected + 1))
    assert all(n.endswith(f"-{y}-{s:06d}") for n, s, y in numbers)
    assert NumberSequence.objects.get().last == expected


def test_threads_get_gapless_numbers(demo_org):
    from xinfang.accounts.models import User

    batches = [list(generator(seed).registrations(15)) for seed in range(8)]

    def work(i):
        user = User.objects.get(username="clerk" if i % 2 else "clerk2")
        return [register(user, data).serial for data in batches[i]]

    got = run_threads(8, work)
    flat = [s for batch in got for s in batch]
    assert sorted(flat) == list(range(1, 121))  # no duplicate handed out, none skipped
    assert all(batch == sorted(batch) for batch in got)  # each thread's numbers only grow
    assert_gapless(120)


def _database_url_for_children() -> str:
    """A DATABASE_URL naming the database this test uses (the test database)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    user = quote(s.get("USER") or "", safe="")
    password = f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgresql://{user}{password}@{host}{port}/{s['NAME']}"


@pytest.mark.slow
def test_processes_get_gapless_numbers(demo_org):
    if connection.vendor == "sqlite" and str(connection.settings_dict["NAME"]).startswith(":memory:"):
        pytest.skip("processes cannot share an in-memory SQLite database")
    env = {**os.environ, "DATABASE_URL": _database_url_for_children()}
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "clerk", "20", str(100 + i)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        for i in range(3)
    ]
    try:
        for w in workers:
            assert w.stdout.readline().strip() == "ready", w.stderr.read()
        for w in workers:  # all three start registering together
            w.stdin.write("go\n")
            w.stdin.flush()
        outputs = [w.communicate(timeout=120) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    for w, (_out, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err
    got = [json.loads(out.strip().splitlines()[-1]) for out, _err in outputs]
    assert sorted(s for batch in got for s in batch) == list(range(1, 61))
    assert_gapless(60)


def test_rolled_back_registration_returns_its_number(demo_org):
    from xinfang.petitions.services import registration

    users, _units = demo_org
    gen = generator(7)
    assert register(users["clerk"], gen.registration()).serial == 1

    real = registration.append_prepared
    failures = [RuntimeError("disk full")]

    def fail_once(*args, **kwargs):
        # The registration's event is written after the number was allocated and the petition
        # and its clocks inserted.
        if failures:
            raise failures.pop()
        return real(*args, **kwargs)

    with mock.patch.object(registration, "append_prepared", side_effect=fail_once):
        with pytest.raises(RuntimeError):
            register(users["clerk"], gen.registration())
        assert Petition.objects.count() == 1
        assert NumberSequence.objects.get().last == 1
        assert register(users["clerk"], gen.registration()).serial == 2
    assert_gapless(2)


def test_same_idempotency_key_from_five_threads_makes_one_petition(demo_org):
    from xinfang.accounts.models import User

    body = generator(11).registration()
    key = "retry-3f1c2a"

    def work(_i):
        user = User.objects.get(username="clerk")
        petition, created = register_petition(
            ctx=Context(actor=user),
            data=check_registration(body),
            idempotency_key=key,
            request_fingerprint=fingerprint(body),
        )
        return petition.pk, petition.number, created

    answers = run_threads(5, work)
    assert len({(pk, number) for pk, number, _created in answers}) == 1  # five identical answers
    assert sorted(created for _pk, _number, created in answers) == [False] * 4 + [True]
    assert Petition.objects.count() == 1
    # The losers' attempts were rolled back and gave their numbers back.
    assert_gapless(1)


def test_used_key_with_a_different_body_is_refused(demo_org):
    users, _units = demo_org
    gen = generator(12)
    first, second = gen.registration(), gen.registration()
    register(users["clerk"], first, idempotency_key="k-1", request_fingerprint=fingerprint(first))
    with pytest.raises(IdempotencyMismatch) as raised:
        register(users["clerk"], second, idempotency_key="k-1", request_fingerprint=fingerprint(second))
    assert raised.value.status == 422
    assert Petition.objects.count() == 1
    # Keys belong to their user: another clerk may use the same one.
    register(users["clerk2"], second, idempotency_key="k-1", request_fingerprint=fingerprint(second))
    assert_gapless(2)


def test_api_replays_and_refuses_by_idempotency_key(demo_org):
    from rest_framework.test import APIClient

    from xinfang.accounts.models import ApiToken

    users, _units = demo_org
    _token, raw = ApiToken.issue(users["clerk"])
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")
    gen = generator(13)
    body, other = gen.registration(), gen.registration()
    first = client.post("/api/v1/petitions", body, format="json", HTTP_IDEMPOTENCY_KEY="api-key-1")
    again = client.post("/api/v1/petitions", body, format="json", HTTP_IDEMPOTENCY_KEY="api-key-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["number"] == first.json()["number"]
    assert again["Idempotent-Replayed"] == "true"
    refused = client.post("/api/v1/petitions", other, format="json", HTTP_IDEMPOTENCY_KEY="api-key-1")
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"
    assert Petition.objects.count() == 1


def test_database_refuses_a_duplicate_number(demo_org):
    users, _units = demo_org
    petition = register(users["clerk"], generator(14).registration())
    duplicate = Petition.objects.filter(pk=petition.pk).values().get()
    duplicate.pop("id")
    duplicate["serial"] = 999
    with pytest.raises(IntegrityError), transaction.atomic():
        Petition.objects.create(**duplicate)
    assert Petition.objects.count() == 1
