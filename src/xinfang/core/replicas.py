"""Reads that may lag go to a PostgreSQL streaming replica (docs/scaling.md).

Only what a view or task marks with `reads_may_lag(user)` can be served by the replica:
the petition list (and its search), statistics, the standard report and ledger exports.
Everything else, and everything inside a transaction (every action: its guards, reads
and writes), stays on the primary. Without XINFANG_REPLICA_URL nothing changes.

Read-your-writes: after a request that may have written (any unsafe method), the
primary's WAL position (`pg_current_wal_lsn()`) is stored in the shared cache under the
user's id. Before a marked read for that user, the replica's replay position
(`pg_last_wal_replay_lsn()`) is compared with it: behind means the primary serves the
read. An LSN is exact where a time window is a guess about lag; it costs one query on
the primary after a write and one on the replica per marked read while the marker lives.
It sits in the cache, not the session, so API clients (bearer tokens, no session) and
the worker writing a user's export see the same marker.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Iterator
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

log = logging.getLogger(__name__)

REPLICA = "replica"
# Never routed, even inside a marked read: counters and sessions are read to be written.
_PRIMARY_ONLY_APPS = frozenset({"django_cache", "sessions", "django_tasks_db", "otp_totp", "otp_static"})
_PRIMARY_ONLY_MODELS = frozenset({"accounts.usersession"})
# After a failed connection the replica is not tried again in this process for this long.
_RETRY_SECONDS = 30

_alias: ContextVar[str | None] = ContextVar("xinfang_lagging_reads", default=None)
_down_until = 0.0


class PrimaryReplicaRouter:
    """Writes and ordinary reads to the primary; marked reads to the chosen alias."""

    def db_for_read(self, model, **hints):
        alias = _alias.get()
        if (
            alias is None
            or model._meta.app_label in _PRIMARY_ONLY_APPS
            or model._meta.label_lower in _PRIMARY_ONLY_MODELS
        ):
            return None  # Django's default: the instance's own database, else the primary
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS  # inside an action: read what it is about to write
        return alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an object read there may point at one read here.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


def replica_configured() -> bool:
    return bool(getattr(settings, "READ_REPLICA", None)) and REPLICA in settings.DATABASES


def _marker_key(user_id) -> str:
    return f"xinfang:wrote-at-lsn:{user_id}"


def _lsn(text: str | None) -> int | None:
    """'16/B374D848' as a number (the high and low 32 bits of the WAL position)."""
    if not text:
        return None
    high, _, low = str(text).partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def primary_position() -> int | None:
    """The primary's WAL insert position; None off PostgreSQL."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return _lsn(cursor.fetchone()[0])


def replica_position() -> int | None:
    """How far the replica has replayed. A server not in recovery (a test mirror, a
    promoted standby) has everything it was sent: its own current position."""
    connection = connections[REPLICA]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
            " ELSE pg_current_wal_lsn() END::text"
        )
        return _lsn(cursor.fetchone()[0])


def remember_write(user) -> None:
    """After a request by this user that may have written: their reads stay on the
    primary until the replica has replayed this far."""
    user_id = getattr(user, "pk", None)
    if user_id is None or not replica_configured():
        return
    try:
        position = primary_position()
    except DatabaseError:
        log.warning("could not read the primary's WAL position", exc_info=True)
        return
    if position is not None:
        cache.set(_marker_key(user_id), position, settings.REPLICA_WRITER_SECONDS)


def _replica_reachable() -> bool:
    global _down_until
    if time.monotonic() < _down_until:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError:
        _down_until = time.monotonic() + _RETRY_SECONDS
        log.warning("replica unreachable: marked reads use the primary for %ss", _RETRY_SECONDS)
        return False
    return True


def choose(user) -> str:
    """The alias a marked read for this user uses."""
    if not replica_configured() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    if not _replica_reachable():
        return DEFAULT_DB_ALIAS
    user_id = getattr(user, "pk", None)
    wrote_at = cache.get(_marker_key(user_id)) if user_id is not None else None
    if wrote_at is None:
        return REPLICA
    try:
        replayed = replica_position()
    except DatabaseError:
        log.warning("could not read the replica's replay position", exc_info=True)
        return DEFAULT_DB_ALIAS
    if replayed is None or replayed < wrote_at:
        return DEFAULT_DB_ALIAS
    return REPLICA


@contextlib.contextmanager
def reads_may_lag(user) -> Iterator[str]:
    """Within the block, reads outside transactions may be served by the replica
    (unless this user's own last write has not reached it). Yields the alias."""
    token = _alias.set(choose(user))
    try:
        yield _alias.get()
    finally:
        _alias.reset(token)


def lagging_iterator(alias: str, iterator):
    """A streamed response's rows, read on `alias` after the view has returned."""
    iterator = iter(iterator)
    while True:
        token = _alias.set(alias)
        try:
            item = next(iterator)
        except StopIteration:
            return
        finally:
            _alias.reset(token)
        yield item


class ReadYourWritesMiddleware:
    """Marks the user after every request that may have written (unsafe methods)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE") and replica_configured():
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                remember_write(user)
        return response


def lagging_response(user, respond):
    """`respond()` with its reads marked; a streamed body (the CSV ledger) is read on the
    same alias as it is sent. A file response is left alone: its file is already written."""
    from django.http import StreamingHttpResponse

    with reads_may_lag(user) as alias:
        response = respond()
    if type(response) is StreamingHttpResponse and alias != DEFAULT_DB_ALIAS:
        response.streaming_content = lagging_iterator(alias, response.streaming_content)
    return response


def lagging_view(view):
    """A function view whose reads may lag (lists, statistics, exports)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        return lagging_response(request.user, lambda: view(request, *args, **kwargs))

    return wrapped
