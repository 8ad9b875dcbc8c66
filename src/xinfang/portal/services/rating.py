"""Satisfaction ratings (满意度评价, issue 13 §5) and a leader's follow-up of an unsatisfactory
one: sent back for rework, or answered. Both follow-ups are actions of the one action framework
(registered in portal/hooks.py), so they lock, refuse, log and notify like `instruct`."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import LEADER_ROLES
from xinfang.audit.services import Context, append_event
from xinfang.core.errors import Conflict, InvalidInput
from xinfang.notifications.services import notify
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Petition
from xinfang.petitions.recipients import handlers_of, users_with_role
from xinfang.petitions.services.transitions import acting
from xinfang.petitions.workflow_models import AssignmentStatus, Reply, ReplyMethod
from xinfang.portal.models import FollowUp, Rating, RatingValue, Submission, SubmissionStatus

RATEABLE = frozenset({Status.REPLIED, Status.REPORTED, Status.CLOSED, Status.ARCHIVED})
MAX_COMMENT = 2000


def rating_window() -> timedelta:
    return timedelta(days=settings.PORTAL_RATING_DAYS)


def latest_reply(petition: Petition) -> Reply | None:
    return petition.replies.order_by("-replied_at", "-id").first()


def rating_refusal(submission: Submission, reply: Reply | None, now=None) -> str | None:
    """Why this submission's petition cannot be rated now (None: it can)."""
    now = now or timezone.now()
    if submission.status != SubmissionStatus.ACCEPTED or submission.petition is None:
        return str(_("Only an accepted petition can be rated."))
    if submission.petition.status not in RATEABLE or reply is None or reply.method == ReplyMethod.NONE:
        return str(_("The petition can be rated once the office has replied."))
    if now - reply.replied_at > rating_window():
        return str(
            _("Ratings are taken within %(days)d days of the reply.") % {"days": settings.PORTAL_RATING_DAYS}
        )
    if Rating.objects.filter(reply=reply).exists():
        return str(_("This reply has already been rated."))
    return None


def check_rating(data) -> tuple[str, str]:
    errors: dict[str, list] = {}
    value = data.get("rating") if hasattr(data, "get") else None
    if value not in RatingValue.values:
        errors["rating"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(RatingValue.values)}]
    comment = data.get("comment", "") if hasattr(data, "get") else ""
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        errors["comment"] = [_("Must be text.")]
        comment = ""
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        errors["comment"] = [
            _("At most %(max)d characters (this has %(count)d).")
            % {"max": MAX_COMMENT, "count": len(comment)}
        ]
    if "\x00" in comment:
        errors["comment"] = [_("Must not contain NUL characters.")]
    if errors:
        raise InvalidInput(errors)
    return value, comment


def rate(*, submission: Submission, value: str, comment: str) -> Rating:
    """The citizen's rating of the latest reply, within the window. 不满意 puts the petition in
    the leaders' queue ("Unsatisfactory ratings") and tells them."""
    now = timezone.now()
    with transaction.atomic():
        petition = Petition.objects.select_for_update().get(pk=submission.petition_id)
        submission.petition = petition
        reply = latest_reply(petition)
        refusal = rating_refusal(submission, reply, now)
        if refusal:
            raise Conflict(refusal)
        unsatisfied = value == RatingValue.UNSATISFIED
        rating = Rating.objects.create(
            petition=petition,
            reply=reply,
            value=value,
            comment=comment,
            rated_at=now,
            follow_up=FollowUp.OPEN if unsatisfied else FollowUp.NONE,
        )
        # The citizen has no account: the event has no actor; its sentence says "the petitioner".
        append_event(
            petition,
            Context(actor=None),
            "portal.rated",
            {"rating": value, "comment": comment, "reply": reply.pk},
        )
        if unsatisfied:
            notify(users_with_role(*LEADER_ROLES), petition, "rating_unsatisfied")
    return rating


def open_rating(petition: Petition) -> Rating | None:
    return Rating.objects.filter(petition=petition, follow_up=FollowUp.OPEN).order_by("-id").first()


def has_open_rating(petition: Petition) -> bool:
    return Rating.objects.filter(petition=petition, follow_up=FollowUp.OPEN).exists()


def _close_rating(step, ctx: Context, outcome: str, answer: str = "") -> Rating:
    rating = open_rating(step.petition)
    if rating is None:
        raise Conflict(_("There is no unsatisfactory rating waiting for a leader."))
    rating.follow_up = outcome
    rating.followed_up_by = ctx.actor
    rating.followed_up_at = timezone.now()
    rating.answer = answer
    rating.save(update_fields=["follow_up", "followed_up_by", "followed_up_at", "answer"])
    return rating


def rework(*, ctx: Context, petition: Petition, reason: str) -> Petition:
    """A leader sends an unsatisfactorily rated petition back to whoever produced the result
    (the lead unit, or the office), with a reason; the result, sign-off and reply are done again."""
    with acting(ctx, petition, "rework") as step:
        p = step.petition
        rating = _close_rating(step, ctx, FollowUp.REWORKED)
        result = step.facts.current_result
        now = timezone.now()
        if result is not None:
            result.sent_back_at = now
            result.sent_back_reason = reason
            result.save(update_fields=["sent_back_at", "sent_back_reason"])
        if result is not None and result.assignment_id:
            assignment = result.assignment
            assignment.status = AssignmentStatus.IN_PROGRESS
            assignment.save(update_fields=["status"])
            step.move_to(Status.ASSIGNED)
            notify(handlers_of([assignment.unit_id]), p, "sent_back")
        else:
            step.move_to(Status.INVESTIGATING)
            notify([p.first_responder], p, "sent_back")
        if p.closed_at is not None:
            p.closed_at = None
            p.save(update_fields=["closed_at"])
        step.data = {"rating": rating.pk, "reason": reason, "result_id": getattr(result, "pk", None)}
    return petition


def answer_rating(*, ctx: Context, petition: Petition, answer: str) -> Petition:
    """A leader answers an unsatisfactory rating; the citizen reads the answer on the status page."""
    with acting(ctx, petition, "answer_rating") as step:
        rating = _close_rating(step, ctx, FollowUp.ANSWERED, answer)
        step.data = {"rating": rating.pk, "answer": answer}
    return petition
