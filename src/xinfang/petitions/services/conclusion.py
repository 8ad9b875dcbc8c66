"""Replying to the petitioner, reporting to the superior, closing and archiving
(Rules 3.1, 3.4, 4.4)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Role
from xinfang.audit.services import Context
from xinfang.core.errors import Conflict, InvalidInput
from xinfang.notifications.services import notify
from xinfang.petitions import deadlines
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.models import Petition
from xinfang.petitions.recipients import users_with_role
from xinfang.petitions.services.transitions import acting
from xinfang.petitions.workflow_models import Reply, ReplyMethod, Report


def reply(
    *, ctx: Context, petition: Petition, method: str, content: str, replied_at: datetime | None = None
) -> Petition:
    """Record the reply given to the petitioner after sign-off (Rule 3.4). An anonymous
    petition records why no reply could be given instead (method "none")."""
    now = timezone.now()
    replied_at = replied_at or now
    with acting(ctx, petition, "reply") as step:
        p = step.petition
        if method == ReplyMethod.NONE and not p.anonymous:
            raise InvalidInput({"method": [_("Only an anonymous petition may go without a reply.")]})
        if replied_at > now:
            raise InvalidInput({"replied_at": [_("The reply cannot be dated in the future.")]})
        if replied_at < p.received_at:
            raise InvalidInput(
                {"replied_at": [_("The reply cannot be dated before the petition was received.")]}
            )
        Reply.objects.create(petition=p, method=method, content=content, replied_at=replied_at, by=ctx.actor)
        deadlines.meet(p, ["reply", "handling"], replied_at)
        step.data = {"method": method, "content": content, "replied_at": replied_at.isoformat()}
        if p.channel == Channel.SUPERIOR:
            notify([p.first_responder], p, "to_report")
    return petition


def report(*, ctx: Context, petition: Petition, report: str) -> Petition:
    """Draft the investigation report a superior asked for (Rule 3.4); a leader approves it."""
    with acting(ctx, petition, "report") as step:
        p = step.petition
        if p.channel != Channel.SUPERIOR:
            raise Conflict(_("Only matters assigned by a superior are reported to it."))
        # A newer draft supersedes one still waiting for approval; both stay on record.
        record = Report.objects.create(petition=p, text=report, drafted_by=ctx.actor)
        step.data = {"report_id": record.pk, "report": report}
        notify(users_with_role(Role.SECRETARY_GENERAL, Role.PRINCIPAL_LEADER), p, "report_to_approve")
    return petition


def approve_report(*, ctx: Context, petition: Petition) -> Petition:
    """A leader approves the latest draft; the matter is then reported to the superior."""
    with acting(ctx, petition, "approve_report") as step:
        p = step.petition
        draft = Report.objects.filter(petition=p).order_by("-id").first()
        if draft is None or draft.approved_at is not None:
            raise Conflict(_("There is no drafted report to approve."))
        now = timezone.now()
        draft.approved_by = ctx.actor
        draft.approved_at = now
        draft.save(update_fields=["approved_by", "approved_at"])
        deadlines.meet(p, ["superior_report"], now)
        step.data = {"report_id": draft.pk}
        notify([p.first_responder], p, "to_close")
    return petition


def close(*, ctx: Context, petition: Petition, outcome: str) -> Petition:
    """Close with an outcome (Rule 4.4). A superior-assigned matter is reported first."""
    with acting(ctx, petition, "close") as step:
        p = step.petition
        if p.status == Status.REPLIED and p.channel == Channel.SUPERIOR:
            raise Conflict(
                _("A matter assigned by a superior is closed only after its report is approved and sent.")
            )
        if not outcome.strip():
            raise InvalidInput({"outcome": [_("A petition cannot be closed without an outcome.")]})
        p.outcome = outcome
        p.closed_at = timezone.now()
        p.save(update_fields=["outcome", "closed_at", "updated_at"])
        step.data = {"outcome": outcome}
    return petition


def archive(*, ctx: Context, petition: Petition, archive_number: str) -> Petition:
    """File the petition with its archive number (Rule 3.1)."""
    with acting(ctx, petition, "archive") as step:
        p = step.petition
        if Petition.objects.filter(archive_number=archive_number).exclude(pk=p.pk).exists():
            raise Conflict(_("Archive number %(number)s is already used.") % {"number": archive_number})
        p.archive_number = archive_number
        p.archived_at = timezone.now()
        p.save(update_fields=["archive_number", "archived_at", "updated_at"])
        step.data = {"archive_number": archive_number}
    return petition
