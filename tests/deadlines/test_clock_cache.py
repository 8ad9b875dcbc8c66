"""Issue 9: policies and the calendar are cached for the day and dropped on edit.

Each test registers twice: the second registration must use what the first read
(no policy or calendar query), and after an edit the new policy or holiday."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xinfang.audit.services import Context
from xinfang.deadlines.clocks import active_profile
from xinfang.deadlines.models import CalendarDay, DeadlinePolicy
from xinfang.deadlines.services import change_policy
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition

pytestmark = pytest.mark.django_db


def _register(users, received_at: datetime):
    data = {
        "channel": "letter",
        "received_at": received_at.isoformat(),
        "petitioners": [{"name": "信访人"}],
        "title": "事项",
        "content": "问题内容",
        "category": "urban_construction",
    }
    petition, _created = register_petition(ctx=Context(actor=users["clerk"]), data=check_registration(data))
    return petition.deadlines.get(name="handling").due_at


def _cache_asks(monkeypatch) -> list:
    """The keys clock_cache asks the shared cache for from now on, in order."""
    from xinfang.deadlines import clock_cache

    asked = []
    real_get = clock_cache.cache.get

    def counting_get(key, *args, **kwargs):
        asked.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(clock_cache.cache, "get", counting_get)
    return asked


def _monday() -> datetime:
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday() + 7)
    return datetime.combine(monday, datetime.min.time(), tzinfo=office_tz()).replace(hour=9)


def test_second_registration_reads_no_policy_or_calendar(demo_org):
    users, _units = demo_org
    _register(users, _monday())
    with CaptureQueriesContext(connection) as queries:
        _register(users, _monday())
    tables = " ".join(q["sql"] for q in queries.captured_queries)
    assert "deadlines_deadlinepolicy" not in tables and "deadlines_calendar" not in tables


def test_a_policy_change_applies_to_the_next_registration(demo_org):
    users, _units = demo_org
    before = _register(users, _monday())
    policy = DeadlinePolicy.objects.get(
        profile=active_profile(), clock="handling", channel="", superseded_at__isnull=True
    )
    change_policy(actor=users["admin"], current=policy, changes={"amount": policy.amount + 10}, reason="测试")
    after = _register(users, _monday())
    assert after > before


def test_a_new_holiday_applies_to_the_next_registration(demo_org):
    users, _units = demo_org
    start = _monday()
    before = _register(users, start)
    last_day = timezone.localtime(before, office_tz()).date()
    CalendarDay.objects.update_or_create(
        date=last_day, defaults={"is_working_day": False, "source": "manual"}
    )
    after = _register(users, start)
    assert timezone.localtime(after, office_tz()).date() > last_day
    assert isinstance(last_day, date)


def test_one_registration_asks_the_shared_cache_once(demo_org, monkeypatch):
    # With the default database cache each ask is a SELECT inside the registering
    # transaction; the two or three clocks of one registration share one.
    from xinfang.deadlines import clock_cache

    users, _units = demo_org
    _register(users, _monday())
    asked = _cache_asks(monkeypatch)
    clock_cache._version_memo[0] = 0.0  # as after a second without registrations
    _register(users, _monday())
    assert asked.count(clock_cache.VERSION_KEY) == 1


def test_another_process_s_edit_is_seen_once_the_token_expires(demo_org):
    # Another process bumps the shared token (its own edit): this process keeps its memo
    # only until it asks again (at most VERSION_SECONDS later), then reloads. (Whether it
    # is still trusted within the second depends on the clock: not asserted.)
    from uuid import uuid4

    from xinfang.deadlines import clock_cache

    users, _units = demo_org
    before = _register(users, _monday())
    DeadlinePolicy.objects.filter(
        profile=active_profile(), clock="handling", channel="", superseded_at__isnull=True
    ).update(amount=models_amount_plus(10))  # a write no signal sees, as in another process
    clock_cache.cache.set(clock_cache.VERSION_KEY, uuid4().hex, None)
    clock_cache._version_memo[0] = 0.0  # the second has passed
    assert _register(users, _monday()) > before


def models_amount_plus(n):
    from django.db.models import F

    return F("amount") + n


def test_held_clocks_use_the_version_read_on_entering(demo_org, monkeypatch):
    # A ledger import holds them (reports/importing/bulk.py): inside the block another
    # process's edit is not asked for, however long it takes; this thread's own edit applies
    # at once; after the block the next registration sees the other process's edit.
    from uuid import uuid4

    from xinfang.deadlines import clock_cache

    users, _units = demo_org
    before = _register(users, _monday())
    asked = _cache_asks(monkeypatch)
    policy = DeadlinePolicy.objects.filter(
        profile=active_profile(), clock="handling", channel="", superseded_at__isnull=True
    )
    with clock_cache.held():
        policy.update(amount=models_amount_plus(10))  # as in another process: no signal
        clock_cache.cache.set(clock_cache.VERSION_KEY, uuid4().hex, None)
        for _ in range(3):
            clock_cache._version_memo[0] = 0.0  # each time, a second has passed
            assert _register(users, _monday()) == before
        clock_cache.invalidate()  # this thread's own edit
        changed = _register(users, _monday())
        assert changed > before
    assert asked.count(clock_cache.VERSION_KEY) <= 1
    policy.update(amount=models_amount_plus(10))
    clock_cache.cache.set(clock_cache.VERSION_KEY, uuid4().hex, None)
    clock_cache._version_memo[0] = 0.0
    assert _register(users, _monday()) > changed
