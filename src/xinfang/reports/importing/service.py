"""import_ledger: the one service behind the import page, the API and the bench.

All or nothing: every row is mapped and checked (check_registration, the registration's own
validation, with the units and categories read once) before anything is written; one bad row and
nothing is created. The rows are then written in bulk (bulk.py) inside one transaction: the same
rows registration writes for each petition (personal data sealed, blind indexes, repeat links,
clocks), numbers taken in one step, one chain event per petition carrying the file's SHA-256.
A closed historical matter is written closed with its outcome and dates and gets no clocks, so no
reminder or escalation ever fires for it. `bulk=False` registers row by row through
register_petition instead (rows.py): the reference the bulk path is tested against.
"""

from __future__ import annotations

import gc
import hashlib
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinfang.accounts.models import Unit
from xinfang.audit.access import record
from xinfang.audit.services import Context
from xinfang.core.errors import Forbidden, InvalidInput
from xinfang.core.lookups import among_values
from xinfang.petitions.models import Category, Petition
from xinfang.petitions.services.checks import check_registration
from xinfang.reports.importing import bulk, rows
from xinfang.reports.importing.mapping import Lookups, RowResult, map_row
from xinfang.reports.importing.reading import find_header, read_rows
from xinfang.reports.models import ImportedPetition, LedgerImport
from xinfang.reports.permissions import may_import

# check_registration's field paths -> the ledger column the user should fix.
_FIELD_COLUMNS = {
    "channel": "channel",
    "received_at": "received_at",
    "title": "title",
    "content": "content",
    "requests": "requests",
    "category": "category",
    "involved_units": "involved_units",
    "petitioners": "petitioner",
    "reception": "channel",
    "superior": "superior_unit",
}
LOOKUP = 1000  # values per IN (…) list: under SQLite's limit on bound parameters


@dataclass
class ImportReport:
    id: int | None = None
    rows: int = 0
    valid: int = 0
    created: int = 0
    skipped: int = 0
    errors: list[dict] = field(default_factory=list)
    # Row by row, what would be (or was) created: {"row", "number", "title", "closed", "action"}.
    plan: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "rows": self.rows,
            "valid": self.valid,
            "errors": self.errors,
            "created": self.created,
            "skipped": self.skipped,
        }


def _column_for(path: str) -> str:
    head = path.split(".")[0]
    if head == "superior":
        tail = path.split(".")[-1]
        return {"reference": "superior_reference", "due_date": "superior_due"}.get(tail, "superior_unit")
    if head == "petitioners":
        tail = path.split(".")[-1]
        return {"id_number": "id_number", "phone": "phone", "address": "address"}.get(tail, "petitioner")
    return _FIELD_COLUMNS.get(head, "title")


class _Rejected(Exception):
    """Rows found wrong while writing: the transaction rolls back, the report lists them."""


def _check(result: RowResult, now, active: dict):
    try:
        return check_registration(result.data, now=now, **active)
    except InvalidInput as exc:
        for path, messages in exc.errors.items():
            for message in messages:
                result.error(_column_for(path), message)
        return None


def _plan(content: bytes, report: ImportReport) -> list[tuple[RowResult, object]]:
    rows = read_rows(content)
    header_index, mapping = find_header(rows)
    lookups = Lookups()
    now = timezone.now()
    results = []
    for offset, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        cells = {key: row[col] for col, key in mapping.items() if col < len(row)}
        results.append(map_row(offset, cells, lookups, now))
    report.rows = len(results)
    numbers = sorted({r.original_number for r in results if r.original_number})
    known = _known(numbers)
    # Read once for every row's check_registration (the same answers as its own queries, and
    # the date of the same moment `now` the rows are checked at).
    active = {
        "active_units": Unit.objects.filter(active=True).in_bulk(),
        "active_categories": {c.code: c for c in Category.objects.filter(active=True)},
        "today": timezone.localdate(now),
    }
    seen: dict[str, int] = {}
    planned = []
    for result in results:
        number = result.original_number
        if number in known:
            report.skipped += 1
            report.plan.append(
                {
                    "row": result.row,
                    "number": number,
                    "title": result.data.get("title", ""),
                    "closed": result.closed,
                    "action": "skip",
                }
            )
            continue
        if number and number in seen:
            result.error("number", _("The same number is on row %(row)d.") % {"row": seen[number]})
        seen.setdefault(number, result.row)
        checked = _check(result, now, active)
        if result.errors:
            report.errors.extend(result.errors)
            continue
        report.valid += 1
        report.plan.append(
            {
                "row": result.row,
                "number": number,
                "title": result.data["title"],
                "closed": result.closed,
                "action": "create",
            }
        )
        # The checked input is what is written; the mapped dict is not needed any more (about a
        # kilobyte a row, kept for every row of the ledger until the end of the write).
        result.data = {}
        planned.append((result, checked))
    return planned


