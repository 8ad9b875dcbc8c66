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

`KeptModels` does the same for a look-up of model instances with fixed shape sent on every request
(the API's bearer token, a registration's category): its values are `Arg`s, filled per call, and
its rows become instances as the ORM's own iteration builds them (select_related, annotations).
"""

from __future__ import annotations

import threading
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import DateField, DateTimeField, Expression, Field
from django.db.models.query import get_related_populators
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


class Arg(Expression):
    """A value of a kept statement, by name (KeptModels.get(name=value) fills it). Compiled as its
    placeholder, so the statement's text is the one the plain value would give."""

    def __init__(self, name: str, output_field: Field):
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler, connection):
        if not _COMPILING.get():
            raise RuntimeError("an Arg is only compiled by compile_kept")
        return "%s", [_Named(self.name, self.output_field)]


@dataclass(frozen=True)
class _Named:
    name: str
    field: Field

    def value(self, values: dict, connection):
        return self.field.get_db_prep_value(values[self.name], connection)


_COMPILING: ContextVar[bool] = ContextVar("compiling_kept_statement", default=False)


@dataclass(frozen=True)
class Kept:
    """A compiled statement whose clock-derived parameters are slots."""

    sql: str
    using: str
    params: tuple
    slots: tuple[int, ...]  # the positions of the slots among params

    def filled(self, now: datetime | None, values: dict | None = None) -> list:
        """The parameters for a request at `now`, with the `values` of its Args."""
        params = list(self.params)
        connection = connections[self.using]
        for i in self.slots:
            slot = params[i]
            params[i] = (
                slot.value(values, connection) if isinstance(slot, _Named) else slot.value(now, connection)
            )
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
    return sql, params, tuple(i for i, p in enumerate(params) if isinstance(p, (_Slot, _Named)))


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


class KeptModels:
    """A queryset of model instances compiled once per database alias, its `Arg`s and `Clock`s
    filled per call: `get(now, **values)` returns the instances the queryset would, built as
    the ORM's ModelIterable builds them (its columns converted, select_related objects and
    annotations attached), without building and compiling the queryset again (for the API's
    token look-up, about a tenth of a registration's CPU). `build()` returns the queryset; it is
    called once per alias, so it must depend on nothing but code (no user, no clock: those are
    Args and Clocks)."""

    def __init__(self, build):
        self.build = build
        self.model = None
        self._compiled: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _compile(self, using: str) -> tuple:
        compiled = self._compiled.get(using)
        if compiled is None:
            qs = self.build()
            compiler = qs.query.get_compiler(using=using)
            sql, params, slots = compile_kept(compiler.as_sql)
            # as_sql filled the compiler's select, klass_info and annotation map (as executing does)
            select, klass_info = compiler.select, compiler.klass_info
            fields = [s[0] for s in select[0 : compiler.col_count]]
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            compiled = (
                Kept(sql, using, params, slots),
                klass_info["model"],
                start,
                end,
                [f[0].target.attname for f in select[start:end]],
                get_related_populators(klass_info, select, using),
                dict(compiler.annotation_col_map or {}),
                compiler.get_converters(fields),
            )
            with self._lock:
                self._compiled[using] = compiled
        return compiled

    def get(self, now: datetime | None = None, *, using: str | None = None, **values) -> list:
        if using is None:  # the database the queryset itself would read (a replica's router)
            if self.model is None:
                self.model = self.build().model
            using = router.db_for_read(self.model)
        kept, model, start, end, init_list, populators, annotations, converters = self._compile(using)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(kept.sql, kept.filled(now, values))
            rows = cursor.fetchall()
        found = []
        for row in rows:
            if converters:
                row = list(row)
                for pos, (functions, expression) in converters.items():
                    value = row[pos]
                    for convert in functions:
                        value = convert(value, expression, connection)
                    row[pos] = value
            obj = model.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, pos in annotations.items():
                setattr(obj, name, row[pos])
            found.append(obj)
        return found


def first_of(qs):
    """`qs` as `.first()` reads it: in its order, else by primary key; one row."""
    return (qs if qs.ordered else qs.order_by("pk"))[:1]
