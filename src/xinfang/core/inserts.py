"""Multi-row INSERTs of many model instances, for the few paths that write 10⁵ rows at once
(a ledger import and what it indexes).

`bulk_create` spends most of its time in the SQL compiler, value by value (measured: about two
thirds of an import's write at 5,000 rows); the database itself is fast. This writes the same
values (each field's `pre_save` and `get_db_prep_save`, so sealed fields are encrypted and
`auto_now_add` is set exactly as bulk_create does) into one statement per batch, and reads the
new ids back with RETURNING, as bulk_create does on both databases. No signals, like bulk_create.

On PostgreSQL every row goes through COPY instead (ids wanted back are drawn from the sequence
first): psycopg binds a
multi-row INSERT's values on the client, scanning the whole statement text for its placeholders
and quoting every value into it, which cost more than a third of a 10⁴-row import's write
(profiled); COPY streams the same values with no statement text at all, and the server parses
and plans nothing per batch. Values of plain fields (text, integers, booleans, foreign keys,
aware datetimes, dates, none of them computed on save) go to COPY as they are: for those
`get_db_prep_save` returns the same value, and calling it for every value of every row cost
5.8 s of CPU for the petitions, petitioners, clocks, events and assignments of 2·10⁴ ledger rows,
2.5 s without it (about a fifth of the import's own CPU). Any other field, or a value of
another type than its field's plain one, still goes through `pre_save` and `get_db_prep_save`.
"""

from __future__ import annotations

import time
from datetime import date, datetime

from django.db import connections, models, router, transaction
from django.db.models import AutoField, BigAutoField, SmallAutoField, signals

from xinfang.core.background_copy import active_writer

_AUTO = (AutoField, BigAutoField, SmallAutoField)
SQLITE_MAX_PARAMS = 999  # what Django assumes of SQLite (DatabaseFeatures.max_query_params)
MAX_ROWS = 1000


def insert(
    model, objs, *, returning_ids: bool = False, match_on: str = "", ids: list[int] | None = None
) -> list:
    """Insert `objs` (unsaved instances of `model`); with `returning_ids`, their new primary
    keys are set on them. Neither database promises that RETURNING lists rows in the order of
    the VALUES, so with `match_on` (a unique field's name) each id is matched by that field's
    value instead of by position (on SQLite; PostgreSQL draws the ids before it copies).
    On PostgreSQL `ids` are ids already drawn by `draw_ids` for these objects, in order, used
    instead of drawing them here (no statement: inside background_copies a statement waits for
    the COPYs before it). Returns `objs`."""
    objs = list(objs)
    if not objs:
        return objs
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, _AUTO))]
    pk = model._meta.pk
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    per_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch = MAX_ROWS
    if connection.vendor == "sqlite":
        batch = max(1, min(MAX_ROWS, SQLITE_MAX_PARAMS // len(fields)))
    key = model._meta.get_field(match_on) if match_on else None
    returning = ""
    if returning_ids:
        returning = f" RETURNING {qn(pk.column)}" + (f", {qn(key.column)}" if key else "")
    if connection.vendor == "postgresql":
        if returning_ids:
            # The ids are taken from the table's sequence first (one statement), set on the
            # objects in their order, and copied with the rows: what RETURNING would give, the
            # ids rising with the order of `objs` as they do when rows are inserted one by one.
            if ids is None:
                ids = draw_ids(model, len(objs))
            for obj, value in zip(objs, ids, strict=True):
                setattr(obj, pk.attname, value)
            fields = [pk, *fields]
        _copy(connection, model, objs, fields, alias)
        return objs
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch):
            chunk = objs[start : start + batch]
            params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in chunk for f in fields]
            cursor.execute(
                f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608 (names from _meta)
                + ", ".join([per_row] * len(chunk))
                + returning,
                params,
            )
            if returning_ids:
                rows = cursor.fetchall()
                if key is not None:
                    ids = {row[1]: row[0] for row in rows}
                    for obj in chunk:
                        setattr(obj, pk.attname, ids[getattr(obj, key.attname)])
                else:
                    for obj, (value,) in zip(chunk, rows, strict=True):
                        setattr(obj, pk.attname, value)
            for obj in chunk:
                obj._state.adding = False
                obj._state.db = alias
    return objs


