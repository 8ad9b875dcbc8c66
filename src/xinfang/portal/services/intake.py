"""The office's online intake (issue 13 §3): accept into the registration, decline with a
reason the citizen sees, or link to an earlier petition as a repeat. Escalation of overdue
intake (DESIGN.md §6: "overdue items escalate").

Permission: petition office staff and leaders (the people who may register, Rule 4.1); the
accepting clerk becomes the first responder through the registration service itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Role, User
from xinfang.audit.services import Context, append_event
from xinfang.core.errors import Conflict, Forbidden, InvalidInput
from xinfang.documents.models import Attachment
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.inputs import Errors, read_text
from xinfang.petitions.models import Petition
from xinfang.petitions.selectors import get_visible_petition
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import CORRECTABLE, may_register, register_petition
from xinfang.portal.models import Submission, SubmissionStatus

logger = logging.getLogger("xinfang.portal")

FIXED_FIELDS = ("channel", "received_at")
# Registration fields a clerk may set or correct when accepting (those a correction may change,
# less the fixed ones and the parts an online submission never has); the rest come from it.
ACCEPT_FIELDS = tuple(k for k in CORRECTABLE if k not in (*FIXED_FIELDS, "superior", "reception"))


def may_take_in(user) -> bool:
    return may_register(user)


def _require(ctx: Context) -> None:
    if not may_take_in(ctx.actor):
        raise Forbidden(_("Only petition office staff and leaders take in online submissions."))


def submission_as_registration(submission: Submission) -> dict:
    """The submission in the shape check_registration reads: channel online, received when
    the citizen submitted it (the clock runs from then, DESIGN.md §6)."""
    petitioners = []
    if not submission.anonymous:
        petitioners = [
            {
                "name": submission.name,
                "id_number": submission.id_number,
                "phone": submission.phone,
                "address": submission.address,
            }
        ]
    return {
        "channel": Channel.ONLINE,
        "received_at": submission.submitted_at,
        "anonymous": submission.anonymous,
        "title": submission.title,
        "content": submission.content,
        "requests": submission.requests,
        "category": submission.category.code if submission.category_id else "",
        "petitioners": petitioners,
    }


def _claim(submission_id, status: str, ctx: Context, **fields) -> Submission:
    """Compare-and-set pending → `status` (two clerks at once: the second is refused)."""
    now = timezone.now()
    changed = Submission.objects.filter(pk=submission_id, status=SubmissionStatus.PENDING).update(
        status=status, decided_at=now, decided_by=ctx.actor, **fields
    )
    if not changed:
        if not Submission.objects.filter(pk=submission_id).exists():
            raise Http404
        raise Conflict(_("This submission has already been dealt with."))
    return Submission.objects.select_related("category").get(pk=submission_id)


def accept(*, ctx: Context, submission_id: int, changes: Mapping | None = None) -> Petition:
    """Register the submission as a petition of channel online, received at its submission
    time, with the caller as first responder; its files become the petition's attachments."""
    _require(ctx)
    if changes is not None and not isinstance(changes, Mapping):
        raise InvalidInput({"non_field_errors": [_("Expected an object with registration fields.")]})
    changes = dict(changes or {})
    fixed = [k for k in FIXED_FIELDS if k in changes]
    if fixed:
        raise InvalidInput(
            {k: [_("An online submission's channel and time of receipt are fixed.")] for k in fixed}
        )
    if isinstance(changes.get("category"), str) and "\x00" in changes["category"]:
        raise InvalidInput({"category": [_("Choose a category.")]})  # PostgreSQL refuses NUL in a look-up
    unknown = [k for k in changes if k not in ACCEPT_FIELDS]
    if unknown:
        raise InvalidInput({k: [_("Not a registration field.")] for k in unknown[:20]})
    with transaction.atomic():
        submission = _claim(submission_id, SubmissionStatus.ACCEPTED, ctx)
        data = submission_as_registration(submission) | changes
        if not data.get("category"):
            raise InvalidInput({"category": [_("Choose a category.")]})
        petition, _created = register_petition(ctx=ctx, data=check_registration(data))
        Submission.objects.filter(pk=submission.pk).update(petition=petition)
        for f in submission.files.all():
            attachment = Attachment(
                petition=petition,
                name=f.name,
                size=f.size,
                sha256=f.sha256,
                content_type=f.content_type,
                uploaded_by=ctx.actor,
            )
            attachment.file.name = f.file.name  # the stored file, not a copy
            attachment.save()
            append_event(
                petition,
                ctx,
                "attachment.added",
                {
                    "attachment": attachment.pk,
                    "name": attachment.name,
                    "size": attachment.size,
                    "sha256": attachment.sha256,
                    "content_type": attachment.content_type,
                },
            )
        append_event(
            petition,
            ctx,
            "portal.accepted",
            {"submission": submission.pk, "submitted_at": submission.submitted_at.isoformat()},
        )
    return petition


