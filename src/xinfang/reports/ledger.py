"""The ledger (台账) export: one row per petition of a filtered list, as .xlsx or .csv.

On PostgreSQL the rows are read by one statement, streamed as the server computes them, each
row with its petitioners, units, clocks and last reply as subqueries and its dates in office
time; on SQLite in chunks, each chunk's related rows in one query per kind. They are written as
they come, as lists in the order of COLUMNS (ledger_cells): the CSV is a streamed response, the
workbook is streamed into a temporary file (reports/xlsx_stream.py), then sent from it. Memory
stays flat whatever the number of rows. Where the time goes at 10⁵ rows: docs/benchmarks.md,
"round 5: the ledger export" and "round 6: the ledger export streamed". (Model instances with
prefetch_related cost about 2.5 ms a row: Django builds a queryset per petition and relation to
fill its caches, and each get_..._display() call translated the choice labels again.)

Personal data is masked exactly as on the list and petition pages (petitions/masking.py); every
text cell that a spreadsheet would run as a formula is escaped (core/csv_export.safe_cell), and
text is always written as text, never as a formula.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from itertools import islice

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections
from django.db.models import Max
from django.db.models.expressions import RawSQL
from django.utils.translation import get_language
from psycopg.pq import TransactionStatus

from xinfang.accounts.models import Unit
from xinfang.audit.access import record
from xinfang.core.csv_export import safe_cell
from xinfang.core.logged import logged
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.masking import read_masked_copy
from xinfang.petitions.models import Deadline, InvolvedUnit, Petition, Petitioner
from xinfang.petitions.selectors import PetitionFilters, petition_list
from xinfang.petitions.workflow_models import Assignment, AssignmentStatus, Reply
from xinfang.reports.columns import COLUMNS
from xinfang.reports.xlsx_stream import SheetWriter

CHUNK = 2000
DATE_COLUMNS = frozenset(
    {"received_at", "handling_due", "reply_due", "replied_at", "closed_at", "superior_due"}
)
# The petition's own values: the id first (the chunked reader keys a chunk's related rows by
# it), then, in this order, the first fields of every record both readers yield.
FIELDS = (
    "id",
    "number",
    "received_at",
    "channel",
    "category__name",
    "category__name_en",
    "title",
    "content",
    "requests",
    "status",
    "outcome",
    "closed_at",
    "superior_unit__name",
    "superior_reference",
    "superior_due_date",
)
# Read as naive office time (the petition's own dates; the clocks' and the reply's are read
# with their rows).
LOCAL_TIMES = frozenset({"received_at", "closed_at"})


def ledger_queryset(user, filters: PetitionFilters):
    """The petitions of the list, in the list's order, as plain values."""
    return petition_list(user, filters).values(*FIELDS)


def _chunks(iterator, size: int):
    while chunk := list(islice(iterator, size)):
        yield chunk


