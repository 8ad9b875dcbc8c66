"""Finding a submission by query code and secret (CONVENTIONS 20), throttled per address and
per code. Shared by the status page, the rating form, document downloads and the API."""

from __future__ import annotations

from django.http import Http404

from xinfang.portal import codes, throttle
from xinfang.portal.errors import Throttled
from xinfang.portal.models import Submission


def find(address: str, query_code, secret) -> Submission:
    """The submission, or Http404 (wrong code and wrong secret alike), or Throttled (429)."""
    code = codes.normalize(query_code)
    if throttle.query_blocked(address, code):
        throttle.count_failure(address, code)  # keeps the log honest about a running attack
        raise Throttled()
    submission = (
        Submission.objects.select_related("petition", "category").filter(query_code=code).first()
        if code
        else None
    )
    if not codes.secret_matches(submission.secret_hash if submission else None, secret or ""):
        throttle.count_failure(address, code)
        raise Http404
    return submission
