"""Sending a petition to the units that must act, and their results (Rules 2.2,
2.3, 3.3, 4.3, 4.5(3))."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Unit, UnitKind
from xinfang.audit.models import Outcome
from xinfang.audit.services import Context
from xinfang.core.errors import Conflict, InvalidInput
from xinfang.notifications.services import notify
from xinfang.petitions import deadlines
from xinfang.petitions.choices import Status
from xinfang.petitions.guards import assignment_to_take
from xinfang.petitions.models import InvolvedUnit, Petition
from xinfang.petitions.recipients import handlers_of, users_by_id
from xinfang.petitions.services.reach import ensure_reachable
from xinfang.petitions.services.review import principal_leader_has_instructed
from xinfang.petitions.services.transitions import acting
from xinfang.petitions.workflow_models import (
    Assignment,
    AssignmentKind,
    AssignmentRole,
    AssignmentStatus,
    Coordination,
    Result,
)

# Units that can be sent a petition to act on.
ASSIGNABLE_KINDS = frozenset({UnitKind.DEPARTMENT, UnitKind.PUBLIC_SECURITY, UnitKind.EXTERNAL})
# Without a date from the clerk, a unit has a week (Rule 4.6: dealt with within one week).
DEFAULT_ASSIGNMENT_DAYS = 7


@dataclass(frozen=True)
class AssignmentSpec:
    unit: Unit
    role: str
    kind: str = AssignmentKind.ASSIGNMENT
    due_date: date | None = None
    share_contact: bool = False


def involved_among(petition: Petition, units) -> list[Unit]:
    """Units among `units` whose users must never see this petition (Rule 4.3): the
    unit itself, or a unit above it, is involved."""
    involved = set(InvolvedUnit.objects.filter(petition=petition).values_list("unit_id", flat=True))
    return [u for u in units if involved.intersection(u.ancestor_ids)]


def refuse_involved(ctx: Context, petition: Petition, units, action: str) -> None:
    hit = involved_among(petition, units)
    if hit:
        raise Conflict(
            _("%(units)s is involved in this petition and must never receive it (Rule 4.3).")
            % {"units": "、".join(u.name for u in hit)},
            access_log=_firewall_entry(
                ctx, petition, f"{action} to unit(s) {','.join(str(u.pk) for u in hit)}"
            ),
        )


def _firewall_entry(ctx, petition, detail) -> dict:
    return {
        "action": "firewall.refused",
        "outcome": Outcome.DENIED,
        "object_type": "petition",
        "object_ref": petition.number,
        "detail": detail,
        "user": ctx.actor,
    }


def _default_due() -> date:
    return timezone.localdate() + timedelta(days=DEFAULT_ASSIGNMENT_DAYS)


def assign(*, ctx: Context, petition: Petition, assignments: list[AssignmentSpec]) -> Petition:
    """Transfer (转办) or assign (交办) to one lead unit and any assisting units."""
    leads = [a for a in assignments if a.role == AssignmentRole.LEAD]
    if len(leads) != 1:
        raise InvalidInput({"assignments": [_("Name exactly one lead unit.")]})
    units = [a.unit for a in assignments]
    if len({u.pk for u in units}) != len(units):
        raise InvalidInput({"assignments": [_("Each unit may appear only once.")]})
    wrong_kind = [u.name for u in units if u.kind not in ASSIGNABLE_KINDS]
    if wrong_kind:
        raise InvalidInput(
            {
                "assignments": [
                    _("Cannot be sent to %(units)s: not a department or outside unit.")
                    % {"units": "、".join(wrong_kind)}
                ]
            }
        )
    with acting(ctx, petition, "assign") as step:
        p = step.petition
        if p.important and not principal_leader_has_instructed(p):
            raise Conflict(
                _("An important letter may be transferred only after a principal leader has instructed it.")
            )
        refuse_involved(ctx, p, units, "assignment")
        _create_assignments(ctx, p, assignments)
        now = timezone.now()
        deadlines.meet(p, ["handling", "transfer"], now)
        step.data = {
            "assignments": [
                {
                    "unit": a.unit.pk,
                    "role": a.role,
                    "kind": a.kind,
                    "due_date": (a.due_date or _default_due()).isoformat(),
                    "share_contact": a.share_contact,
                }
                for a in assignments
            ]
        }
        notify(handlers_of(u.pk for u in units), p, "assigned")
    return petition


def _create_assignments(ctx, petition, specs) -> list[Assignment]:
    now = timezone.now()
    created = []
    for spec in specs:
        assignment = Assignment.objects.create(
            petition=petition,
            unit=spec.unit,
            role=spec.role,
            kind=spec.kind,
            due_date=spec.due_date or _default_due(),
            share_contact=spec.share_contact,
            assigned_by=ctx.actor,
        )
        deadlines.start_assignment_clock(petition, assignment, now)
        created.append(assignment)
    return created


def investigate(*, ctx: Context, petition: Petition, note: str = "") -> Petition:
    """The office investigates the matter itself (Rule 2.3)."""
    with acting(ctx, petition, "investigate") as step:
        deadlines.meet(step.petition, ["handling", "transfer"], timezone.now())
        step.data = {"note": note}
    return petition


def _my_open_assignment(step, role=None) -> Assignment:
    open_states = (AssignmentStatus.RECEIVED, AssignmentStatus.IN_PROGRESS)
    for a in step.facts.my_assignments:
        if a.status in open_states and (role is None or a.role == role):
            return a
    raise Conflict(_("Your unit has no open assignment on this petition."))


def accept_assignment(*, ctx: Context, petition: Petition) -> Petition:
    """A handling officer takes their unit's assignment and becomes its handler."""
    with acting(ctx, petition, "accept_assignment") as step:
        assignment = assignment_to_take(step.facts)
        if assignment is None:
            taken = _my_open_assignment(step)
            if taken.handler_id == ctx.actor.pk:
                # Taking it twice would only add a second event: the button is not offered either.
                raise Conflict(_("You have already taken this assignment."))
            raise Conflict(
                _("%(name)s has already taken this assignment.") % {"name": taken.handler.display_name}
            )
        assignment.handler = ctx.actor
        assignment.status = AssignmentStatus.IN_PROGRESS
        assignment.save(update_fields=["handler", "status"])
        step.data = {"unit": assignment.unit_id}
    return petition


