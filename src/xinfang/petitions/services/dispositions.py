"""Handling a matter by its nature (Rule 4.5): urgent matters, persuasion and
referral to public security, joint handling lives in handling.py; and the ways a
petition leaves the procedure other than by reply (merge, void)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import LEADER_ROLES, Unit, UnitKind
from xinfang.audit.services import Context, append_event
from xinfang.core.errors import Conflict, InvalidInput
from xinfang.notifications.services import notify
from xinfang.petitions import deadlines
from xinfang.petitions.choices import OPEN_STATUSES
from xinfang.petitions.models import Petition
from xinfang.petitions.recipients import handlers_of, users_with_role
from xinfang.petitions.services.handling import refuse_involved
from xinfang.petitions.services.transitions import acting
from xinfang.petitions.workflow_models import PersuasionRecord, PoliceReferral


def flag_urgent(*, ctx: Context, petition: Petition, reason: str, notify_units: list[Unit] = ()) -> Petition:
    """Urgent or of major social impact (Rule 4.5(2)): every leader is told at once;
    competent units named by the clerk are told too, never an involved one."""
    with acting(ctx, petition, "flag_urgent") as step:
        p = step.petition
        refuse_involved(ctx, p, list(notify_units), "notification")
        if not p.urgent:
            p.urgent = True
            p.save(update_fields=["urgent", "updated_at"])
        step.data = {"reason": reason, "notify_units": [u.pk for u in notify_units]}
        notify(users_with_role(*LEADER_ROLES), p, "urgent", {"reason": reason}, exclude=ctx.actor)
        # Handlers hear of it where their unit already works the petition (they can see it).
        notify(handlers_of(u.pk for u in notify_units), p, "urgent", {"reason": reason})
    return petition


def record_persuasion(*, ctx: Context, petition: Petition, notes: str) -> Petition:
    """A talk persuading a petitioner who makes unreasonable trouble to stop (Rule 4.5(1))."""
    with acting(ctx, petition, "record_persuasion") as step:
        record = PersuasionRecord.objects.create(petition=step.petition, notes=notes, by=ctx.actor)
        step.data = {"persuasion_id": record.pk, "notes": notes}
    return petition


def _conclude(petition: Petition, outcome: str) -> None:
    now = timezone.now()
    petition.outcome = outcome
    petition.closed_at = now
    petition.save(update_fields=["outcome", "closed_at", "updated_at"])
    deadlines.stop_all(petition, now)


def conclude_persuasion(*, ctx: Context, petition: Petition, outcome: str) -> Petition:
    """The petitioner agreed to stop (息访): the outcome, after at least one recorded talk."""
    with acting(ctx, petition, "conclude_persuasion") as step:
        p = step.petition
        if not PersuasionRecord.objects.filter(petition=p).exists():
            raise Conflict(_("Record the persuasion first: a petition is concluded this way only after it."))
        _conclude(p, outcome)
        step.data = {"outcome": outcome}
    return petition


def refer_to_police(*, ctx: Context, petition: Petition, reason: str, unit: Unit | None = None) -> Petition:
    """Where persuasion failed, refer to public security (Rule 4.5(1))."""
    if unit is not None and unit.kind != UnitKind.PUBLIC_SECURITY:
        raise InvalidInput({"unit": [_("Choose a public security unit.")]})
    with acting(ctx, petition, "refer_to_police") as step:
        p = step.petition
        if unit is not None:
            refuse_involved(ctx, p, [unit], "police referral")
        PoliceReferral.objects.create(petition=p, reason=reason, unit=unit, by=ctx.actor)
        _conclude(p, reason)
        step.data = {"reason": reason, "unit": unit.pk if unit else None}
    return petition


def merge(*, ctx: Context, petition: Petition, into: Petition) -> Petition:
    """A repeat of another open petition is merged into it; that one carries the matter on."""
    if into.pk == petition.pk:
        raise InvalidInput({"into": [_("A petition cannot be merged into itself.")]})
    with acting(ctx, petition, "merge") as step:
        p = step.petition
        target = Petition.objects.select_for_update().get(pk=into.pk)
        if target.status not in OPEN_STATUSES:
            raise Conflict(_("Petitions can only be merged into an open petition."))
        p.merged_into = target
        p.save(update_fields=["merged_into", "updated_at"])
        deadlines.stop_all(p, timezone.now())
        # The petition that carries the matter on says so on its own timeline.
        append_event(target, ctx, "petition.merged_in", {"from": p.number})
        step.data = {"into": target.number}
    return petition


def void(*, ctx: Context, petition: Petition, reason: str) -> Petition:
    """A mistaken registration is voided by a leader with a reason, and stays on record."""
    with acting(ctx, petition, "void") as step:
        p = step.petition
        p.void_reason = reason
        p.save(update_fields=["void_reason", "updated_at"])
        deadlines.stop_all(p, timezone.now())
        step.data = {"reason": reason}
    return petition
