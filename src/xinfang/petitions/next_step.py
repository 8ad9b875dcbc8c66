"""Where a petition is now: who holds the matter and what they must do next.

The petition page's "Your next step" panel lists what the reader may do; once the
reader has done their part (the clerk has proposed, the matter was assigned) that
list is empty, and the page must still say where the matter went. One sentence per
state, naming the people or the unit from the petition's own records (Rules 3.2 to
3.4, 4.4). Read only: the workflow table and the services decide.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from xinfang.accounts.models import Role, User
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.workflow_models import AssignmentRole, AssignmentStatus


@dataclass(frozen=True)
class NextStep:
    holder: str  # who has the matter now (people or a unit)
    task: str  # what they must do
    rule: str


def _names(users) -> str:
    return "、".join(u.display_name for u in users) or "—"


def _leaders(*roles) -> str:
    return _names(User.objects.filter(is_active=True, roles__role__in=roles).distinct().order_by("username"))


def _lead(petition):
    live = [a for a in petition.assignments.all() if a.status != AssignmentStatus.WITHDRAWN]
    return next((a for a in live if a.role == AssignmentRole.LEAD), None)


def next_step(petition) -> NextStep | None:
    """None once the matter is finished (archived, merged, voided)."""
    status = petition.status
    clerk = petition.first_responder.display_name if petition.first_responder_id else _("the petition office")
    if status == Status.REGISTERED:
        return NextStep(clerk, _("propose how to handle it, for a leader's instruction"), "3.2")
    if status == Status.PROPOSED:
        roles = (
            (Role.SECRETARY_GENERAL, Role.PRINCIPAL_LEADER)
            if petition.important
            else (Role.SECRETARY_GENERAL,)
        )
        return NextStep(_leaders(*roles), _("give an instruction on the proposed handling"), "3.2")
    if status == Status.INSTRUCTED:
        return NextStep(
            clerk, _("transfer or assign it as instructed, or investigate it in the office"), "3.2"
        )
    if status == Status.ASSIGNED:
        lead = _lead(petition)
        if lead is None:
            return NextStep(clerk, _("name a lead unit"), "2.2")
        if lead.handler_id:
            holder = f"{lead.unit.name} · {lead.handler.display_name}"
            return NextStep(holder, _("investigate and submit the findings and the handling result"), "3.3")
        return NextStep(
            lead.unit.name, _("a handling officer of the unit takes it on and investigates"), "2.2"
        )
    if status == Status.INVESTIGATING:
        return NextStep(clerk, _("investigate and submit the findings and the handling result"), "2.3")
    if status == Status.RESULT_SUBMITTED:
        return NextStep(
            _("the handling officer and the leader in charge"),
            _("sign the result off (or send it back with a reason)"),
            "3.3",
        )
    if status == Status.CONFIRMED:
        return NextStep(clerk, _("reply to the petitioner"), "3.4")
    if status == Status.REPLIED:
        if petition.channel == Channel.SUPERIOR:
            return NextStep(
                clerk, _("draft the investigation report for the superior; a leader approves it"), "3.4"
            )
        return NextStep(clerk, _("close the petition with its outcome"), "4.4")
    if status == Status.REPORTED:
        return NextStep(clerk, _("close the petition with its outcome"), "4.4")
    if status in (Status.CLOSED, Status.PERSUADED, Status.REFERRED_TO_POLICE):
        return NextStep(clerk, _("archive it with an archive number"), "3.1")
    return None
