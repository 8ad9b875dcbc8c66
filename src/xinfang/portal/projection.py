"""What a citizen may see of their matter: a public projection, never the file.

Stages only, the petition number once there is one, the reply given to them with its date, the
leader's answer to their rating, and documents addressed to them. Never internal notes, units'
findings, leaders' instructions, staff names or other petitioners' data (issue 13 §4).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from xinfang.petitions.choices import Status
from xinfang.petitions.hooks import public_documents
from xinfang.portal.models import FollowUp, Rating, Submission, SubmissionStatus
from xinfang.portal.services.rating import latest_reply, rating_refusal

STAGES = {
    "received": _("Received, waiting for the office to take it in"),
    "declined": _("Not accepted (不予受理)"),
    "accepted": _("Accepted and registered"),
    "handling": _("Being handled"),
    "replied": _("Replied"),
    "closed": _("Closed"),
}

_BY_STATUS = {
    Status.REGISTERED: "accepted",
    Status.PROPOSED: "accepted",
    Status.INSTRUCTED: "accepted",
    Status.ASSIGNED: "handling",
    Status.INVESTIGATING: "handling",
    Status.RESULT_SUBMITTED: "handling",
    Status.CONFIRMED: "handling",
    Status.REPLIED: "replied",
    Status.REPORTED: "replied",
}


def stage_of(submission: Submission) -> str:
    if submission.status == SubmissionStatus.PENDING:
        return "received"
    if submission.status == SubmissionStatus.DECLINED:
        return "declined"
    return _BY_STATUS.get(submission.petition.status, "closed")


def documents_for(submission: Submission) -> list:
    """Documents addressed to the petitioner, from whatever providers are registered
    (hooks.public_documents); only for a petition this submission became."""
    if submission.status != SubmissionStatus.ACCEPTED or submission.petition is None:
        return []
    found = []
    for provider in public_documents.values():
        found.extend(provider(submission.petition) or [])
    return found


def project(submission: Submission) -> dict:
    stage = stage_of(submission)
    out = {
        "query_code": submission.query_code,
        "submitted_at": submission.submitted_at,
        "title": submission.title,
        "stage": stage,
        "stage_label": str(STAGES[stage]),
        "documents": [],
        "can_rate": False,
    }
    if stage == "declined":
        out["decline_reason"] = submission.decline_reason
        return out
    petition = submission.petition
    if petition is None:
        return out
    out["number"] = petition.number
    if submission.status == SubmissionStatus.LINKED:
        # The earlier petition's reply was addressed to its own petitioner: a linked submission
        # sees the progress and the number, never another file's texts.
        out["linked"] = True
        return out
    reply = latest_reply(petition) if stage in ("replied", "closed") else None
    if reply is not None and reply.method != "none":
        out["reply"] = reply.content
        out["replied_at"] = reply.replied_at
    if submission.status == SubmissionStatus.ACCEPTED:
        rating = Rating.objects.filter(petition=petition).order_by("-id").first()
        if rating is not None:
            out["rating"] = rating.value
            if rating.follow_up == FollowUp.ANSWERED:
                out["rating_answer"] = rating.answer
        out["can_rate"] = rating_refusal(submission, latest_reply(petition)) is None
        out["documents"] = documents_for(submission)
    return out
