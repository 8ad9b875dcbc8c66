"""Statements compiled once and sent again, with the request's clock as their parameters.

A page that sends the same statement on every request, differing only in the time it is asked
at, pays the ORM's compilation each time: for the home page's counting statement (a dozen
querysets, each with the read policy's subqueries) about 6 ms of Python per request (issue 9).
`compile_kept` compiles a queryset once with every `Clock` in it left as a slot; `Kept.params`
fills the slots from the request's `now`. Only the text and its parameters are kept, never a
row: each request executes the statement and reads the tables as they are then.

What a kept statement was built from must be its key (the reader, their roles, the rows of
small tables it was shaped by): the caller decides, as notifications.selectors.unread_count and
reports.list_index do for theirs.
"""

from __future__ import annotations

import threading
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import DateField, DateTimeField, Expression
from django.utils import timezone


class Clock(Expression):
    """A time derived from the request's clock, as a statement's parameter: `now` plus `delta`
    (a datetime), or with `date`, the office's local date of `now` plus `delta` (a date).

    Compiled as that value, unless compile_kept is compiling: then as a slot that Kept.params
    fills from each request's clock, so the statement's text can be kept. The SQL is the value's
    placeholder either way."""

    def __init__(self, now: datetime, delta: timedelta = timedelta(0), *, date: bool = False):
        super().__init__(output_field=DateField() if date else DateTimeField())
        self.now, self.delta, self.date = now, delta, date

    def at(self, now: datetime):
        return (timezone.localdate(now) if self.date else now) + self.delta

    def as_sql(self, compiler, connection):
        if _COMPILING.get():
            return "%s", [_Slot(self.output_field, self.delta, self.date)]
        return "%s", [self.output_field.get_db_prep_value(self.at(self.now), connection)]


@dataclass(frozen=True)
class _Slot:
    field: DateField
    delta: timedelta
    date: bool

    def value(self, now: datetime, connection):
        at = (timezone.localdate(now) if self.date else now) + self.delta
        return self.field.get_db_prep_value(at, connection)


_COMPILING: ContextVar[bool] = ContextVar("compiling_kept_statement", default=False)


@dataclass(frozen=True)
class Kept:
    """A compiled statement whose clock-derived parameters are slots."""

    sql: str
    using: str
    params: tuple
    slots: tuple[int, ...]  # the positions of the slots among params

    def filled(self, now: datetime) -> list:
        """The parameters for a request at `now`."""
        params = list(self.params)
        connection = connections[self.using]
        for i in self.slots:
            params[i] = params[i].value(now, connection)
        return params

    def execute(self, now: datetime) -> list[tuple]:
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, self.filled(now))
            return cursor.fetchall()


def compile_kept(compile_sql) -> tuple[str, tuple, tuple[int, ...]]:
    """Runs `compile_sql()` (returning (sql, params)) with every Clock compiled as a slot, and
    returns the text, the parameters and the slots' positions."""
    token = _COMPILING.set(True)
    try:
        sql, params = compile_sql()
    finally:
        _COMPILING.reset(token)
    params = tuple(params)
    return sql, params, tuple(i for i, p in enumerate(params) if isinstance(p, _Slot))


def kept_queryset(qs, using: str) -> Kept | None:
    """A queryset's statement, compiled for `using` with its clocks as slots; None for a queryset
    that can match nothing (`.none()`: Django refuses to compile it, and reads no row for it)."""
    try:
        sql, params, slots = compile_kept(lambda: qs.query.get_compiler(using=using).as_sql())
    except EmptyResultSet:
        return None
    return Kept(sql, using, params, slots)


class KeptStatements:
    """Kept statements by key, bounded: emptied when full (a long-lived process keeps at most
    `size` entries). Thread-safe for the web server's threads."""

    def __init__(self, size: int):
        self.size = size
        self._entries: dict = {}
        self._lock = threading.Lock()

    def get(self, key):
        return self._entries.get(key)

    def put(self, key, value):
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[key] = value
        return value

    def clear(self):
        with self._lock:
            self._entries.clear()