def draw_ids(model, count: int) -> list[int] | None:
    """`count` new ids from `model`'s sequence, rising, in one statement (PostgreSQL; None on
    SQLite, whose ids come back from the INSERT)."""
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


_ONE_ROW: dict[tuple, tuple[str, list]] = {}


def insert_one(obj, *, returning_pk: bool = False) -> None:
    """Insert the unsaved `obj` as `obj.save(force_insert=True)` would (each field's `pre_save`
    and `get_db_prep_save`, a failure marking the atomic block for rollback, the instance then
    saved to its database; with `returning_pk` its new id read back and set), from an INSERT built
    once per model and database instead of by the SQL compiler for every row: for a row written
    on every request (the access log entry, the registered petition). A model with pre_save or
    post_save receivers is saved by save() itself, so that they run."""
    model = type(obj)
    if signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
        obj.save(force_insert=True)
        return
    alias = router.db_for_write(model, instance=obj)
    connection = connections[alias]
    key = (model, alias, returning_pk)
    template = _ONE_ROW.get(key)
    if template is None:
        fields = [f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, _AUTO))]
        qn = connection.ops.quote_name
        sql = (
            f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608 (names from _meta)
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        if returning_pk:
            sql += f" RETURNING {qn(model._meta.pk.column)}"
        template = _ONE_ROW[key] = (sql, fields)
    sql, fields = template
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning_pk:
            setattr(obj, model._meta.pk.attname, cursor.fetchone()[0])
    obj._state.adding = False
    obj._state.db = alias


def copy_rows(connection, table: str, columns: list[str], rows) -> None:
    """COPY `rows` (tuples of values psycopg adapts) into `table` on PostgreSQL; inside
    background_copies, by its writer thread. Recorded in connection.queries when queries are
    being captured, so that statement counts (tests, debug toolbar) see the COPY as one
    statement."""
    qn = connection.ops.quote_name
    sql = f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
    writer = active_writer(connection)
    if writer is not None:
        # Inside background_copies: the rows are built here, sent by the writer thread.
        writer.send(sql, list(rows))
        if connection.queries_logged:
            connection.queries_log.append({"sql": sql, "time": "0.000"})
        return
    started = time.monotonic()
    # cursor.cursor: psycopg's own cursor under Django's wrapper.
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


# Field classes (exactly these, not subclasses: an encrypted text field is a TextField) whose
# get_db_prep_save on PostgreSQL gives back a value of these types unchanged (to_python of a
# value already of its type; an integer wrapped for psycopg is copied as the same digits).
_INTEGER = (int,)
_PLAIN = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.BooleanField: (bool,),
    models.IntegerField: _INTEGER,
    models.SmallIntegerField: _INTEGER,
    models.BigIntegerField: _INTEGER,
    models.PositiveIntegerField: _INTEGER,
    models.PositiveSmallIntegerField: _INTEGER,
    models.PositiveBigIntegerField: _INTEGER,
    AutoField: _INTEGER,
    BigAutoField: _INTEGER,
    SmallAutoField: _INTEGER,
    models.DateField: (date,),  # exactly a date: DateField.to_python cuts a datetime to its day
    models.DateTimeField: (datetime,),
}


