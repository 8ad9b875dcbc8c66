"""Each person's work queues (DESIGN.md §4): what waits for them to act, by role.

Every queue is a filter of `visible_to(user)`. Queues that depend on who is the
leader in charge of a result are narrowed by the same actor checks the services
use, so a queue never offers an action that would then be refused.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import BigIntegerField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import LEADER_ROLES, Role
from xinfang.core.statements import Clock
from xinfang.petitions.choices import TO_ARCHIVE_STATUSES, Channel, Status
from xinfang.petitions.hooks import petition_queues
from xinfang.petitions.models import Petition
from xinfang.petitions.workflow_models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Coordination,
    Instruction,
    Report,
    Signoff,
)

DUE_SOON_DAYS = 3
NONE = 0  # no unit: ids start at 1


class Queue:
    """One queue: its name, label and petitions (a queryset, or a list already narrowed).

    A handling officer's queue found along their units' assignments (_along_assignments) has
    `keys` instead: one assignment per petition of the queue, each carrying its petition's
    (received_at, id). It is counted from these and its rows are read by the ids of a slice
    of them through `rows` (the read policy probed by id); `petitions`, the whole queue as
    petitions, is then built only when asked for (building it cost a few thousand Python calls
    for a page that never reads it)."""

    def __init__(self, name: str, label, petitions: list | QuerySet | None = None, *, keys=None, rows=None):
        self.name, self.label = name, label
        self.keys: QuerySet | None = keys
        self.rows: QuerySet | None = rows
        self._petitions = petitions

    @property
    def petitions(self) -> list | QuerySet:
        if self._petitions is None:
            self._petitions = self.rows.filter(pk__in=self.keys.values("petition_id"))
        return self._petitions

    @property
    def countable(self) -> list | QuerySet:
        """What count_all counts for this queue: one row per petition."""
        return self.keys if self.keys is not None else self.petitions

    @property
    def count(self) -> int:
        return len(self.countable) if isinstance(self.countable, list) else self.countable.count()

    def first(self, n: int, *, start: int = 0, oldest: bool = False, only: tuple[str, ...] = ()) -> list:
        """The queue's petitions start..start + n, newest first (`oldest`: oldest first), read in
        one statement; `only`: just these fields, without the related rows. For a queue with
        keys, the petitions whose ids are those keys (a subquery with its own LIMIT): only they
        are read, through the read policy again."""
        if isinstance(self.countable, list):
            return self.countable[start : start + n]
        return list(self.first_queryset(n, start=start, oldest=oldest, only=only))

    def first_queryset(
        self, n: int, *, start: int = 0, oldest: bool = False, only: tuple[str, ...] = ()
    ) -> QuerySet:
        """first()'s statement as a queryset (a queue of petitions, not a list)."""
        order = ("received_at", "id") if oldest else ("-received_at", "-id")
        if self.keys is None:
            qs, cut = self.petitions, slice(start, start + n)
        else:
            key_order = ("received_at", "petition_id") if oldest else ("-received_at", "-petition_id")
            ids = self.keys.order_by(*key_order).values("petition_id")[start : start + n]
            qs, cut = self.rows.filter(pk__in=ids), slice(0, n)
        if only:
            qs = qs.select_related(None).only(*only)
        return qs.order_by(*order)[cut]


# The API counts each queue up to this many petitions and says "more than" beyond (issue 9):
# an exact count walked, say, every closed petition waiting to be archived (42,000 at 10⁵)
# under the read policy on each request. The queue's own page lists and counts all of them.
QUEUE_COUNT_CAP = 1_000


def counted(queues: list[Queue], *, cap: int | None = None) -> list[tuple[Queue, int, bool]]:
    """Each queue with its count and whether the count is exact: every count in ONE statement
    (selectors.count_all), each stopping after cap + 1 rows. Beyond the cap the count given is
    `cap` and not exact ("more than cap"); nothing is left out of the queues themselves."""
    from xinfang.petitions.selectors import count_all

    cap = QUEUE_COUNT_CAP if cap is None else cap
    numbers = count_all(
        {str(i): q.countable for i, q in enumerate(queues) if isinstance(q.countable, QuerySet)}, cap=cap
    )
    out = []
    for i, queue in enumerate(queues):
        n = numbers[str(i)] if str(i) in numbers else len(queue.countable)
        out.append((queue, min(n, cap), n <= cap))
    return out