def _ids(ids: list[int]):
    """The chunk's ids for `petition_id__in`: on PostgreSQL one array parameter (2,000
    placeholders cost the driver more to send than the query costs the server)."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])  # noqa: S611 - a fixed query, ids as a parameter
    return ids


def _related(ids: list[int]) -> dict:
    """Everything a chunk of rows shows besides the petition itself: one query per kind."""
    ids = _ids(ids)
    people, handling, involved, due = defaultdict(list), defaultdict(list), defaultdict(list), {}
    # The masked copy, not the three sealed fields: one value to open per petitioner.
    for pid, name, masked in (
        Petitioner.objects.filter(petition_id__in=ids)
        .order_by("petition_id", "position", "id")
        .values_list("petition_id", "name", "masked")
    ):
        people[pid].append((name, read_masked_copy(masked)))
    for pid, unit in (
        Assignment.objects.filter(petition_id__in=ids)
        .exclude(status=AssignmentStatus.WITHDRAWN)
        .order_by("petition_id", "id")
        .values_list("petition_id", "unit_id")
    ):
        handling[pid].append(unit)
    for pid, unit in (
        InvolvedUnit.objects.filter(petition_id__in=ids)
        .order_by("petition_id", "id")
        .values_list("petition_id", "unit_id")
    ):
        involved[pid].append(unit)
    for pid, name, due_at in Deadline.objects.filter(
        petition_id__in=ids, name__in=("handling", "reply")
    ).values_list("petition_id", "name", "due_at"):
        due[(pid, name)] = due_at
    replied = dict(
        Reply.objects.filter(petition_id__in=ids)
        .values("petition_id")
        .annotate(last=Max("replied_at"))
        .values_list("petition_id", "last")
    )
    return {"people": people, "handling": handling, "involved": involved, "due": due, "replied": replied}


def ledger_rows(user, filters: PetitionFilters) -> Iterator[dict]:
    """One dict per petition, keyed like COLUMNS; dates as naive office-time datetimes."""
    for cells in ledger_cells(user, filters):
        yield dict(zip(KEYS, cells, strict=True))


def ledger_cells(user, filters: PetitionFilters) -> Iterator[list]:
    """One list per petition in the order of COLUMNS (what the writers take): text as str,
    dates as naive office-time datetimes or None."""
    english = (get_language() or "").startswith("en")
    # Labels translated once, not once per row.
    channels = {value: str(label) for value, label in Channel.choices}
    statuses = {value: str(label) for value, label in Status.choices}
    units = dict(Unit.objects.values_list("id", "name"))
    units_get = units.get
    records = _records_sql if connection.vendor == "postgresql" else _records_chunked
    for (
        number,
        received,
        channel,
        category,
        category_en,
        title,
        content,
        requests,
        status,
        outcome,
        closed,
        superior_unit,
        superior_reference,
        superior_due,
        people,
        handling,
        involved,
        handling_due,
        reply_due,
        replied,
    ) in records(user, filters):
        if people:
            names = "、".join(name for name, _masks in people)
            id_number = "、".join(m[0] for _name, m in people if m[0])
            phone = "、".join(m[1] for _name, m in people if m[1])
            address = "、".join(m[2] for _name, m in people if m[2])
        else:
            names = id_number = phone = address = ""
        # In the order of COLUMNS (checked below, at import).
        yield [
            number,
            received,
            channels.get(channel, channel),
            # Names are shown on screen; the numbers and the address are masked there.
            names,
            id_number,
            phone,
            address,
            category_en if english and category_en else category,
            title,
            content,
            requests,
            "、".join([units_get(u, "") for u in handling]) if handling else "",
            "、".join([units_get(u, "") for u in involved]) if involved else "",
            statuses.get(status, status),
            handling_due,
            reply_due,
            outcome,
            replied,
            closed,
            superior_unit or "",
            superior_reference,
            datetime.combine(superior_due, datetime.min.time()) if superior_due else None,
        ]


KEYS = tuple(c.key for c in COLUMNS)
assert KEYS == (  # noqa: S101 - ledger_cells writes its cells in this order
    "number",
    "received_at",
    "channel",
    "petitioner",
    "id_number",
    "phone",
    "address",
    "category",
    "title",
    "content",
    "requests",
    "handling_units",
    "involved_units",
    "status",
    "handling_due",
    "reply_due",
    "outcome",
    "replied_at",
    "closed_at",
    "superior_unit",
    "superior_reference",
    "superior_due",
), "ledger_cells writes its cells in the order of COLUMNS"
DATE_INDEXES = tuple(i for i, key in enumerate(KEYS) if key in DATE_COLUMNS)
TEXT_INDEXES = tuple(i for i, key in enumerate(KEYS) if key not in DATE_COLUMNS)


def _records_sql(user, filters: PetitionFilters) -> Iterator[tuple]:
    """PostgreSQL: every row with all it shows, in one statement streamed (_stream). Each
    petition's petitioners, units, clocks and last reply are subqueries of its row, so the database reads them while it walks the list, with no round trip and no
    per-chunk lookup tables in Python; dates come as office time (AT TIME ZONE)."""
    q = connection.ops.quote_name
    pid = f"{q(Petition._meta.db_table)}.{q('id')}"
    tz = office_tz().key

    def local(column: str) -> RawSQL:
        return RawSQL(f"{q(Petition._meta.db_table)}.{q(column)} AT TIME ZONE %s", [tz])  # noqa: S611

    def sub(sql: str, params=()) -> RawSQL:
        return RawSQL(f"SELECT {sql}", list(params))  # noqa: S611 - fixed SQL, values as parameters

    people = sub(
        f"array_agg(ARRAY[p.name, p.masked] ORDER BY p.position, p.id) "
        f"FROM {q(Petitioner._meta.db_table)} p WHERE p.petition_id = {pid}"
    )
    handling = sub(
        f"array_agg(a.unit_id ORDER BY a.id) FROM {q(Assignment._meta.db_table)} a "
        f"WHERE a.petition_id = {pid} AND a.status <> %s",
        [AssignmentStatus.WITHDRAWN.value],
    )
    involved = sub(
        f"array_agg(i.unit_id ORDER BY i.id) FROM {q(InvolvedUnit._meta.db_table)} i WHERE i.petition_id = {pid}"
    )

    # Both clocks in one look-up (one subquery fewer per row: about a tenth of the statement).
    dues = sub(
        "ARRAY[max(d.due_at) FILTER (WHERE d.name = %s) AT TIME ZONE %s, "
        "max(d.due_at) FILTER (WHERE d.name = %s) AT TIME ZONE %s] "
        f"FROM {q(Deadline._meta.db_table)} d WHERE d.petition_id = {pid} AND d.name IN (%s, %s)",
        ["handling", tz, "reply", tz, "handling", "reply"],
    )
    replied = sub(
        f"max(r.replied_at) AT TIME ZONE %s FROM {q(Reply._meta.db_table)} r WHERE r.petition_id = {pid}",
        [tz],
    )
    queryset = petition_list(user, filters).values_list(
        *(local(name) if name in LOCAL_TIMES else name for name in FIELDS[1:]),
        people,
        handling,
        involved,
        dues,
        replied,
    )
    open_masked = Petitioner._meta.get_field("masked").opener()
    for *row, (handling_due, reply_due), replied_at in _stream(queryset):
        if people := row[14]:
            row[14] = [(name, read_masked_copy(open_masked(masked))) for name, masked in people]
        yield (*row, handling_due, reply_due, replied_at)


def _stream(queryset) -> Iterator[tuple]:
    """The queryset's rows as the server sends them (libpq's chunked rows mode), not through
    a server-side cursor: Django declares that cursor WITH HOLD outside a transaction, so the
    server computed and stored every row before sending the first (about 9 s of the 13–16 s
    at 10⁵ rows), and then waited while this process wrote them. Streamed, the server
    computes the next rows (the list is read in its index's order, nothing to sort) while
    this process writes the ones before, the socket's buffer between them; memory stays
    flat. The connection is busy until the last row is read or the iterator is closed:
    nothing else may use it meanwhile (tasks.py writes a background export's progress
    through a connection of its own). The values are those Django's iterator gives: it
    applies no converters to these columns on PostgreSQL (tests/reports/test_ledger_paths.py)."""
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:  # a reader who may see no petition (visible_to: none())
        return
    database = connections[queryset.db]
    with database.cursor() as cursor:
        # Closed early, the stream cancels its statement when the server is still computing
        # it; inside a transaction (a caller's transaction.atomic) the cancelled statement
        # would abort the whole transaction. A savepoint keeps the failure to this statement.
        # Outside one (the download views) there is no savepoint and nothing to keep.
        savepoint = database.savepoint()
        # Recorded as Django records its own statements (core/logged.py), the time up to the
        # last row.
        with logged(cursor, sql, params):
            rows = cursor.cursor.stream(sql, params, size=CHUNK)
            try:
                yield from rows
            finally:
                rows.close()  # cancels the statement if the reader stopped early
                if savepoint and database.connection.info.transaction_status == TransactionStatus.INERROR:
                    database.savepoint_rollback(savepoint)
                elif savepoint:
                    database.savepoint_commit(savepoint)


def _records_chunked(user, filters: PetitionFilters) -> Iterator[tuple]:
    """SQLite: the rows in chunks, each chunk's related rows read in one query per kind."""
    tz = office_tz()

    def day(value) -> datetime | None:
        return value.astimezone(tz).replace(tzinfo=None) if value else None

    rows = ledger_queryset(user, filters).iterator(chunk_size=CHUNK)
    for chunk in _chunks(rows, CHUNK):
        related = _related([p["id"] for p in chunk])
        people, due, handling, involved = (
            related["people"],
            related["due"],
            related["handling"],
            related["involved"],
        )
        for p in chunk:
            pid = p["id"]
            yield (
                *(day(p[name]) if name in LOCAL_TIMES else p[name] for name in FIELDS[1:]),
                people.get(pid),
                handling.get(pid),
                involved.get(pid),
                day(due.get((pid, "handling"))),
                day(due.get((pid, "reply"))),
                day(related["replied"].get(pid)),
            )


def headings() -> list[str]:
    return [str(c.heading) for c in COLUMNS]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # as core/csv_export.safe_cell


def _escape(cells: list) -> list:
    """The cells as written: text that a spreadsheet would run as a formula prefixed with an
    apostrophe (core/csv_export.safe_cell, inlined: 16 calls a row were a tenth of a CSV row's
    time), None as ""."""
    for i in TEXT_INDEXES:
        value = cells[i]
        if value is None:
            cells[i] = ""
        elif value.startswith(_FORMULA_START):
            cells[i] = "'" + value
    return cells


def csv_stream(rows: Iterator[list], *, progress=None) -> Iterator[bytes]:
    """The ledger as CSV (UTF-8 with a byte order mark), in parts of CHUNK rows: `rows` from
    ledger_cells; `progress(n)` after each part."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # so that spreadsheet programs read the Chinese text as UTF-8
    writer.writerow([safe_cell(h) for h in headings()])
    yield _take(buffer)
    n = 0
    for chunk in _chunks(iter(rows), CHUNK):
        for cells in chunk:
            for i in DATE_INDEXES:
                value = cells[i]
                cells[i] = value.strftime("%Y-%m-%d") if value else ""
            _escape(cells)
        writer.writerows(chunk)
        n += len(chunk)
        yield _take(buffer)
        if progress:
            progress(n)


def _take(buffer: io.StringIO) -> bytes:
    """What `buffer` holds, as UTF-8; then empty it."""
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def write_xlsx(rows: Iterator[list], target, *, progress=None) -> int:
    """Write the ledger workbook to `target` (a path or a seekable binary file) from
    ledger_cells; returns the row count. `progress(n)` is called every CHUNK rows (the
    background export's progress bar)."""
    sheet = SheetWriter(
        target, sheet_name=str(_sheet_name()), widths=[c.width for c in COLUMNS], headings=headings()
    )
    n = 0
    for n, cells in enumerate(rows, start=1):
        sheet.write_row(_escape(cells))
        if progress and n % CHUNK == 0:
            progress(n)
    sheet.close()
    return n


def _sheet_name():
    from django.utils.translation import gettext

    return gettext("Ledger")


def xlsx_tempfile(rows: Iterator[dict], *, progress=None):
    """The workbook in an anonymous temporary file, rewound; and its row count."""
    # Closed by the FileResponse that streams it, after the last byte is sent.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    count = write_xlsx(rows, handle, progress=progress)
    handle.seek(0)
    return handle, count


def log_export(fmt: str, params: dict, *, user=None, rows: int | None = None) -> None:
    """One access-log entry per export: who, which format, which filters (never personal data)."""
    shown = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if v)[:150]
    detail = f"{fmt} {shown}" + (f" rows={rows}" if rows is not None else "")
    record("petition.export", object_type="ledger", object_ref=fmt, detail=detail, user=user)
