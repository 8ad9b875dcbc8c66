"""Reads of the intake queue. Submissions are not petitions: they have no involved parties yet,
so the office's staff and leaders (who may register) see them and nobody else does."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from xinfang.portal.models import Submission, SubmissionStatus
from xinfang.portal.services.intake import may_take_in


def waiting(user) -> QuerySet[Submission]:
    if not may_take_in(user):
        return Submission.objects.none()
    return (
        Submission.objects.filter(status=SubmissionStatus.PENDING)
        .select_related("category")
        .prefetch_related("files")
        .order_by("submitted_at", "id")
    )


def get_submission(user, submission_id) -> Submission:
    """One submission for the office (404 for everyone else, and for a missing one)."""
    if not may_take_in(user):
        raise Http404
    try:
        pk = int(submission_id)
    except (TypeError, ValueError):
        raise Http404 from None
    found = Submission.objects.select_related("category", "petition").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def is_overdue(submission: Submission, now=None) -> bool:
    now = now or timezone.now()
    return submission.status == SubmissionStatus.PENDING and submission.due_at < now


def rating_statistics(user, *, date_from=None, date_to=None) -> dict:
    """Ratings of the petitions `user` may see (visible_to), by value, for the statistics:
    {"total", "rows": [{"rating", "count"}], "unsatisfied_open"}. Dates bound `rated_at` (the
    office's local days, both ends included)."""
    from django.db.models import Count

    from xinfang.petitions.models import Petition
    from xinfang.portal.models import FollowUp, Rating, RatingValue

    ratings = Rating.objects.filter(petition__in=Petition.objects.visible_to(user).values("pk"))
    if date_from:
        ratings = ratings.filter(rated_at__date__gte=date_from)
    if date_to:
        ratings = ratings.filter(rated_at__date__lte=date_to)
    counts = dict(ratings.values_list("value").annotate(n=Count("id")).values_list("value", "n"))
    rows = [{"rating": value, "count": counts.get(value, 0)} for value in RatingValue.values]
    return {
        "total": sum(r["count"] for r in rows),
        "rows": rows,
        "unsatisfied_open": ratings.filter(follow_up=FollowUp.OPEN).count(),
    }