def _base(user) -> QuerySet:
    return Petition.objects.visible_to(user).select_related("category", "first_responder")


def _unapproved_report():
    return Exists(Report.objects.filter(petition=OuterRef("pk"), approved_at__isnull=True))


def signing_units(user) -> tuple[int, ...] | None:
    """The units whose results `user` signs as the leader in charge (nearest up the tree), with,
    for the Secretary-General and deputies, those where no leader is named and NONE; None for a
    user with no signing queue. Read from the unit tree on each call (one statement): the home
    page keys its kept statement on it (petitions/home.py), so a leader named or moved since
    counts with the new tree at once."""
    if not (user.has_role(*LEADER_ROLES) or (user.has_role(Role.HANDLER) and user.unit_id)):
        return None
    nearest = _nearest_leaders()
    units = [unit for unit, leader in nearest.items() if leader == user.pk]
    if user.has_role(Role.SECRETARY_GENERAL, Role.DEPUTY_SECRETARY_GENERAL):
        # They stand in where no unit up the tree names a leader in charge, or none decides
        # (NONE below).
        units += [unit for unit, leader in nearest.items() if leader is None] + [NONE]
    return tuple(units)


def _to_sign(user, base, units: tuple[int, ...]) -> QuerySet:
    """Results waiting for `user`'s signature (Rule 3.3), decided in SQL with the same
    checks as actors.result_signer and actors.leader_in_charge, so the queue is complete
    (it once narrowed 500 candidates in Python and silently stopped there):

    - the current result is the newest not sent back;
    - `user` signs it as its handling officer (submitted it, or handles at the unit
      whose assignment produced it), or as the leader in charge of the unit that
      produced it (the result's assignment's unit, else the lead unit, else the first
      responder's unit), going up the tree to the nearest named leader, or standing
      in as Secretary-General or deputy where none is named;
    - `user` has not signed a live result of the petition yet.

    `units`: signing_units(user)."""
    if not user.is_active:
        return base.none()
    # Who signs the current result (the newest not sent back) is read from the petition's own
    # columns (derived.py), from the index petition_results_to_sign. Issue 9: two scalar
    # subqueries per waiting petition (its current result, then that result with its
    # assignment) cost 350 ms for a leader's count at 10^6 petitions, 15,000 of them waiting.
    signer = Q(result_by=user.pk)
    if user.has_role(Role.HANDLER) and user.unit_id:
        # The current result's assignment is live and belongs to the handler's unit (or one
        # above it): the unit kept only while that assignment is not withdrawn.
        signer |= Q(result_live_unit_id__in=user.unit.ancestor_ids)
    # The unit that decides: the result's assignment's (withdrawn or not), else the lead unit,
    # else the first responder's; NONE when none.
    deciding = Coalesce(
        F("result_unit_id"),
        F("lead_unit_id"),
        F("first_responder__unit_id"),
        Value(NONE),
        output_field=BigIntegerField(),
    )
    signed = Signoff.objects.filter(
        result__petition=OuterRef("pk"), result__sent_back_at__isnull=True, user=user
    )
    return (
        base.filter(status=Status.RESULT_SUBMITTED, result_by__isnull=False)
        .annotate(deciding=deciding)
        .filter(signer | Q(deciding__in=units))
        .exclude(Exists(signed))
    )


