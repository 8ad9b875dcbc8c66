"""The ledger (台账) export: one row per petition of a filtered list, as .xlsx or .csv.

Rows are read in chunks (iterator with prefetching) and written as they come: the CSV is a
streamed response, the workbook is written by xlsxwriter in constant_memory mode to a temporary
file, then streamed from it. Personal data is masked exactly as on the list and petition pages
(petitions/masking.py); every text cell that a spreadsheet would run as a formula is escaped
(core/csv_export.safe_cell), and text is always written as text, never as a formula.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from datetime import datetime

import xlsxwriter
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import get_language

from xinfang.audit.access import record
from xinfang.core.csv_export import safe_cell
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.masking import mask_address, mask_id_number, mask_phone
from xinfang.petitions.models import Deadline, InvolvedUnit, Petitioner
from xinfang.petitions.selectors import PetitionFilters, petition_list
from xinfang.petitions.workflow_models import Assignment, AssignmentStatus, Reply
from xinfang.reports.columns import COLUMNS

CHUNK = 2000
DATE_COLUMNS = frozenset(
    {"received_at", "handling_due", "reply_due", "replied_at", "closed_at", "superior_due"}
)


def ledger_queryset(user, filters: PetitionFilters):
    return (
        petition_list(user, filters)
        .select_related("superior_unit")
        .prefetch_related(
            Prefetch("petitioners", queryset=Petitioner.objects.order_by("position")),
            Prefetch(
                "assignments",
                queryset=Assignment.objects.exclude(status=AssignmentStatus.WITHDRAWN).select_related("unit"),
            ),
            Prefetch("involved_units", queryset=InvolvedUnit.objects.select_related("unit")),
            Prefetch("deadlines", queryset=Deadline.objects.filter(name__in=("handling", "reply"))),
            Prefetch("replies", queryset=Reply.objects.order_by("replied_at", "id")),
        )
    )


def _day(value) -> datetime | None:
    return timezone.localtime(value, office_tz()).replace(tzinfo=None) if value else None


def ledger_rows(user, filters: PetitionFilters) -> Iterator[dict]:
    """One dict per petition, keyed like COLUMNS; dates as naive office-time datetimes."""
    english = (get_language() or "").startswith("en")
    for p in ledger_queryset(user, filters).iterator(chunk_size=CHUNK):
        people = list(p.petitioners.all())
        deadlines = {d.name: d.due_at for d in p.deadlines.all()}
        replies = list(p.replies.all())
        yield {
            "number": p.number,
            "received_at": _day(p.received_at),
            "channel": p.get_channel_display(),
            # Names are shown on screen; the numbers and the address are masked there.
            "petitioner": "、".join(x.name for x in people),
            "id_number": "、".join(mask_id_number(x.id_number) for x in people if x.id_number),
            "phone": "、".join(mask_phone(x.phone) for x in people if x.phone),
            "address": "、".join(mask_address(x.address) for x in people if x.address),
            "category": p.category.name_en if english and p.category.name_en else p.category.name,
            "title": p.title,
            "content": p.content,
            "requests": p.requests,
            "handling_units": "、".join(a.unit.name for a in p.assignments.all()),
            "involved_units": "、".join(i.unit.name for i in p.involved_units.all()),
            "status": p.get_status_display(),
            "handling_due": _day(deadlines.get("handling")),
            "reply_due": _day(deadlines.get("reply")),
            "outcome": p.outcome,
            "replied_at": _day(replies[-1].replied_at) if replies else None,
            "closed_at": _day(p.closed_at),
            "superior_unit": p.superior_unit.name if p.superior_unit_id else "",
            "superior_reference": p.superior_reference,
            "superior_due": (
                datetime.combine(p.superior_due_date, datetime.min.time()) if p.superior_due_date else None
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
    """Write the ledger workbook to `target` (a path or file object); returns the row count.
    `progress(n)` is called every CHUNK rows (the background export's progress bar)."""
    workbook = xlsxwriter.Workbook(
        target, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet(str(_sheet_name()))
    bold = workbook.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1, "text_wrap": True})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for col, column in enumerate(COLUMNS):
        sheet.set_column(col, col, column.width)
        sheet.write_string(0, col, str(column.heading), bold)
    sheet.freeze_panes(1, 1)
    n = 0
    for n, row in enumerate(rows, start=1):
        for col, column in enumerate(COLUMNS):
            value = row[column.key]
            if value is None or value == "":
                continue
            if column.key in DATE_COLUMNS:
                sheet.write_datetime(n, col, value, day)
            else:
                sheet.write_string(n, col, safe_cell(value))
        if progress and n % CHUNK == 0:
            progress(n)
    if n:
        sheet.autofilter(0, 0, n, len(COLUMNS) - 1)
    workbook.close()
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
