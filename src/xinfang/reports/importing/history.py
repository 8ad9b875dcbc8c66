"""What only an import adds to a registration: a closed matter's reply and the old ledger's
handling units, and the event that seals the import in the petition's chain. Shared by the bulk
path (bulk.py) and the row-by-row path it is tested against (rows.py), so both write the same."""

from __future__ import annotations

from xinfang.petitions.workflow_models import (
    Assignment,
    AssignmentKind,
    AssignmentRole,
    AssignmentStatus,
    Reply,
    ReplyMethod,
)
from xinfang.reports.importing.mapping import RowResult


def history_rows(petition, result: RowResult, actor) -> tuple[list[Reply], list[Assignment]]:
    """Unsaved rows for a closed matter: its reply (when the ledger dates one) and its handling
    units (lead first, as the ledger lists them). An open matter gets neither: it is registered
    anew and the office assigns it in Xinfang (Rule 2.2); its old handling units stay on record
    in the import event. Built by ids (the petition is written already): the related-object
    descriptors cost more than the rest of each row, at 10⁵ rows."""
    if not result.closed:
        return [], []
    replies = []
    if result.replied_at:
        replies.append(
            Reply(
                petition_id=petition.pk,
                method=ReplyMethod.WRITTEN,
                content=result.outcome,
                replied_at=result.replied_at,
                by_id=actor.pk,
            )
        )
    assignments = [
        Assignment(
            petition_id=petition.pk,
            # The petition's time, as Assignment's manager copies it (with_received_at).
            received_at=petition.received_at,
            unit_id=unit_id,
            role=AssignmentRole.LEAD if i == 0 else AssignmentRole.ASSIST,
            kind=AssignmentKind.TRANSFER,
            # The lead unit's result is what closed the matter; assisting units' work is done.
            status=AssignmentStatus.RESULT_SUBMITTED if i == 0 else AssignmentStatus.RECEIVED,
            assigned_by_id=actor.pk,
        )
        for i, unit_id in enumerate(result.handling_units)
    ]
    return replies, assignments


def import_data(ledger_id: int, digest: str, result: RowResult) -> dict:
    """The import's part of the event data (both paths)."""
    return {
        "import": ledger_id,
        "sha256": digest,
        "original_number": result.original_number,
        "row": result.row,
        "closed": result.closed,
        "handling_units": result.handling_units,
    }