def _known(numbers: list[str]) -> set[str]:
    """The ledger's numbers already here: imported before, or a petition's own number (a ledger
    exported from Xinfang names its own numbers: those petitions are already here)."""
    known: set[str] = set()
    for model, column in ((ImportedPetition, "original_number"), (Petition, "number")):
        for among in among_values(column, numbers, array_type="text", per_list=LOOKUP):
            known |= set(model.objects.filter(among).values_list(column, flat=True))
    return known


def _reject(report: ImportReport, errors: list[dict]) -> None:
    if not errors:
        return
    rows = {e["row"] for e in errors}
    report.errors = sorted(report.errors + errors, key=lambda e: e["row"])
    report.valid -= len(rows)
    report.plan = [p for p in report.plan if p["row"] not in rows]


@contextmanager
def _no_cycle_collection():
    """Python's cycle collector held off while a ledger is checked and written. The import
    holds every row's checked input (and a chunk's model instances) until it ends, so each full
    collection walks more objects than the last, for garbage it almost never finds (the rows
    are freed by their reference counts; bulk.py builds no row that refers back to its
    petition): at 10⁵ rows the collections were over a quarter of the planning's CPU
    (docs/benchmarks.md, round 16). Collection resumes afterwards, for the
    whole process (its other threads' cycles wait until then), unless something else had
    turned it off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_ledger(
    *, ctx: Context, filename: str, content: bytes, dry_run: bool, bulk_write: bool = True
) -> ImportReport:
    """Check a ledger file row by row and, unless `dry_run` or any row is wrong, import it."""
    if not may_import(ctx.actor):
        raise Forbidden(_("Only petition office staff and leaders import ledgers."))
    # Row by row (the reference, rows.py) every registration leaves cycles of its own (its
    # querysets: about 140 objects a row), which the collector must be there to free.
    with _no_cycle_collection() if bulk_write else nullcontext():
        return _import(ctx, filename, content, dry_run=dry_run, bulk_write=bulk_write)


def _import(ctx: Context, filename: str, content: bytes, *, dry_run: bool, bulk_write: bool) -> ImportReport:
    digest = hashlib.sha256(content).hexdigest()
    earlier = LedgerImport.objects.filter(sha256=digest).first()
    if earlier is not None:
        # The same file again: nothing to do, whatever the rows say now.
        return ImportReport(id=earlier.pk, rows=earlier.rows, valid=earlier.rows, skipped=earlier.rows)
    report = ImportReport()
    planned = _plan(content, report)
    if dry_run and planned:
        # What only writing shows (an involvement that hides the petition, Rule 4.3), so that a
        # dry run without errors is an import without errors.
        _reject(report, bulk.check_reach(ctx.actor, planned))
    if dry_run or report.errors or not planned:
        return report
    try:
        with transaction.atomic():
            ledger = LedgerImport.objects.create(
                sha256=digest, filename=filename[:200], size=len(content), rows=report.rows, by=ctx.actor
            )
            errors = (bulk if bulk_write else rows).write(ctx, ledger, planned, digest)
            if errors:
                raise _Rejected(errors)
            report.created = len(planned)
            ledger.created, ledger.skipped = report.created, report.skipped
            ledger.save(update_fields=["created", "skipped"])
    except IntegrityError:
        # The same file, or rows with the same original numbers, imported by someone else
        # between this check and this write (unique sha256 / original_number): nothing kept.
        raise InvalidInput(
            {
                "file": [
                    _(
                        "This file, or some of its rows, was imported by someone else a moment ago. "
                        "Check it again before importing."
                    )
                ]
            }
        ) from None
    except _Rejected as rejected:
        # Nothing was kept; the rows that cannot be imported are listed like any other error.
        _reject(report, rejected.args[0])
        return report
    report.id = ledger.pk
    record(
        "ledger.import",
        object_type="import",
        object_ref=str(ledger.pk),
        detail=f"sha256={digest} rows={report.rows} created={report.created}",
        user=ctx.actor,
    )
    return report
