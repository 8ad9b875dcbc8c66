"""What the queues and /outstanding/ sort and filter by, kept on the petition row (issue 9).

- `lead_unit`: the unit of the petition's live lead assignment (at most one, a constraint);
  empty while the petition office itself works it.
- `next_due_at`: the earliest end of its running clocks (open and not paused); empty when
  none runs. "Overdue" is then `next_due_at < now`, a column test a partial index answers,
  instead of an EXISTS over the clocks for every open petition.
- `result_by`, `result_unit`, `result_live_unit`: of the current result (the newest not sent
  back), its submitter, its assignment's unit, and that unit only while the assignment is not
  withdrawn. The signing queue decides who signs from them and the index
  petition_results_to_sign, instead of reading each waiting petition's results and assignment
  (15,000 petitions at 10⁶: 350 ms for a leader's count).

Both used to be computed per request from the assignments and clocks of every open
petition the reader may see: /outstanding/ grouped hundreds of thousands of rows at 10⁶
petitions (2.8–4 s at 616,000). Kept here, the page is an index walk with LIMIT.

Who keeps them: every writer of clocks or assignments calls `refresh` in its transaction:
the workflow's `acting` (every action), registration's correction, the clock actions
(deadlines/services.py). Registration, the ledger import and the bench's realistic fill set them
on the new petition before writing it, from the clocks and handling units they are about to write
(`running_due`; the import's closed matters: the first handling unit leads). `test_derived_columns.py`
compares them with a recomputation after random actions.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, Subquery

# Ids per UPDATE: SQLite's limit on bound parameters is far above this on every build we run.
BATCH = 500


def lead_unit_expression() -> Subquery:
    from xinfang.petitions.workflow_models import Assignment, AssignmentRole, AssignmentStatus

    return Subquery(
        Assignment.objects.filter(petition=OuterRef("pk"), role=AssignmentRole.LEAD)
        .exclude(status=AssignmentStatus.WITHDRAWN)
        .order_by("id")
        .values("unit_id")[:1]
    )


def next_due_expression() -> Subquery:
    from xinfang.petitions.models import Deadline

    return Subquery(
        Deadline.objects.filter(petition=OuterRef("pk"), met_at__isnull=True, paused_at__isnull=True)
        .order_by("due_at")
        .values("due_at")[:1]
    )


def result_expressions() -> dict[str, Subquery]:
    """The current result's submitter, its assignment's unit, and that unit while the assignment
    is live: the columns the signing queue reads (queues._to_sign)."""
    from django.db.models import Case, Q, When

    from xinfang.petitions.workflow_models import AssignmentStatus, Result

    current = Result.objects.filter(petition=OuterRef("pk"), sent_back_at__isnull=True).order_by("-id")
    live_unit = Case(When(~Q(assignment__status=AssignmentStatus.WITHDRAWN), then="assignment__unit_id"))
    return {
        "result_by_id": Subquery(current.values("submitted_by_id")[:1]),
        "result_unit_id": Subquery(current.values("assignment__unit_id")[:1]),
        "result_live_unit_id": Subquery(current.annotate(live_unit=live_unit).values("live_unit")[:1]),
    }


def running_due(clocks) -> object | None:
    """`next_due_at` from clock objects already in hand (registration builds them)."""
    return min((c.due_at for c in clocks if c.met_at is None and c.paused_at is None), default=None)


def refresh(petition_ids: Iterable[int], **also) -> None:
    """Recompute the columns of these petitions from their assignments and clocks: one UPDATE
    per BATCH ids, with the values computed by the database (the writer's own transaction
    sees its rows). `also`: other columns the caller writes in the same statement (the
    workflow's new status)."""
    from xinfang.petitions.models import Petition

    ids = sorted(set(petition_ids))
    for start in range(0, len(ids), BATCH):
        Petition.objects.filter(pk__in=ids[start : start + BATCH]).update(
            lead_unit_id=lead_unit_expression(),
            next_due_at=next_due_expression(),
            **result_expressions(),
            **also,
        )


def refresh_range(first_id: int, last_id: int) -> int:
    """Recompute the columns for every petition with an id in [first_id, last_id] (bulk fills
    and the migration's backfill: no id list to send)."""
    from xinfang.petitions.models import Petition

    return Petition.objects.filter(pk__gte=first_id, pk__lte=last_id).update(
        lead_unit_id=lead_unit_expression(), next_due_at=next_due_expression(), **result_expressions()
    )