def _plain_types(field) -> tuple[type, ...] | None:
    """The value types `field` stores as they are, or None when every value must be converted
    (a field computing its value on save, a sealed field, JSON, ...)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return None  # pre_save sets the time
    if type(field) in (models.ForeignKey, models.OneToOneField):
        return _plain_types(field.target_field)
    return _PLAIN.get(type(field))


def _value_getter(field, connection):
    """obj -> the value COPY writes for `field`: get_db_prep_save(pre_save(obj)) for fields
    that need it, the attribute itself for a plain field holding a value of its plain type
    (checked exactly, value by value; anything else takes the full way)."""

    def converted(obj):
        return field.get_db_prep_save(field.pre_save(obj, True), connection)

    sealer = getattr(field, "sealer", None)
    if sealer is not None:
        # A sealed field (core/fields.py): its get_prep_value with the key read once for the
        # column instead of once a value.
        seal = sealer()
        return lambda obj: seal(field.pre_save(obj, True))
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        # pre_save sets the moment (aware with USE_TZ), which is then stored as it is, like
        # any plain aware datetime below; anything else takes the full way.
        def stamped(obj):
            v = field.pre_save(obj, True)
            if type(v) is datetime and v.utcoffset() is not None:
                return v
            return field.get_db_prep_save(v, connection)

        return stamped
    types = _plain_types(field)
    if types is None:
        return converted
    attname = field.attname
    if datetime in types:

        def value(obj):
            # Only an aware datetime is stored as it is; Django makes a naive one aware (and warns).
            v = getattr(obj, attname)
            if v is None or (type(v) is datetime and v.utcoffset() is not None):
                return v
            return converted(obj)

        return value

    def value(obj):
        v = getattr(obj, attname)
        if v is None or type(v) in types:
            return v
        return converted(obj)

    return value


def _copy(connection, model, objs, fields, alias) -> None:
    getters = [_value_getter(f, connection) for f in fields]
    copy_rows(
        connection,
        model._meta.db_table,
        [f.column for f in fields],
        ([get(obj) for get in getters] for obj in objs),
    )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


def insert_values(model, names: tuple[str, ...], rows) -> None:
    """Insert rows given as plain tuples of values, in the order of the fields `names` (attnames:
    `petition_id`, not `petition`), for rows nobody reads again once written. On PostgreSQL the
    tuples go to COPY without a model instance each: for a ledger import's write-only rows
    (clocks, import records, repeat links, chain events and heads, about five a ledger row)
    building the instances and reading every value back out of them was 0.3–0.7 s of the
    import's 8.6 s of CPU per 2·10⁴ rows (docs/benchmarks.md, round 16).
    Each value is copied as it is where `insert` would copy it as it is (a plain field holding a
    value of exactly its type) and converted by the field otherwise, as `insert` converts it.
    Every other field takes its default, once for all the rows: a field whose default is
    computed (a callable) must be named. A field set on save (`auto_now`, `auto_now_add`) or
    sealed cannot be written this way. Elsewhere the instances are built and written by `insert`,
    as before."""
    opts = model._meta
    fields = [opts.get_field(name) for name in names]
    if [f.attname for f in fields] != list(names):
        raise ValueError(f"{model.__name__}: name fields by attname ({', '.join(names)})")
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) or hasattr(f, "sealer"):
            raise ValueError(f"{model.__name__}.{f.name} is set or sealed on save")
    rest = [
        f
        for f in opts.concrete_fields
        if f.attname not in names and not (f.primary_key and isinstance(f, _AUTO))
    ]
    for f in rest:
        computed = f.has_default() and callable(f.default)
        if computed or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            raise ValueError(f"{model.__name__}.{f.name}: its value is computed per row; name it")
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        insert(model, (model(**dict(zip(names, row, strict=True))) for row in rows))
        return
    # The unnamed fields' defaults, converted once (what each instance would have held).
    tail = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
    convert = [_value_converter(f, connection) for f in fields]
    values = (tuple(c(v) for c, v in zip(convert, row, strict=True)) + tail for row in rows)
    copy_rows(connection, opts.db_table, [f.column for f in fields + rest], values)


def _value_converter(field, connection):
    """value -> what COPY writes for `field`, as `_value_getter` decides it for the same value
    held by an instance of a field neither set on save nor sealed."""
    types = _plain_types(field)

    def converted(v):
        return field.get_db_prep_save(v, connection)

    if types is None:
        return converted
    if datetime in types:
        return lambda v: (
            v if v is None or (type(v) is datetime and v.utcoffset() is not None) else converted(v)
        )
    return lambda v: v if v is None or type(v) in types else converted(v)
