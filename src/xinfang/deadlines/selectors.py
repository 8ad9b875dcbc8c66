"""Reads of clocks: due-soon and overdue lists per person and unit, and the
outstanding page (Rule 4.4: 件件有着落). Every read starts from the petitions the
user may see; overdue is decided from the indexed `due_at`/`met_at` columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import OFFICE_ROLES, Role, Unit, User
from xinfang.core.errors import InvalidInput
from xinfang.core.ids import parse_id
from xinfang.core.statements import Clock
from xinfang.deadlines.models import Supervision
from xinfang.petitions.choices import OPEN_STATUSES
from xinfang.petitions.models import Deadline, Petition
from xinfang.petitions.selectors import has_rows

STATES = ("overdue", "due_soon")
SCOPES = ("mine", "unit", "all")
DEFAULT_WITHIN_HOURS = 72


@dataclass
class DeadlineFilters:
    state: str = "overdue"
    scope: str = "mine"
    unit: Unit | None = None
    within_hours: int = DEFAULT_WITHIN_HOURS


def default_scope_for(user) -> str:
    """What the deadlines page shows first (the API keeps "mine"): a handling officer their unit's clocks, office
    staff every clock they can see. "Mine" (clocks of petitions one registered) was empty
    for leaders, who register nothing, and hid the office's other overdue matters."""
    if user.has_role(*OFFICE_ROLES):
        return "all"
    return "unit"


def parse_deadline_filters(user, params, default_scope: str = "mine") -> DeadlineFilters:
    """Filters from query parameters; InvalidInput on values that mean nothing."""
    errors: dict[str, list] = {}
    f = DeadlineFilters()
    state = params.get("state", "overdue").strip() or "overdue"
    if state not in STATES:
        errors["state"] = [_("Choose overdue or due_soon.")]
    f.state = state
    scope = params.get("scope", default_scope).strip() or default_scope
    if scope not in SCOPES:
        errors["scope"] = [_("Choose mine, unit or all.")]
    f.scope = scope
    raw_unit = params.get("unit", "").strip()
    if raw_unit:
        unit_id = parse_id(raw_unit)
        f.unit = Unit.objects.filter(pk=unit_id).first() if unit_id else None
        if f.unit is None:
            errors["unit"] = [_("No such unit.")]
    raw_hours = params.get("within_hours", "").strip()
    if raw_hours:
        try:
            f.within_hours = int(raw_hours)
        except ValueError:
            f.within_hours = -1
        if not 1 <= f.within_hours <= 24 * 60:
            errors["within_hours"] = [_("Must be between 1 and 1440 hours.")]
    if errors:
        raise InvalidInput(errors)
    return f


def _scope(user, filters: DeadlineFilters, clocks: QuerySet[Deadline]) -> Q:
    """Which of `clocks` (running, in the state asked) the scope keeps."""
    if filters.scope == "all":
        return Q()
    if filters.scope == "unit":
        unit = filters.unit or user.unit
        if unit is None:
            return Q(pk__in=[])
        # A unit's own clocks (assignments, supervision) and, for the petition office,
        # the office clocks of petitions its staff are first responders for. The units and
        # people are listed first (a few rows of small tables) so that the clocks are found
        # through their unit index instead of joining every open clock to its petition,
        # first responder and unit to compare paths (issue 9: a department with no overdue
        # clock still walked all of the office's).
        unit_ids = list(Unit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))
        people = list(User.objects.filter(unit_id__in=unit_ids).values_list("pk", flat=True))
        own = Q(unit_id__in=unit_ids)
        return (
            _either(clocks, own, Q(unit__isnull=True, petition__first_responder_id__in=people))
            if people
            else own
        )
    mine = Q(unit__isnull=True, petition__first_responder=user)
    if user.has_role(Role.HANDLER) and user.unit_id:
        return _either(clocks, mine, Q(unit_id__in=user.unit.ancestor_ids))
    return mine