def check_reason(data: Mapping) -> str:
    errors = Errors()
    if not isinstance(data, Mapping):
        raise InvalidInput({"reason": [_("Give the reason the citizen will read.")]})
    reason = read_text(errors, data, "reason", "reason", max_length=5000, required=True)
    if errors:
        raise InvalidInput(errors.by_field)
    return reason


def decline(*, ctx: Context, submission_id: int, reason: str) -> Submission:
    """不予受理: the citizen reads the reason on the status page. Nothing is registered."""
    _require(ctx)
    reason = check_reason({"reason": reason})
    with transaction.atomic():
        submission = _claim(submission_id, SubmissionStatus.DECLINED, ctx, decline_reason=reason.strip())
    logger.info("portal: submission %s declined by %s", submission.pk, ctx.actor.username)
    return submission


def link_repeat(*, ctx: Context, submission_id: int, number: str) -> Petition:
    """The submission repeats a petition the caller can see: no new number; the earlier
    petition's timeline records it, and the citizen follows that petition's progress."""
    _require(ctx)
    if not isinstance(number, str) or not number.strip() or "\x00" in number:
        raise InvalidInput({"number": [_("Give the number of the earlier petition.")]})
    try:
        petition = get_visible_petition(ctx.actor, number.strip()[:32])
    except Http404:
        raise InvalidInput({"number": [_("No petition with this number.")]}) from None
    if petition.status == Status.VOID:
        raise InvalidInput({"number": [_("This petition was voided.")]})
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        submission = _claim(submission_id, SubmissionStatus.LINKED, ctx, petition=locked)
        append_event(
            locked,
            ctx,
            "portal.linked",
            {"submission": submission.pk, "submitted_at": submission.submitted_at.isoformat()},
        )
    return petition


# --- Escalation of overdue intake ----------------------------------------------------------


def escalate_overdue(now=None) -> int:
    """Mark each pending submission past its intake clock as escalated, once, and tell the
    leaders (Secretary-General and deputies) by e-mail after the commit. Idempotent: the
    compare-and-set on `escalated_at` lets two workers at once escalate each one once."""
    now = now or timezone.now()
    due = list(
        Submission.objects.filter(
            status=SubmissionStatus.PENDING, escalated_at__isnull=True, due_at__lt=now
        ).values_list("pk", "query_code", "due_at")[:500]
    )
    escalated = []
    with transaction.atomic():
        for pk, code, due_at in due:
            if Submission.objects.filter(pk=pk, escalated_at__isnull=True).update(escalated_at=now):
                escalated.append((code, due_at))
        if escalated:
            leaders = list(
                User.objects.filter(
                    is_active=True, roles__role__in=[Role.SECRETARY_GENERAL, Role.DEPUTY_SECRETARY_GENERAL]
                )
                .exclude(email="")
                .values_list("email", flat=True)
                .distinct()
            )
            transaction.on_commit(lambda: _mail(leaders, escalated))
            logger.warning("portal: %d online submissions overdue for intake, escalated", len(escalated))
    return len(escalated)


def _mail(addresses, escalated) -> None:
    if not addresses:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext_now("Online submissions overdue for intake: %(count)d") % {"count": len(escalated)}
        body = "\n".join(f"{code} · {due_at:%Y-%m-%d %H:%M}" for code, due_at in escalated)
    try:
        get_connection(fail_silently=False).send_messages(
            [EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, addresses)]
        )
    except Exception:  # the page shows the overdue items anyway
        logger.exception("sending the intake escalation e-mail failed")
