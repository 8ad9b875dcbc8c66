"""Proposed handling and the leaders' instructions (Rule 3.2); resolving a visit or
call on the spot (Rule 4.1)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Role
from xinfang.audit.services import Context
from xinfang.core.errors import Conflict
from xinfang.notifications.services import notify
from xinfang.petitions import deadlines
from xinfang.petitions.choices import RECEPTION_CHANNELS
from xinfang.petitions.models import Petition
from xinfang.petitions.recipients import users_with_role
from xinfang.petitions.services.transitions import acting
from xinfang.petitions.workflow_models import Instruction, Proposal, Reply, ReplyMethod


def propose(*, ctx: Context, petition: Petition, opinion: str, important: bool = False) -> Petition:
    """The clerk's proposed handling goes to the Secretary-General; an important
    letter also to the principal leaders (Rule 3.2)."""
    with acting(ctx, petition, "propose") as step:
        p = step.petition
        Proposal.objects.create(petition=p, opinion=opinion, important=important, by=ctx.actor)
        if important and not p.important:
            p.important = True
            p.save(update_fields=["important", "updated_at"])
        step.data = {"opinion": opinion, "important": p.important}
        readers = users_with_role(Role.SECRETARY_GENERAL)
        if p.important:
            readers += users_with_role(Role.PRINCIPAL_LEADER)
        notify(readers, p, "to_instruct")
    return petition


def principal_leader_has_instructed(petition: Petition) -> bool:
    return Instruction.objects.filter(petition=petition, role=Role.PRINCIPAL_LEADER).exists()


def instruct(*, ctx: Context, petition: Petition, instruction: str) -> Petition:
    """A leader's instruction, verbatim. The first one starts the 2-day transfer clock."""
    with acting(ctx, petition, "instruct") as step:
        p = step.petition
        # A leader holding both roles instructs as principal leader: that is what Rule 3.2 asks for.
        role = Role.PRINCIPAL_LEADER if "principal_leader" in step.acting_as else Role.SECRETARY_GENERAL
        record = Instruction.objects.create(petition=p, text=instruction, leader=ctx.actor, role=role)
        deadlines.start_transfer_clock(p, record.at)
        step.data = {"instruction": instruction, "role": role}
        notify([p.first_responder], p, "to_assign", exclude=ctx.actor)
    return petition


def resolve_on_the_spot(
    *, ctx: Context, petition: Petition, reply: str, method: str = ReplyMethod.ORAL
) -> Petition:
    """A visit or call answered there and then by its first responder (Rule 4.1)."""
    with acting(ctx, petition, "resolve_on_the_spot") as step:
        p = step.petition
        if p.channel not in RECEPTION_CHANNELS:
            raise Conflict(_("Only visits and calls can be resolved on the spot."))
        now = timezone.now()
        Reply.objects.create(
            petition=p, method=method, content=reply, replied_at=now, on_the_spot=True, by=ctx.actor
        )
        deadlines.meet(p, ["handling", "reply"], now)
        step.data = {"reply": reply, "method": method}
    return petition