def _either(clocks: QuerySet[Deadline], one: Q, other: Q) -> Q:
    """The clocks that meet `one` or `other`, found from each side by its own index: the unit's
    clocks through (unit, met_at, due_at), the first responders' through their petitions. As
    `one OR other`, which spans the clock and its petition, PostgreSQL could use neither index
    and started from every open petition the reader sees: for a handling unit, each of its live
    assignments probed for its petition's status and then its clocks (issue 9: 310 ms of the
    unit's home page at 10^6 petitions, for no clock of the unit overdue)."""
    first, second = (clocks.filter(q).order_by().values("pk") for q in (one, other))
    return Q(pk__in=first.union(second, all=True))


def deadline_list(user, filters: DeadlineFilters) -> QuerySet[Deadline]:
    now = timezone.now()
    visible = Petition.objects.visible_to(user).filter(status__in=OPEN_STATUSES)
    if filters.scope == "mine" and not (user.has_role(Role.HANDLER) and user.unit_id):
        # Only the office clocks of petitions one is first responder for: narrowed inside the
        # visible set too, so PostgreSQL hashes those few instead of every visible open petition
        # (issue 9: 57-77 ms for a clerk's home counters at 10⁵, growing with the office).
        visible = visible.filter(first_responder=user)
    clocks = Deadline.objects.filter(met_at__isnull=True, paused_at__isnull=True)
    # The clock as Clock values: the home page keeps its counting statement and fills them in on
    # each request (core/statements.py); elsewhere they are the values themselves.
    if filters.state == "overdue":
        clocks = clocks.filter(due_at__lt=Clock(now))
    else:
        clocks = clocks.filter(
            due_at__gte=Clock(now), due_at__lt=Clock(now, timedelta(hours=filters.within_hours))
        )
    if filters.scope == "mine" and not (user.has_role(Role.HANDLER) and user.unit_id):
        # The petitions are the first responder's already (above): "mine" is then the office's
        # own clocks. Written as _scope does, it joined every clock back to its petition to
        # test the first responder a second time (issue 9: half of the clerk's clock counts).
        scope = Q(unit__isnull=True)
    else:
        scope = _scope(user, filters, clocks)
    if filters.scope == "all" and user.has_role(*OFFICE_ROLES):
        # For office staff, who see nearly every open petition, the clocks of all open petitions
        # are walked in the list's order (index deadline_running_due, which carries the
        # petition) and each is tested by a probe of the open petitions' index petition_open_id
        # and the two Rule 4.3 indexes, so the capped count and the page stop after what they
        # need. As `petition IN (visible)` the planner expected one clock in six to pass (the
        # open petitions among all), where nearly every running clock is an open petition's,
        # and hashed every visible open petition and sorted every overdue clock instead (issue
        # 9: 27,490 clocks, 27,470 buffers for the clerk's count at 10^5, growing with the
        # office). The same petitions, the same read policy: `visible` is visible_to(user).
        clocks = clocks.alias(seen=visible.probe()).filter(seen__isnull=False)
    else:
        clocks = clocks.filter(petition__in=visible)
    return (
        clocks.filter(scope)
        .select_related("petition", "petition__first_responder", "unit")
        .order_by("due_at", "id")
    )


def home_counters(user) -> dict[str, QuerySet]:
    """The home page's two numbers, my clocks overdue and due within three days, as
    querysets: the home view counts them with its own (petitions.hooks.home_counters)."""
    return {
        "overdue": deadline_list(user, DeadlineFilters(scope="mine")),
        "due_soon": deadline_list(user, DeadlineFilters(state="due_soon", scope="mine")),
    }


def counts_for(user) -> dict:
    """The same two numbers, counted here (pages other than home)."""
    return {name: qs.count() for name, qs in home_counters(user).items()}