def _two_units_or_more() -> Q:
    """Two or more live assignments. A petition has at most one live lead (a constraint), so
    that is: a live assisting unit, beside a live lead (the petition's `lead_unit`,
    derived.py) or beside another live assisting unit.

    Issue 9: it was a COUNT of assignments grouped per petition, over every assigned or
    instructed petition the reader sees (0.8 s for an empty queue at 100,000 petitions); the
    live assisting assignments are few, and their partial index answers the EXISTS."""
    assisting = Assignment.objects.filter(petition=OuterRef("pk"), role=AssignmentRole.ASSIST).exclude(
        status=AssignmentStatus.WITHDRAWN
    )
    another = Assignment.objects.filter(
        petition=OuterRef("petition"), role=AssignmentRole.ASSIST, pk__lt=OuterRef("pk")
    ).exclude(status=AssignmentStatus.WITHDRAWN)
    # The EXISTS at the top, not inside the OR: PostgreSQL then joins from the few assisting rows.
    return Q(Exists(assisting)) & (Q(lead_unit__isnull=False) | Q(Exists(assisting.filter(Exists(another)))))


def _along_assignments(
    user, name: str, label, working: QuerySet, *, units: list[int], rows: QuerySet
) -> Queue:
    """A handling officer's queue of the ASSIGNED petitions with one of `working` (their units'
    assignments still owing work, `units` being the officer's unit and those above it), found
    from those assignments: their index (assignment_unit_working, newest first) lists the few
    candidates, and each is tested by a probe of its petition through visible_to(user) —
    status, the live assignment, Rule 4.3 — a scalar subquery that PostgreSQL cannot turn into
    a join.

    Issue 9: as `visible_to(user).filter(EXISTS (working assignment))` PostgreSQL walked every
    petition the office has ASSIGNED and probed each for the unit's assignment (the API's rows
    88 ms and the count 68 ms at 10^6 petitions, for a unit with 1,500 open assignments).
    A petition with working assignments to two of `units` is kept once: by its first such
    assignment (one live assignment per unit, so with one unit each petition is met once).
    `rows`: _probed(user), where the rows are read by id."""
    seen = Petition.objects.visible_to(user).filter(status=Status.ASSIGNED).probe()
    keys = working.alias(seen=seen).filter(seen__isnull=False)
    if len(units) > 1:
        earlier = working.filter(petition_id=OuterRef("petition_id"), pk__lt=OuterRef("pk"))
        keys = keys.exclude(Exists(earlier))
    keys = keys.order_by()
    return Queue(name, label, keys=keys, rows=rows)


def _probed(user) -> QuerySet:
    """The petitions visible_to(user) returns, for a handling officer's queue that starts from an
    index of its own (the signing queue's petition_results_to_sign): each candidate is tested by
    a probe of visible_to(user) by its id, a scalar subquery, instead of the policy's EXISTS,
    which PostgreSQL answered by hashing every live assignment of the unit (2,800 at 10^5, ten
    times as many at 10^6) for a few hundred results waiting."""
    seen = Petition.objects.visible_to(user).probe("pk")
    return (
        Petition.objects.select_related("category", "first_responder")
        .alias(seen=seen)
        .filter(seen__isnull=False)
    )


def _nearest_leaders() -> dict[int, int | None]:
    """unit id → its nearest leader in charge going up the tree (None: none named), as
    actors.leaders_in_charge_of walks it. The unit tree is one office's departments:
    small enough to read whole (one query)."""
    from xinfang.accounts.models import Unit

    rows = list(Unit.objects.values_list("pk", "path", "leader_in_charge_id"))
    leaders = {pk: leader for pk, _path, leader in rows}
    nearest = {}
    for unit_id, path, _leader in rows:
        ancestors = [int(part) for part in path.strip("/").split("/") if part]
        nearest[unit_id] = next((leaders.get(a) for a in reversed(ancestors) if leaders.get(a)), None)
    return nearest