def contribute(*, ctx: Context, petition: Petition, note: str) -> Petition:
    """An assisting unit's findings, for the lead unit to take into its result."""
    with acting(ctx, petition, "contribute") as step:
        assignment = _my_open_assignment(step, AssignmentRole.ASSIST)
        assignment.note = note
        assignment.status = AssignmentStatus.RESULT_SUBMITTED
        assignment.handler = assignment.handler or ctx.actor
        assignment.save(update_fields=["note", "status", "handler"])
        deadlines.meet(step.petition, [f"assignment:{assignment.unit_id}"], timezone.now())
        step.data = {"unit": assignment.unit_id, "note": note}
        lead = step.facts.lead_assignment
        if lead is not None:
            notify(handlers_of([lead.unit_id]), step.petition, "assist_note")
    return petition


def submit_result(*, ctx: Context, petition: Petition, findings: str, result: str) -> Petition:
    """Findings and handling result: the lead unit's, or the office's own (Rule 3.3).
    The leader in charge and the handling officer then sign it off."""
    from xinfang.petitions.actors import leaders_in_charge_of

    with acting(ctx, petition, "submit_result") as step:
        p = step.petition
        assignment = None
        if p.status == Status.ASSIGNED:
            assignment = _my_open_assignment(step, AssignmentRole.LEAD)
            assignment.status = AssignmentStatus.RESULT_SUBMITTED
            assignment.handler = assignment.handler or ctx.actor
            assignment.save(update_fields=["status", "handler"])
            deadlines.meet(p, [f"assignment:{assignment.unit_id}"], timezone.now())
        record = Result.objects.create(
            petition=p, assignment=assignment, findings=findings, result=result, submitted_by=ctx.actor
        )
        step.data = {
            "findings": findings,
            "result": result,
            "result_id": record.pk,
            "unit": assignment.unit_id if assignment else None,
        }
        notify(users_by_id(leaders_in_charge_of(p, record, assignment)), p, "to_sign")
    return petition