def outstanding(user, *, responder_id=None, unit_id=None) -> dict:
    """Every open petition the user may see, by first responder and by the unit now
    working it (the lead unit, or the petition office itself), and the listing.

    Issue 9: both summaries come from ONE grouped pass over the columns the petition row
    carries (petitions/derived.py: its lead unit, and its next running deadline, which says
    whether it is overdue), read from the open petitions' partial index; rolled up here (a
    few dozen rows). The listing's count is the sum of that pass, and the listing walks
    the open petitions in deadline order and stops at the page. Complete: nothing is
    capped, every open petition is counted and listed."""
    now = timezone.now()
    visible = Petition.objects.visible_to(user).filter(status__in=OPEN_STATUSES)
    cells = list(
        visible.values("first_responder_id", "lead_unit_id")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(next_due_at__lt=now)))
        .order_by()
    )
    people = {
        pk: (name, username)
        for pk, name, username in User.objects.filter(
            pk__in={c["first_responder_id"] for c in cells}
        ).values_list("pk", "name", "username")
    }
    responders: dict = {}
    units: dict = {}
    for cell in cells:
        key = cell["first_responder_id"]
        name, username = people.get(key, ("", ""))
        row = responders.setdefault(
            key,
            {
                "first_responder": key,
                "first_responder__name": name,
                "first_responder__username": username,
                "open": 0,
                "overdue": 0,
            },
        )
        unit_row = units.setdefault(
            cell["lead_unit_id"], {"lead_unit_id": cell["lead_unit_id"], "open": 0, "overdue": 0}
        )
        for target in (row, unit_row):
            target["open"] += cell["open"]
            target["overdue"] += cell["overdue"]
    by_responder = sorted(
        responders.values(), key=lambda r: (-r["overdue"], -r["open"], r["first_responder__username"] or "")
    )
    by_unit_rows = sorted(units.values(), key=lambda r: (-r["overdue"], -r["open"]))
    names = dict(
        Unit.objects.filter(
            pk__in=[r["lead_unit_id"] for r in by_unit_rows if r["lead_unit_id"]]
        ).values_list("pk", "name")
    )
    by_unit = [{**r, "name": names.get(r["lead_unit_id"])} for r in by_unit_rows]
    listing = visible
    selected = cells
    if responder_id:
        listing = listing.filter(first_responder_id=responder_id)
        selected = [c for c in selected if c["first_responder_id"] == responder_id]
    if unit_id == 0:
        listing = listing.filter(lead_unit__isnull=True)
        selected = [c for c in selected if c["lead_unit_id"] is None]
    elif unit_id:
        listing = listing.filter(lead_unit_id=unit_id)
        selected = [c for c in selected if c["lead_unit_id"] == unit_id]
    count = sum(c["open"] for c in selected)
    return {
        "by_responder": by_responder,
        "by_unit": by_unit,
        "petitions": OutstandingListing(listing, count, now),
        "count": count,
    }


class OutstandingListing:
    """The outstanding petitions by their next running deadline, earliest first (so the
    overdue ones come first), those with none running last, then oldest first: what a
    Paginator slices (`[a:b]`) and a test iterates.

    Issue 9: the order is the index petition_open_next_due (next_due_at, received_at, id),
    so a page is an index walk with LIMIT under the read policy; it was a grouped pass over
    every open clock and every visible open petition, sorted, for each page. The count is
    the summaries' sum (no COUNT pass)."""

    def __init__(self, listing, count: int, now):
        self.listing = listing  # visible open petitions, filtered
        self.count = count
        self.now = now

    def __len__(self) -> int:
        return self.count

    def __iter__(self):
        return iter(self[0 : self.count])

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("OutstandingListing supports plain slices only")
        start = index.start or 0
        stop = self.count if index.stop is None else index.stop
        if stop <= start:
            return []
        rows = list(
            self.listing.select_related("first_responder").order_by(
                F("next_due_at").asc(nulls_last=True), "received_at", "id"
            )[start:stop]
        )
        for petition in rows:
            petition.next_due = petition.next_due_at
            petition.is_overdue = petition.next_due_at is not None and petition.next_due_at < self.now
        return rows


def may_see_outstanding(user) -> bool:
    return user.has_role(*OFFICE_ROLES)


def supervisions_of(petition) -> list[Supervision]:
    if not has_rows(petition, "supervisions"):  # the petition page found none
        return []
    return list(
        Supervision.objects.filter(petition=petition).select_related(
            "unit", "issued_by", "responded_by", "deadline"
        )
    )