def queues_for(user, *, signing: tuple[int, ...] | None = None) -> list[Queue]:
    """`user`'s queues; `signing`: signing_units(user) when the caller has read it already."""
    base = _base(user)
    if signing is None:
        signing = signing_units(user)
    queues: list[Queue] = []
    if user.has_role(Role.CLERK):
        superior = Q(channel=Channel.SUPERIOR)
        queues += [
            Queue("to_propose", _("To propose"), base.filter(status=Status.REGISTERED)),
            Queue("to_assign", _("To transfer or assign"), base.filter(status=Status.INSTRUCTED)),
            Queue("to_reply", _("To reply"), base.filter(status=Status.CONFIRMED)),
            Queue(
                "to_report",
                _("To report to the superior"),
                base.filter(superior, status=Status.REPLIED).exclude(_unapproved_report()),
            ),
            Queue(
                "to_close",
                _("To close"),
                # Replied other than to a superior, or reported: the two statuses first, so that
                # the count is a range of the index petition_open_status (written as an OR, it
                # read every open petition's entry).
                base.filter(status__in=[Status.REPLIED, Status.REPORTED]).exclude(
                    superior, status=Status.REPLIED
                ),
            ),
            Queue(
                "to_archive",
                _("To archive"),
                base.filter(status__in=TO_ARCHIVE_STATUSES),
            ),
        ]
    if user.has_role(Role.SECRETARY_GENERAL):
        queues.append(Queue("to_instruct", _("To instruct"), base.filter(status=Status.PROPOSED)))
    if user.has_role(Role.PRINCIPAL_LEADER):
        by_principal = Exists(Instruction.objects.filter(petition=OuterRef("pk"), role=Role.PRINCIPAL_LEADER))
        queues.append(
            Queue(
                "to_instruct_important",
                _("Important letters to instruct"),
                base.filter(important=True, status__in=[Status.PROPOSED, Status.INSTRUCTED]).exclude(
                    by_principal
                ),
            )
        )
    if user.has_role(Role.DEPUTY_SECRETARY_GENERAL):
        queues.append(
            Queue(
                "to_coordinate",
                _("Joint handling to coordinate"),
                base.filter(_two_units_or_more(), status__in=[Status.ASSIGNED, Status.INSTRUCTED]).exclude(
                    Exists(Coordination.objects.filter(petition=OuterRef("pk")))
                ),
            )
        )
    if user.has_role(*LEADER_ROLES):
        queues.append(
            Queue(
                "to_sign",
                _("Results to sign off"),
                _to_sign(user, base, signing),
            )
        )
        queues.append(
            Queue(
                "reports_to_approve",
                _("Reports to approve"),
                base.filter(status=Status.REPLIED, channel=Channel.SUPERIOR).filter(_unapproved_report()),
            )
        )
    if user.has_role(Role.HANDLER) and user.unit_id:
        units = user.unit.ancestor_ids
        units_read = Petition.objects.handler_unit_ids(user)  # None: the officer reads as office staff
        # The unit's (or a unit above it's) work not yet done; owed while the petition is with
        # the units (ASSIGNED): after the result, it is moot.
        mine = Assignment.objects.filter(
            unit_id__in=units, status__in=[AssignmentStatus.RECEIVED, AssignmentStatus.IN_PROGRESS]
        )
        # Today's date plus three, as a Clock: the home page keeps its counting statement and
        # fills the date in on each request (core/statements.py).
        soon = Clock(timezone.now(), timedelta(days=DUE_SOON_DAYS), date=True)
        # The rows read by id, each probed through visible_to again: joined to the policy's
        # EXISTS and anti-joins, a statement of 20 rows took PostgreSQL 4-13 ms to plan (10^5),
        # 1.2 ms so. Built once for the three queues.
        probed = _probed(user)
        queues += [
            _along_assignments(
                user, "assigned_to_my_unit", _("Assigned to my unit"), mine, units=units, rows=probed
            ),
            _along_assignments(
                user,
                "due_soon",
                _("Due within three days"),
                mine.filter(due_date__lte=soon),
                units=units,
                rows=probed,
            ),
            Queue(
                "to_sign",
                _("Results to sign off"),
                _to_sign(user, probed if units_read is not None else base, signing),
            ),
        ]
    # Queues that capabilities add (hooks.petition_queues), e.g. the portal's unsatisfactory ratings.
    for make in petition_queues.values():
        queue = make(user)
        if queue is not None:
            queues.append(queue)
    return queues