def coordinate(
    *, ctx: Context, petition: Petition, lead_unit: Unit, units: list[Unit], note: str
) -> Petition:
    """Joint handling of a matter for two or more units, led by one (Rule 4.5(3))."""
    everyone = {u.pk: u for u in [lead_unit, *units]}
    if len(everyone) < 2:
        raise InvalidInput({"units": [_("Joint handling needs at least two units, the lead unit included.")]})
    wrong_kind = [u.name for u in everyone.values() if u.kind not in ASSIGNABLE_KINDS]
    if wrong_kind:
        raise InvalidInput(
            {
                "units": [
                    _("Cannot be sent to %(units)s: not a department or outside unit.")
                    % {"units": "、".join(wrong_kind)}
                ]
            }
        )
    with acting(ctx, petition, "coordinate") as step:
        p = step.petition
        refuse_involved(ctx, p, everyone.values(), "coordination")
        live = {a.unit_id: a for a in step.facts.live_assignments}
        # Demote the old lead before promoting the new one: one live lead at a time.
        for a in live.values():
            if a.role == AssignmentRole.LEAD and a.unit_id != lead_unit.pk:
                a.role = AssignmentRole.ASSIST
                a.save(update_fields=["role"])
        if lead_unit.pk in live and live[lead_unit.pk].role != AssignmentRole.LEAD:
            live[lead_unit.pk].role = AssignmentRole.LEAD
            live[lead_unit.pk].save(update_fields=["role"])
        new = [
            AssignmentSpec(
                unit=u, role=AssignmentRole.LEAD if u.pk == lead_unit.pk else AssignmentRole.ASSIST
            )
            for u in everyone.values()
            if u.pk not in live
        ]
        _create_assignments(ctx, p, new)
        record = Coordination.objects.create(petition=p, lead_unit=lead_unit, note=note, by=ctx.actor)
        record.units.set(list(everyone.values()))
        deadlines.meet(p, ["handling", "transfer"], timezone.now())
        step.data = {"lead_unit": lead_unit.pk, "units": sorted(everyone), "note": note}
        notify(handlers_of(everyone), p, "coordination")
    return petition


def record_involvement(*, ctx: Context, petition: Petition, units: list[Unit], persons: list) -> Petition:
    """Units or persons found to be involved after registration (Rule 4.3). Refused,
    and logged, where such a unit already holds an assignment: the complaint would
    already have reached it; the clerk must withdraw that first."""
    from xinfang.petitions.models import InvolvedPerson

    if not units and not persons:
        raise InvalidInput({"units": [_("Name at least one unit or person.")]})
    with acting(ctx, petition, "record_involvement") as step:
        p = step.petition
        holding = [
            a.unit for a in step.facts.live_assignments if set(a.unit.ancestor_ids) & {u.pk for u in units}
        ]
        if holding:
            raise Conflict(
                _(
                    "%(units)s already holds an assignment on this petition; withdraw it before recording the "
                    "unit as involved (Rule 4.3)."
                )
                % {"units": "、".join(u.name for u in holding)},
                access_log=_firewall_entry(
                    ctx, p, f"involvement of assigned unit(s) {','.join(str(u.pk) for u in holding)}"
                ),
            )
        existing = set(InvolvedUnit.objects.filter(petition=p).values_list("unit_id", flat=True))
        InvolvedUnit.objects.bulk_create(
            InvolvedUnit(petition=p, unit=u) for u in units if u.pk not in existing
        )
        InvolvedPerson.objects.bulk_create(
            InvolvedPerson(petition=p, name=person.name, unit=person.unit, user=person.user)
            for person in persons
        )
        ensure_reachable(p, field="units" if units else "persons")
        step.data = {"units": [u.pk for u in units], "persons": len(persons)}
    return petition
