"""The ledger (台账) export: one row per petition of a filtered list, as .xlsx or .csv.

Rows are read as plain values through a server-side cursor (PostgreSQL; SQLite reads in
chunks), and each chunk's petitioners, units, clocks and replies are read in one query per kind
for the whole chunk, then written as they come: the CSV is a streamed response, the workbook is
streamed into a temporary file (reports/xlsx_stream.py), then sent from it. Memory stays flat
whatever the number of rows. (Model instances with prefetch_related cost about 2.5 ms a row:
Django builds a queryset per petition and relation to fill its caches, and each
get_..._display() call translated the choice labels again.)

Personal data is masked exactly as on the list and petition pages (petitions/masking.py); every
text cell that a spreadsheet would run as a formula is escaped (core/csv_export.safe_cell), and
text is always written as text, never as a formula.
"""

from __future__ import annotations

import csv
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from itertools import islice

from django.db import connection
from django.db.models import Max
from django.db.models.expressions import RawSQL
from django.utils.translation import get_language

from xinfang.accounts.models import Unit
from xinfang.audit.access import record
from xinfang.core.csv_export import safe_cell
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.masking import read_masked_copy
from xinfang.petitions.models import Deadline, InvolvedUnit, Petitioner
from xinfang.petitions.selectors import PetitionFilters, petition_list
from xinfang.petitions.workflow_models import Assignment, AssignmentStatus, Reply
from xinfang.reports.columns import COLUMNS
from xinfang.reports.xlsx_stream import SheetWriter

CHUNK = 2000
DATE_COLUMNS = frozenset(
    {"received_at", "handling_due", "reply_due", "replied_at", "closed_at", "superior_due"}
)
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
        people[pid].append((name, *read_masked_copy(masked)))
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
    english = (get_language() or "").startswith("en")
    tz = office_tz()

    def day(value) -> datetime | None:
        return value.astimezone(tz).replace(tzinfo=None) if value else None

    # Labels translated once, not once per row.
    channels = {value: str(label) for value, label in Channel.choices}
    statuses = {value: str(label) for value, label in Status.choices}
    units = dict(Unit.objects.values_list("id", "name"))
    rows = ledger_queryset(user, filters).iterator(chunk_size=CHUNK)
    for chunk in _chunks(rows, CHUNK):
        related = _related([p["id"] for p in chunk])
        people, due = related["people"], related["due"]
        for p in chunk:
            pid = p["id"]
            persons = people.get(pid, ())
            yield {
                "number": p["number"],
                "received_at": day(p["received_at"]),
                "channel": channels.get(p["channel"], p["channel"]),
                # Names are shown on screen; the numbers and the address are masked there.
                "petitioner": "、".join(x[0] for x in persons),
                "id_number": "、".join(x[1] for x in persons if x[1]),
                "phone": "、".join(x[2] for x in persons if x[2]),
                "address": "、".join(x[3] for x in persons if x[3]),
                "category": p["category__name_en"]
                if english and p["category__name_en"]
                else p["category__name"],
                "title": p["title"],
                "content": p["content"],
                "requests": p["requests"],
                "handling_units": "、".join(units.get(u, "") for u in related["handling"].get(pid, ())),
                "involved_units": "、".join(units.get(u, "") for u in related["involved"].get(pid, ())),
                "status": statuses.get(p["status"], p["status"]),
                "handling_due": day(due.get((pid, "handling"))),
                "reply_due": day(due.get((pid, "reply"))),
                "outcome": p["outcome"],
                "replied_at": day(related["replied"].get(pid)),
                "closed_at": day(p["closed_at"]),
                "superior_unit": p["superior_unit__name"] or "",
                "superior_reference": p["superior_reference"],
                "superior_due": (
                    datetime.combine(p["superior_due_date"], datetime.min.time())
                    if p["superior_due_date"]
                    else None
                ),
            }


def headings() -> list[str]:
    return [str(c.heading) for c in COLUMNS]


class _Echo:
    def write(self, value):
        return value


def csv_stream(rows: Iterator[dict]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so that spreadsheet programs read the Chinese text as UTF-8
    yield writer.writerow([safe_cell(h) for h in headings()])
    for row in rows:
        yield writer.writerow(
            [
                (row[c.key].strftime("%Y-%m-%d") if row[c.key] else "")
                if c.key in DATE_COLUMNS
                else safe_cell(row[c.key])
                for c in COLUMNS
            ]
        )


def write_xlsx(rows: Iterator[dict], target, *, progress=None) -> int:
    """Write the ledger workbook to `target` (a path or a seekable binary file); returns the row
    count. `progress(n)` is called every CHUNK rows (the background export's progress bar)."""
    sheet = SheetWriter(
        target, sheet_name=str(_sheet_name()), widths=[c.width for c in COLUMNS], headings=headings()
    )
    keys = [c.key for c in COLUMNS]
    n = 0
    for n, row in enumerate(rows, start=1):
        sheet.write_row([row[k] if k in DATE_COLUMNS else safe_cell(row[k]) for k in keys])
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
