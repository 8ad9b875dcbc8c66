"""Issue 9: the clocks of "mine" and of a unit (deadlines/selectors._scope) are found from the
clocks' side, as a UNION of the unit's clocks and the first responders' clocks. Oracle: every
clock decided here row by row in Python from the definitions (open petition the reader may see
under Rule 4.3: an office role, or a live assignment of their unit or a unit above it; running,
not paused, in the state asked; the reader's or the unit's), not with the selectors' queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from xinfang.accounts.models import OFFICE_ROLES, Role, Unit, User
from xinfang.deadlines.selectors import DeadlineFilters, deadline_list
from xinfang.petitions.choices import OPEN_STATUSES
from xinfang.petitions.models import Deadline, InvolvedPerson, InvolvedUnit, Petition
from xinfang.petitions.workflow_models import Assignment

pytestmark = pytest.mark.django_db

NOW = timezone.now()
LATE, SOON, LATER = NOW - timedelta(days=2), NOW + timedelta(hours=20), NOW + timedelta(days=10)

# title -> ([(assigned unit, status)], [(clock unit or None, due, met, paused)], extra)
CASES = {
    "unit late": ([("HOUSING", "received")], [("HOUSING", LATE, False, False)], ""),
    "unit soon": ([("HOUSING", "in_progress")], [("HOUSING", SOON, False, False)], ""),
    "unit later": ([("HOUSING", "received")], [("HOUSING", LATER, False, False)], ""),
    "paused": ([("HOUSING", "received")], [("HOUSING", LATE, False, True)], ""),
    "met": ([("HOUSING", "received")], [("HOUSING", LATE, True, False)], ""),
    "withdrawn": ([("HOUSING", "withdrawn")], [("HOUSING", LATE, False, False)], ""),
    "reassigned": (
        [("HOUSING", "withdrawn"), ("HOUSING", "received")],
        [("HOUSING", LATE, False, False)],
        "",
    ),
    "firewall unit": ([("HOUSING", "received")], [("HOUSING", LATE, False, False)], "involves HOUSING"),
    "firewall person": ([("SUB", "received")], [("SUB", LATE, False, False)], "involves h2"),
    "sub unit": ([("SUB", "received")], [("SUB", LATE, False, False), ("SUB", SOON, False, False)], ""),
    "other unit": ([("LABOUR", "received")], [("LABOUR", LATE, False, False)], ""),
    "closed": ([("HOUSING", "received")], [("HOUSING", LATE, False, False)], "closed"),
    "office clock, housing responds": ([("HOUSING", "received")], [(None, LATE, False, False)], "responder"),
    "office clock, clerk responds": ([("HOUSING", "received")], [(None, LATE, False, False)], ""),
    # Rule 4.3 for office staff, whose list of every clock tests each clock's petition by a probe.
    "firewall clerk": (
        [("LABOUR", "received")],
        [(None, LATE, False, False), ("LABOUR", SOON, False, False)],
        "involves clerk",
    ),
    "firewall office": (
        [("LABOUR", "received")],
        [(None, SOON, False, False), ("LABOUR", LATE, False, False)],
        "involves office",
    ),
}


@pytest.fixture
def world(housing_sub_unit, register):
    users, units, h2 = housing_sub_unit
    for title, (assigned, clocks, extra) in CASES.items():
        petition = register(title=title)
        Deadline.objects.filter(petition=petition).delete()  # only the clocks written out here
        for code, status in assigned:
            Assignment.objects.create(
                petition=petition,
                unit=units[code],
                role="assist",
                kind="assignment",
                status=status,
                assigned_by=users["clerk"],
            )
        for i, (code, due, met, paused) in enumerate(clocks):
            Deadline.objects.create(
                petition=petition,
                name=f"c{i}",
                rule="4.6",
                starts_at=NOW - timedelta(days=20),
                due_at=due,
                met_at=NOW if met else None,
                paused_at=NOW if paused else None,
                unit=units[code] if code else None,
            )
        if extra == "involves HOUSING":
            InvolvedUnit.objects.create(petition=petition, unit=units["HOUSING"])
        elif extra == "involves h2":
            InvolvedPerson.objects.create(petition=petition, name="钱七", user=h2)
        elif extra == "involves clerk":
            InvolvedPerson.objects.create(petition=petition, name="赵六", user=users["clerk"])
        elif extra == "involves office":
            InvolvedUnit.objects.create(petition=petition, unit=users["clerk"].unit)
        elif extra == "closed":
            Petition.objects.filter(pk=petition.pk).update(status="closed")
        elif extra == "responder":
            Petition.objects.filter(pk=petition.pk).update(first_responder=users["housing"])
    return {
        name: User.objects.select_related("unit").get(username=name)
        for name in ("housing", "h2", "labour", "clerk")
    }


def _visible(user, petition) -> bool:
    if petition.status not in OPEN_STATUSES:
        return False
    above = set(user.unit.ancestor_ids) if user.unit_id else set()
    if InvolvedUnit.objects.filter(petition=petition, unit_id__in=above).exists():
        return False
    if InvolvedPerson.objects.filter(petition=petition, user=user).exists():
        return False
    if user.has_role(*OFFICE_ROLES):
        return True
    return any(a.unit_id in above and a.status != "withdrawn" for a in petition.assignments.all())


def _oracle(user, state: str, scope: str) -> set[int]:
    out = set()
    unit_ids = {u.pk for u in Unit.objects.all() if user.unit_id and u.path.startswith(user.unit.path)}
    people = {u.pk for u in User.objects.all() if u.unit_id in unit_ids}
    above = set(user.unit.ancestor_ids) if user.unit_id else set()
    handler = user.has_role(Role.HANDLER) and user.unit_id
    for clock in Deadline.objects.select_related("petition"):
        if clock.met_at is not None or clock.paused_at is not None:
            continue
        late = clock.due_at < NOW + timedelta(seconds=5)  # the page's now is a moment later
        if (state == "overdue") != late or (
            state == "due_soon" and clock.due_at >= NOW + timedelta(hours=72)
        ):
            continue
        if not _visible(user, clock.petition):
            continue
        responder = clock.petition.first_responder_id
        if scope == "all":
            keep = True
        elif scope == "mine":
            mine = clock.unit_id is None and responder == user.pk
            keep = mine or (handler and clock.unit_id in above)
        else:
            keep = clock.unit_id in unit_ids or (clock.unit_id is None and responder in people)
        if keep:
            out.add(clock.pk)
    return out


@pytest.mark.parametrize("state", ["overdue", "due_soon"])
@pytest.mark.parametrize("scope", ["mine", "unit", "all"])
def test_scoped_clocks_are_the_oracles(world, state, scope):
    seen = 0
    for name, user in world.items():
        got = set(deadline_list(user, DeadlineFilters(state=state, scope=scope)).values_list("pk", flat=True))
        assert got == _oracle(user, state, scope), name
        seen += len(got)
    assert seen  # the cases do reach some clock


def test_the_handling_officers_overdue_clocks_written_out(world):
    """The same, decided by hand for the housing bureau's officer and the sub-unit's."""

    def titles(user, scope):
        clocks = deadline_list(user, DeadlineFilters(state="overdue", scope=scope)).select_related("petition")
        return sorted(c.petition.title for c in clocks)

    mine = ["office clock, housing responds", "reassigned", "unit late"]
    assert titles(world["housing"], "mine") == mine
    # The unit's clocks include its sub-unit's, which the bureau's officer does not see.
    assert titles(world["housing"], "unit") == mine
    assert titles(world["h2"], "mine") == ["reassigned", "sub unit", "unit late"]


def _sql_and_plan(queryset) -> tuple[str, str]:
    sql, params = queryset.values("pk")[:1001].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(("EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ") + sql, params)
        return sql, " | ".join(str(row[-1]) for row in cursor.fetchall())


def test_office_staff_clocks_are_probed_one_by_one(world):
    """Office staff's list of every clock tests each clock's petition by a scalar subquery, which
    PostgreSQL never turns into a join (as `petition IN (...)` it hashed every visible open
    petition and sorted every overdue clock); a handling officer's keeps the join of their few
    petitions."""
    joined = '"petitions_deadline"."petition_id" IN (SELECT'
    sql, plan = _sql_and_plan(deadline_list(world["clerk"], DeadlineFilters(scope="all")))
    assert joined not in sql
    if connection.vendor == "postgresql":
        assert "SubPlan" in plan, plan
    sql, _plan = _sql_and_plan(deadline_list(world["housing"], DeadlineFilters(scope="all")))
    assert joined in sql
