"""import_ledger: the one service behind the import page, the API and the bench.

All or nothing: every row is mapped and checked (check_registration, the registration's own
validation) before anything is written; one bad row and nothing is created. Each petition is
then registered through register_petition, exactly as on the registration page (personal data
sealed, blind indexes, repeat links, the text-changed signal), inside one transaction.
A closed historical matter then gets its outcome and dates and loses the clocks registration
started, so no reminder or escalation ever fires for it. Every imported petition's chain gets
one "petition.imported" event carrying the file's SHA-256 and its original number.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinfang.audit.access import record
from xinfang.audit.services import Context, append_event
from xinfang.core.errors import Forbidden, InvalidInput
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Deadline, Petition
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition
from xinfang.petitions.workflow_models import Reply, ReplyMethod
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
}


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
    if head == "petitioners":
        tail = path.split(".")[-1]
        return {"id_number": "id_number", "phone": "phone", "address": "address"}.get(tail, "petitioner")
    return _FIELD_COLUMNS.get(head, "title")


def _check(result: RowResult):
    try:
        return check_registration(result.data)
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
    numbers = [r.original_number for r in results if r.original_number]
    known = set(
        ImportedPetition.objects.filter(original_number__in=numbers).values_list("original_number", flat=True)
    )
    # A ledger exported from Xinfang names its own numbers: those petitions are already here.
    known |= set(Petition.objects.filter(number__in=numbers).values_list("number", flat=True))
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
        checked = _check(result)
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
        planned.append((result, checked))
    return planned


def import_ledger(*, ctx: Context, filename: str, content: bytes, dry_run: bool) -> ImportReport:
    """Check a ledger file row by row and, unless `dry_run` or any row is wrong, import it."""
    if not may_import(ctx.actor):
        raise Forbidden(_("Only petition office staff and leaders import ledgers."))
    digest = hashlib.sha256(content).hexdigest()
    earlier = LedgerImport.objects.filter(sha256=digest).first()
    if earlier is not None:
        # The same file again: nothing to do, whatever the rows say now.
        return ImportReport(id=earlier.pk, rows=earlier.rows, valid=earlier.rows, skipped=earlier.rows)
    report = ImportReport()
    planned = _plan(content, report)
    if dry_run or report.errors or not planned:
        return report
    with transaction.atomic():
        ledger = LedgerImport.objects.create(
            sha256=digest, filename=filename[:200], size=len(content), rows=report.rows, by=ctx.actor
        )
        for result, data in planned:
            _import_one(ctx, ledger, result, data, digest)
        report.created = len(planned)
        ledger.created, ledger.skipped = report.created, report.skipped
        ledger.save(update_fields=["created", "skipped"])
    report.id = ledger.pk
    record(
        "ledger.import",
        object_type="import",
        object_ref=str(ledger.pk),
        detail=f"sha256={digest} rows={report.rows} created={report.created}",
        user=ctx.actor,
    )
    return report


def _import_one(ctx: Context, ledger: LedgerImport, result: RowResult, data, digest: str) -> Petition:
    petition, _created = register_petition(ctx=ctx, data=data)
    ImportedPetition.objects.create(
        petition=petition, ledger_import=ledger, original_number=result.original_number, row=result.row
    )
    if result.closed:
        # A matter closed long ago: its clocks never run (no reminders, no escalations).
        Deadline.objects.filter(petition=petition).delete()
        if result.replied_at:
            Reply.objects.create(
                petition=petition,
                method=ReplyMethod.WRITTEN,
                content=result.outcome,
                replied_at=result.replied_at,
                by=ctx.actor,
            )
        Petition.objects.filter(pk=petition.pk).update(
            status=Status.CLOSED, outcome=result.outcome, closed_at=result.closed_at
        )
    append_event(
        petition,
        ctx,
        "petition.imported",
        {
            "import": ledger.pk,
            "sha256": digest,
            "original_number": result.original_number,
            "row": result.row,
            "closed": result.closed,
        },
    )
    return petition
