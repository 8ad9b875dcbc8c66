"""Who may act: the named checks used in the workflow table's `who` column.

Each check answers "is this user that person for this petition?" from the
user's roles, unit and the petition's assignments and current result. Roles
alone never decide for relationships (the handling officer of *this* result,
the leader in charge of *this* lead unit).
"""

from __future__ import annotations

from functools import cached_property

from xinfang.accounts.models import LEADER_ROLES, OFFICE_ROLES, Role, Unit, User
from xinfang.petitions.workflow_models import Assignment, AssignmentRole, AssignmentStatus, Result

OPEN_ASSIGNMENT = (AssignmentStatus.RECEIVED, AssignmentStatus.IN_PROGRESS)


class Facts:
    """What the checks need to know about one user and one petition, read once."""

    def __init__(self, user, petition):
        self.user = user
        self.petition = petition

    @cached_property
    def live_assignments(self) -> list[Assignment]:
        return list(
            Assignment.objects.filter(petition=self.petition)
            .exclude(status=AssignmentStatus.WITHDRAWN)
            .select_related("unit")
        )

    @cached_property
    def lead_assignment(self) -> Assignment | None:
        return next((a for a in self.live_assignments if a.role == AssignmentRole.LEAD), None)

    @cached_property
    def my_assignments(self) -> list[Assignment]:
        """Live assignments to the user's unit or a unit above it, if the user handles cases."""
        if not self.user.has_role(Role.HANDLER) or not self.user.unit_id:
            return []
        mine = set(self.user.unit.ancestor_ids)
        return [a for a in self.live_assignments if a.unit_id in mine]

    @cached_property
    def current_result(self) -> Result | None:
        return (
            Result.objects.filter(petition=self.petition, sent_back_at__isnull=True).order_by("-id").first()
        )

    @cached_property
    def leaders_in_charge(self) -> set[int]:
        return leaders_in_charge_of(self.petition, self.current_result, self.lead_assignment)


def leaders_in_charge_of(petition, result, lead_assignment) -> set[int]:
    """The leader in charge (分管领导) who signs a result off with its handler (Rule 3.3):
    the nearest `leader_in_charge` above the unit that produced the result (the lead
    unit, or the petition office for the office's own investigation); where the
    tree names none, the Secretary-General and deputy Secretaries-General."""
    if result is not None and result.assignment_id:
        unit = result.assignment.unit
    elif lead_assignment is not None:
        unit = lead_assignment.unit
    else:
        unit = getattr(petition.first_responder, "unit", None)
    if unit is not None:
        for unit_id in reversed(unit.ancestor_ids):
            leader = Unit.objects.filter(pk=unit_id).values_list("leader_in_charge", flat=True).first()
            if leader:
                return {leader}
    return set(
        User.objects.filter(
            is_active=True, roles__role__in=[Role.SECRETARY_GENERAL, Role.DEPUTY_SECRETARY_GENERAL]
        ).values_list("pk", flat=True)
    )


def _role(role):
    return lambda facts: facts.user.has_role(role)


def _assigned(facts, role=None):
    return any(a.status in OPEN_ASSIGNMENT and (role is None or a.role == role) for a in facts.my_assignments)


def _result_signer(facts):
    result = facts.current_result
    if result is None:
        return False
    if result.submitted_by_id == facts.user.pk:
        return True
    # Another handler of the unit that produced the result may sign as its handling officer.
    return result.assignment_id is not None and any(
        a.pk == result.assignment_id for a in facts.my_assignments
    )


CHECKS = {
    "clerk": _role(Role.CLERK),
    "secretary_general": _role(Role.SECRETARY_GENERAL),
    "principal_leader": _role(Role.PRINCIPAL_LEADER),
    "deputy_secretary_general": _role(Role.DEPUTY_SECRETARY_GENERAL),
    "leader": lambda facts: facts.user.has_role(*LEADER_ROLES),
    "staff": lambda facts: facts.user.has_role(*OFFICE_ROLES),
    "first_responder": lambda facts: facts.petition.first_responder_id == facts.user.pk,
    "assigned_handler": lambda facts: _assigned(facts),
    "assisting_handler": lambda facts: _assigned(facts, AssignmentRole.ASSIST),
    "lead_handler": lambda facts: _assigned(facts, AssignmentRole.LEAD),
    "result_signer": _result_signer,
    "leader_in_charge": lambda facts: facts.user.pk in facts.leaders_in_charge,
}


def matches(who: tuple[str, ...], facts: Facts) -> list[str]:
    """The names in `who` that fit this user (empty: may not act)."""
    if not facts.user.is_authenticated or not facts.user.is_active:
        return []
    return [name for name in who if CHECKS[name](facts)]
