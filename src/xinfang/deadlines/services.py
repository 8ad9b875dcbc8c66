"""Actions on clocks: extensions and pauses approved by a leader (Rule 4.6),
supervision of assigned units (催办/督办, Rule 4.4), and policy changes.

Each action locks the petition row, changes the clock, appends the event to the
petition's timeline and leaves notifications for the commit. Views check that
the caller can see the petition (404 otherwise); these functions check who may
act (403) and whether the clock allows it (409), and validate input (400).
"""

from __future__ import annotations

import math
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import LEADER_ROLES, OFFICE_ROLES, Role, Unit
from xinfang.audit.services import Context, append_event
from xinfang.core.errors import Conflict, Forbidden, InvalidInput
from xinfang.deadlines import clocks
from xinfang.deadlines.models import (
    ChangeKind,
    DeadlineChange,
    DeadlinePolicy,
    PeriodUnit,
    Supervision,
    SupervisionKind,
)
from xinfang.notifications.services import notify
from xinfang.petitions import derived
from xinfang.petitions.choices import OPEN_STATUSES
from xinfang.petitions.models import Deadline, Petition
from xinfang.petitions.recipients import handlers_of, users_by_id
from xinfang.petitions.services.handling import refuse_involved
from xinfang.petitions.workflow_models import Assignment, AssignmentStatus

MAX_TEXT = 5000
# Clocks set by someone outside the office: the office cannot move them itself.
FIXED_CLOCKS = ("superior_report",)


