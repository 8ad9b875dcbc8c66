"""The row-by-row import: each petition through register_petition, exactly as on the registration
page. It is the reference the bulk path (bulk.py) is tested against, and the bench's "before";
about 25 ms a row, so the service uses it only when asked (`bulk=False`)."""

from __future__ import annotations

from django.db import transaction

from xinfang.audit.services import Context, append_event
from xinfang.core.errors import InvalidInput
from xinfang.petitions import derived
from xinfang.petitions.choices import Status
from xinfang.petitions.hooks import petition_text_changed
from xinfang.petitions.models import Deadline, Petition
from xinfang.petitions.services.registration import register_petition
from xinfang.petitions.workflow_models import Assignment, Reply
from xinfang.reports.importing.history import history_rows, import_data
from xinfang.reports.importing.mapping import RowResult
from xinfang.reports.models import ImportedPetition, LedgerImport


def write(ctx: Context, ledger: LedgerImport, planned, digest: str) -> list[dict]:
    """Import every planned row; returns the row errors found while writing (the caller rolls
    the whole import back when there are any)."""
    errors: list[dict] = []
    for result, data in planned:
        try:
            with transaction.atomic():
                _import_one(ctx, ledger, result, data, digest)
        except InvalidInput as exc:  # ensure_reachable: an involvement that hides the petition
            for messages in exc.errors.values():
                for message in messages:
                    result.error("involved_units", message)
            errors.extend(result.errors)
    return errors


def _import_one(ctx: Context, ledger: LedgerImport, result: RowResult, data, digest: str) -> Petition:
    petition, _created = register_petition(ctx=ctx, data=data)
    ImportedPetition.objects.create(
        petition=petition, ledger_import=ledger, original_number=result.original_number, row=result.row
    )
    if result.closed:
        # A matter closed long ago: its clocks never run (no reminders, no escalations).
        Deadline.objects.filter(petition=petition).delete()
        replies, assignments = history_rows(petition, result, ctx.actor)
        Reply.objects.bulk_create(replies)
        Assignment.objects.bulk_create(assignments)
        # With the queues' columns (no clock left, the ledger's lead unit), in one UPDATE.
        derived.refresh(
            [petition.pk], status=Status.CLOSED, outcome=result.outcome, closed_at=result.closed_at
        )
        petition.status, petition.outcome, petition.closed_at = (
            Status.CLOSED,
            result.outcome,
            result.closed_at,
        )
        # The outcome and the reply are searchable text too.
        petition_text_changed.send(sender=Petition, petition=petition, reason="imported")
    append_event(petition, ctx, "petition.imported", import_data(ledger.pk, digest, result))
    return petition
