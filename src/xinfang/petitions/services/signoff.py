"""Sign-off of a result by the handling officer and the leader in charge, or its
return with a reason (Rule 3.3)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.lockout import Outcome, check_password_counted
from xinfang.audit.services import Context, append_event
from xinfang.core.errors import Conflict, Forbidden
from xinfang.notifications.services import notify
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Petition
from xinfang.petitions.recipients import handlers_of, users_by_id
from xinfang.petitions.services.transitions import acting, may
from xinfang.petitions.workflow_models import AssignmentStatus, Signoff, SignoffCapacity


class WrongPassword(Forbidden):
    default_message = _("The password is wrong; the signature was not recorded.")


class PasswordLocked(Forbidden):
    default_message = _(
        "Too many wrong passwords: the account is locked for a while; the signature was not recorded."
    )


def sign_off(*, ctx: Context, petition: Petition, password: str) -> Petition:
    """Sign the current result in the capacity the caller holds. Re-entering the
    password proves the signer is at the keyboard; a wrong one is refused and logged
    on the petition's timeline."""
    if may(ctx.actor, petition, "sign_off"):
        # Counted like a sign-in (lockout.py): wrong re-entries lock the account too.
        outcome = check_password_counted(ctx.actor, password)
        if outcome is not Outcome.ACCEPTED:
            reason = "wrong_password" if outcome is Outcome.REFUSED else "account_locked"
            with transaction.atomic():
                locked = Petition.objects.select_for_update().get(pk=petition.pk)
                append_event(locked, ctx, "petition.sign_off_refused", {"reason": reason})
            raise WrongPassword() if outcome is Outcome.REFUSED else PasswordLocked()
    with acting(ctx, petition, "sign_off") as step:
        p = step.petition
        result = step.facts.current_result
        if result is None:
            raise Conflict(_("There is no result to sign."))
        signed = {s.capacity: s for s in Signoff.objects.filter(result=result)}
        capacities = [
            capacity
            for name, capacity in (
                ("result_signer", SignoffCapacity.HANDLER),
                ("leader_in_charge", SignoffCapacity.LEADER),
            )
            if name in step.acting_as and capacity not in signed
        ]
        if not capacities:
            raise Conflict(_("You have already signed this result."))
        capacity = capacities[0]
        if any(s.user_id == ctx.actor.pk for s in signed.values()):
            raise Conflict(_("The handling officer and the leader in charge must be two different people."))
        Signoff.objects.create(result=result, capacity=capacity, user=ctx.actor)
        signed[capacity] = True
        step.data = {"result_id": result.pk, "capacity": capacity}
        if len(signed) == 2:
            step.move_to(Status.CONFIRMED)
            notify([p.first_responder], p, "to_reply")
        else:
            step.stay()
            other = (
                users_by_id(step.facts.leaders_in_charge)
                if capacity == SignoffCapacity.HANDLER
                else [result.submitted_by]
            )
            notify(other, p, "to_sign", exclude=ctx.actor)
    return petition


def send_back(*, ctx: Context, petition: Petition, reason: str) -> Petition:
    """The leader in charge returns the result to whoever produced it, with a reason."""
    with acting(ctx, petition, "send_back") as step:
        p = step.petition
        result = step.facts.current_result
        if result is None:
            raise Conflict(_("There is no result to send back."))
        result.sent_back_at = timezone.now()
        result.sent_back_reason = reason
        result.save(update_fields=["sent_back_at", "sent_back_reason"])
        if result.assignment_id:
            assignment = result.assignment
            assignment.status = AssignmentStatus.IN_PROGRESS
            assignment.save(update_fields=["status"])
            step.move_to(Status.ASSIGNED)
            notify(handlers_of([assignment.unit_id]), p, "sent_back")
        else:
            step.move_to(Status.INVESTIGATING)
            notify([result.submitted_by], p, "sent_back")
        step.data = {"result_id": result.pk, "reason": reason}
    return petition