def _text(value, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise InvalidInput({field: [_("This field is required.")]})
    if len(text) > limit:
        raise InvalidInput({field: [_("At most %(max)d characters.") % {"max": limit}]})
    return text.replace("\x00", "")


def _locked(petition: Petition) -> Petition:
    locked = (
        Petition.objects.select_for_update(of=("self",)).select_related("first_responder").get(pk=petition.pk)
    )
    if locked.status not in OPEN_STATUSES:
        raise Conflict(_("The petition is no longer open."))
    return locked


def _open_deadline(petition: Petition, name: str) -> Deadline:
    deadline = Deadline.objects.select_for_update().filter(petition=petition, name=name).first()
    if deadline is None:
        raise InvalidInput({"deadline": [_("This petition has no such deadline.")]})
    if deadline.met_at is not None:
        raise Conflict(_("This deadline has already been met."))
    return deadline


def _require_leader(ctx: Context) -> None:
    if not ctx.actor.has_role(*LEADER_ROLES):
        raise Forbidden(_("Only a leader may approve an extension or a pause."))


def _responsible(petition: Petition, deadline: Deadline) -> list:
    """Who works against this clock: the unit's handlers for a unit's clock, else the first responder."""
    if deadline.unit_id:
        return handlers_of([deadline.unit_id])
    return [petition.first_responder]


def extend_deadline(
    *, ctx: Context, petition: Petition, name: str, days, reason: str, petitioner_notice: str = ""
) -> DeadlineChange:
    """Move a clock's end on by `days`, approved by the leader doing it (Rule 4.6; the
    national regulation's extension of up to 30 days, notified to the petitioner)."""
    _require_leader(ctx)
    reason = _text(reason, "reason")
    petitioner_notice = _text(petitioner_notice, "petitioner_notice", required=False)
    if isinstance(days, bool) or not isinstance(days, int):
        try:
            days = int(str(days).strip())
        except ValueError:
            raise InvalidInput({"days": [_("Enter a whole number of days.")]}) from None
    if days < 1:
        raise InvalidInput({"days": [_("Enter a whole number of days.")]})
    with transaction.atomic():
        p = _locked(petition)
        deadline = _open_deadline(p, name)
        base = name.split(":", 1)[0]
        if base in FIXED_CLOCKS:
            raise Conflict(_("The superior set this date; only the superior can move it."))
        rule = clocks.Policies().rule(base, p.channel)
        used = sum(c.days or 0 for c in deadline.changes.filter(kind=ChangeKind.EXTENSION))
        if rule.max_extension_days and used + days > rule.max_extension_days:
            raise InvalidInput(
                {
                    "days": [
                        _("This deadline may be extended by at most %(max)d days in all (%(used)d used).")
                        % {"max": rule.max_extension_days, "used": used}
                    ]
                }
            )
        if not rule.max_extension_days:
            raise Conflict(_("The policy for this deadline allows no extension."))
        if rule.extension_needs_notice and not petitioner_notice:
            raise InvalidInput({"petitioner_notice": [_("Record the notice given to the petitioner.")]})
        now = timezone.now()
        before = deadline.due_at
        computed = clocks.extend(
            before, days, PeriodUnit.WORKING_DAYS if rule.unit == "working_days" else "days"
        )
        deadline.due_at = computed.due_at
        deadline.calendar_gap = computed.calendar_gap or deadline.calendar_gap
        deadline.save(update_fields=["due_at", "calendar_gap"])
        derived.refresh([p.pk])
        change = DeadlineChange.objects.create(
            deadline=deadline,
            kind=ChangeKind.EXTENSION,
            days=days,
            reason=reason,
            petitioner_notice=petitioner_notice,
            approved_by=ctx.actor,
            at=now,
            due_before=before,
            due_after=deadline.due_at,
        )
        append_event(
            p,
            ctx,
            "deadline.extended",
            {
                "deadline": name,
                "days": days,
                "reason": reason,
                "petitioner_notice": petitioner_notice,
                "due_before": before.isoformat(),
                "due_after": deadline.due_at.isoformat(),
            },
        )
        notify(_responsible(p, deadline), p, "deadline_extended", {"deadline": name}, exclude=ctx.actor)
    return change


def pause_deadline(*, ctx: Context, petition: Petition, name: str, reason: str) -> DeadlineChange:
    """Stop a clock (e.g. while waiting for an outside appraisal); it is not overdue while paused."""
    _require_leader(ctx)
    reason = _text(reason, "reason")
    with transaction.atomic():
        p = _locked(petition)
        deadline = _open_deadline(p, name)
        if name.split(":", 1)[0] in FIXED_CLOCKS:
            raise Conflict(_("The superior set this date; only the superior can move it."))
        if deadline.paused_at is not None:
            raise Conflict(_("This deadline is already paused."))
        now = timezone.now()
        deadline.paused_at = now
        deadline.save(update_fields=["paused_at"])
        derived.refresh([p.pk])
        change = DeadlineChange.objects.create(
            deadline=deadline,
            kind=ChangeKind.PAUSE,
            reason=reason,
            approved_by=ctx.actor,
            at=now,
            due_before=deadline.due_at,
            due_after=deadline.due_at,
        )
        append_event(p, ctx, "deadline.paused", {"deadline": name, "reason": reason})
        notify(_responsible(p, deadline), p, "deadline_paused", {"deadline": name}, exclude=ctx.actor)
    return change


def resume_deadline(*, ctx: Context, petition: Petition, name: str, reason: str = "") -> DeadlineChange:
    """Restart a paused clock: its end moves on by the whole days it stood still."""
    _require_leader(ctx)
    reason = _text(reason, "reason", required=False)
    with transaction.atomic():
        p = _locked(petition)
        deadline = _open_deadline(p, name)
        if deadline.paused_at is None:
            raise Conflict(_("This deadline is not paused."))
        now = timezone.now()
        stood_still = max(0, math.ceil((now - deadline.paused_at).total_seconds() / 86400))
        before = deadline.due_at
        if stood_still:
            computed = clocks.extend(before, stood_still)
            deadline.due_at = computed.due_at
            deadline.calendar_gap = computed.calendar_gap or deadline.calendar_gap
        deadline.paused_at = None
        deadline.save(update_fields=["due_at", "paused_at", "calendar_gap"])
        derived.refresh([p.pk])
        change = DeadlineChange.objects.create(
            deadline=deadline,
            kind=ChangeKind.RESUME,
            days=stood_still,
            reason=reason,
            approved_by=ctx.actor,
            at=now,
            due_before=before,
            due_after=deadline.due_at,
        )
        append_event(
            p,
            ctx,
            "deadline.resumed",
            {
                "deadline": name,
                "reason": reason,
                "days": stood_still,
                "due_after": deadline.due_at.isoformat(),
            },
        )
        notify(_responsible(p, deadline), p, "deadline_resumed", {"deadline": name}, exclude=ctx.actor)
    return change


def _as_date(value, field: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput({field: [_("Not a valid date (use YYYY-MM-DD).")]}) from None


def issue_supervision(
    *, ctx: Context, petition: Petition, unit: Unit, kind: str, message: str, due_date
) -> Supervision:
    """A reminder (催办) or formal supervision notice (督办) to a unit the petition is
    assigned to, with the date its response is due. Never to an involved unit (Rule 4.3)."""
    if not ctx.actor.has_role(*OFFICE_ROLES):
        raise Forbidden(_("Only clerks and leaders may press a unit."))
    if kind not in SupervisionKind.values:
        raise InvalidInput({"kind": [_("Choose a reminder or a formal supervision notice.")]})
    message = _text(message, "message")
    due = _as_date(due_date, "due_date")
    if due < timezone.localdate():
        raise InvalidInput({"due_date": [_("The response cannot be due in the past.")]})
    with transaction.atomic():
        p = _locked(petition)
        refuse_involved(ctx, p, [unit], "supervision")
        live = Assignment.objects.filter(petition=p, unit=unit).exclude(status=AssignmentStatus.WITHDRAWN)
        if not live.exists():
            raise Conflict(_("The petition is not assigned to this unit."))
        now = timezone.now()
        record = Supervision.objects.create(
            petition=p,
            unit=unit,
            kind=kind,
            message=message,
            due_date=due,
            issued_by=ctx.actor,
            issued_at=now,
        )
        rule = clocks.Policies().rule("supervision", p.channel)
        computed = clocks.fixed(due, rule)
        record.deadline = Deadline.objects.create(
            petition=p,
            name=f"supervision:{record.pk}",
            rule=rule.rule,
            starts_at=now,
            due_at=computed.due_at,
            unit=unit,
            calendar_gap=computed.calendar_gap,
        )
        record.save(update_fields=["deadline"])
        derived.refresh([p.pk])
        append_event(
            p,
            ctx,
            "supervision.issued",
            {
                "supervision_id": record.pk,
                "kind": kind,
                "unit": unit.pk,
                "unit_name": unit.name,
                "message": message,
                "due_date": due.isoformat(),
            },
        )
        notify(handlers_of([unit.pk]), p, "supervision", {"kind": kind, "due_date": due.isoformat()})
    return record


def may_respond(user, supervision: Supervision) -> bool:
    return (
        user.has_role(Role.HANDLER) and bool(user.unit_id) and supervision.unit_id in user.unit.ancestor_ids
    )


def respond_supervision(*, ctx: Context, petition: Petition, supervision_id, response: str) -> Supervision:
    """The supervised unit's reply, recorded once; it meets the response clock."""
    response = _text(response, "response", limit=10000)
    with transaction.atomic():
        p = Petition.objects.select_for_update(of=("self",)).get(pk=petition.pk)
        record = Supervision.objects.select_for_update().filter(petition=p, pk=supervision_id).first()
        if record is None:
            raise InvalidInput({"supervision": [_("No such supervision on this petition.")]})
        if not may_respond(ctx.actor, record):
            raise Forbidden(_("Only a handling officer of the supervised unit may respond."))
        if record.responded_at is not None:
            raise Conflict(_("This supervision has already been answered."))
        now = timezone.now()
        record.response = response
        record.responded_by = ctx.actor
        record.responded_at = now
        record.save(update_fields=["response", "responded_by", "responded_at"])
        if record.deadline_id:
            Deadline.objects.filter(pk=record.deadline_id, met_at__isnull=True).update(
                met_at=now, paused_at=None
            )
            derived.refresh([p.pk])
        append_event(
            p,
            ctx,
            "supervision.responded",
            {
                "supervision_id": record.pk,
                "unit": record.unit_id,
                "unit_name": record.unit.name,
                "response": response,
            },
        )
        notify(users_by_id([record.issued_by_id]), p, "supervision_response", {"supervision_id": record.pk})
    return record


def change_policy(
    *, actor, current: DeadlinePolicy, changes: dict, reason: str, recompute_running: bool = False
) -> DeadlinePolicy:
    """A new version of a policy; the old one stays as history. Clocks already running
    keep their dates unless `recompute_running` asks for them to be computed again."""
    if not actor.has_role(Role.SYSTEM_ADMIN):
        raise Forbidden(_("Only the system administrator changes deadline policies."))
    reason = _text(reason, "reason", limit=2000)
    allowed = {"amount", "unit", "roll_forward", "rule", "max_extension_days", "extension_needs_notice"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput({k: [_("This field cannot be changed.")] for k in unknown})
    with transaction.atomic():
        old = DeadlinePolicy.objects.select_for_update().get(pk=current.pk)
        if old.superseded_at is not None:
            raise Conflict(_("This policy has been changed meanwhile; start from its current version."))
        now = timezone.now()
        old.superseded_at = now
        old.save(update_fields=["superseded_at"])
        new = DeadlinePolicy(
            profile=old.profile,
            clock=old.clock,
            channel=old.channel,
            amount=old.amount,
            unit=old.unit,
            roll_forward=old.roll_forward,
            rule=old.rule,
            max_extension_days=old.max_extension_days,
            extension_needs_notice=old.extension_needs_notice,
            version=old.version + 1,
            reason=reason,
            changed_by=actor,
        )
        for key, value in changes.items():
            setattr(new, key, value)
        new.full_clean(exclude=["changed_by"])
        new.save()
        if recompute_running:
            recompute_running_clocks(new)
    return new


def recompute_running_clocks(policy: DeadlinePolicy) -> int:
    """Compute again the open clocks `policy` governs, except those a leader extended or paused."""
    if policy.profile != clocks.active_profile() or policy.unit == PeriodUnit.FIXED_DATE:
        return 0
    rule = clocks.Policies(policy.profile).rule(policy.clock, policy.channel)
    qs = Deadline.objects.filter(name=policy.clock, met_at__isnull=True, paused_at__isnull=True, changes=None)
    if policy.channel:
        qs = qs.filter(petition__channel=policy.channel)
    else:
        # Channels with a policy of their own are not governed by the "every channel" row.
        own = (
            DeadlinePolicy.objects.filter(
                profile=policy.profile, clock=policy.clock, superseded_at__isnull=True
            )
            .exclude(channel="")
            .values_list("channel", flat=True)
        )
        qs = qs.exclude(petition__channel__in=list(own))
    count, moved = 0, set()
    for deadline in qs.iterator():
        computed = clocks.compute(deadline.starts_at, rule)
        Deadline.objects.filter(pk=deadline.pk).update(
            due_at=computed.due_at, calendar_gap=computed.calendar_gap
        )
        moved.add(deadline.petition_id)
        count += 1
    derived.refresh(moved)
    return count
