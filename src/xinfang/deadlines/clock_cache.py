"""Policies and calendar held in memory for the day (Rule 4.6 clocks without
their queries on every registration).

Every registration computes two or three clocks from the same few policy rows and
the same calendar weeks; reading them each time cost five queries inside the
registering transaction. Here they are kept per process, keyed by the office's
day and a version number:

- an edit of a policy, a calendar day or a calendar year (signals, and
  `invalidate()` for bulk writes such as `sync_calendar`) clears this process's
  memo and replaces the version token in Django's cache, at once and again after commit;
- with a shared cache (Redis, docs/configuration.md) every process sees the new
  version on its next registration; with the default per-process cache an entry
  is also dropped after `LOCAL_SECONDS`, which bounds how long another process
  can go on with an edited policy.

What is returned gives exactly the results `Policies()` and `load_calendar(start,
end)` give for the same arguments: only where it comes from changes.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from datetime import date, timedelta
from uuid import uuid4

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from xinfang.deadlines import clocks, engine

VERSION_KEY = "xinfang:deadlines:clock-data-version"
LOCAL_SECONDS = 60
# How long this process trusts the version token it last read. One registration computes two or
# three clocks, each of which asked the shared cache (with the default database cache: a SELECT
# each, inside the registering transaction); now they share one read. An edit made in this
# process resets it at once (_bump); another process's edit is seen within this second.
VERSION_SECONDS = 1.0
MAX_ENTRIES = 512
WINDOW_DAYS = 400

_memo: dict[tuple, tuple[float, object]] = {}
_version_memo: list = [0.0, ""]  # [trusted until (monotonic), token]
_held = threading.local()


def _version() -> str:
    token = getattr(_held, "token", None)
    if token is not None:
        return token
    now = time.monotonic()
    if _version_memo[0] > now:
        return _version_memo[1]
    token = cache.get(VERSION_KEY, "")
    _version_memo[:] = [now + VERSION_SECONDS, token]
    return token


def _get(key: tuple, load):
    now = time.monotonic()
    full_key = (clocks.local_day(timezone.now()), _version(), *key)
    hit = _memo.get(full_key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = load()
    if len(_memo) >= MAX_ENTRIES:
        _memo.clear()
    _memo[full_key] = (now + LOCAL_SECONDS, value)
    return value


def policies(profile: str | None = None) -> clocks.Policies:
    profile = profile or clocks.active_profile()
    return _get(("policies", profile), lambda: clocks.Policies(profile))


def calendar(start: date, end: date) -> engine.CalendarData:
    """The calendar load_calendar(start, end) would give, for a computation that
    visits days from `start` to `end`. Letters arrive dated over months, so one
    window around today (WINDOW_DAYS either side, a few dozen rows) is read once and
    serves every such computation: it holds the same rows for the days visited, and
    knows the same years among them. Other spans are read and memoised exactly."""
    today = clocks.local_day(timezone.now())
    first, last = today - timedelta(days=WINDOW_DAYS), today + timedelta(days=WINDOW_DAYS)
    if first <= start and end <= last:
        return _get(("window",), lambda: clocks.load_calendar(first, last))
    return _get(("calendar", start, end), lambda: clocks.load_calendar(start, end))


@contextmanager
def held():
    """In this thread, every clock computed inside the block uses the version of the policies
    and calendar read on entering it, as one registration's clocks do: a ledger import
    computing clocks for a minute does not ask the shared cache again every VERSION_SECONDS
    (with the database cache a SELECT, which inside the import's background COPYs waits for
    all of them, core/background_copy.py). An edit made meanwhile applies from the next import
    or registration on."""
    if getattr(_held, "token", None) is not None:
        yield
        return
    _held.token = _version()
    try:
        yield
    finally:
        _held.token = None


def clear_local() -> None:
    _memo.clear()
    _version_memo[0] = 0.0


def _bump() -> None:
    # A fresh random token, not a counter: a counter restarting after the cache was
    # cleared could meet an old entry's number again.
    _memo.clear()
    _version_memo[0] = 0.0
    token = uuid4().hex
    cache.set(VERSION_KEY, token, None)
    if getattr(_held, "token", None) is not None:
        # This thread's own edit applies at once, held or not.
        _held.token = token


def invalidate() -> None:
    """After any change to policies or the calendar. Run now (this transaction's own
    reads see the change) and after commit (another process that reloaded between
    the two must not keep the old rows)."""
    _bump()
    transaction.on_commit(_bump)


def _on_change(sender, **kwargs) -> None:
    invalidate()


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from xinfang.deadlines.models import CalendarDay, CalendarYear, DeadlinePolicy

    for model in (DeadlinePolicy, CalendarDay, CalendarYear):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"clock-cache-{model.__name__}-save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"clock-cache-{model.__name__}-delete")
