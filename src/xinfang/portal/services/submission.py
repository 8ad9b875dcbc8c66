"""A citizen submits (issue 13 §2). No account: the public door. The intake clock starts now."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from xinfang.deadlines import clocks
from xinfang.deadlines.models import Clock
from xinfang.petitions.choices import Channel
from xinfang.petitions.services.registration import blind_index
from xinfang.portal import codes, throttle
from xinfang.portal.checks import SubmissionInput
from xinfang.portal.errors import Throttled
from xinfang.portal.models import Submission, SubmissionFile

INTAKE_CLOCK = Clock.INTAKE


def intake_due(submitted_at):
    """The intake clock from the deadline policies (clock "intake", channel online; seeded by
    the deadlines app, edited by the administrator); with no row, the built-in 7 calendar days
    (Rule 4.6's "within one week")."""
    rule = clocks.Policies().rule(INTAKE_CLOCK, Channel.ONLINE)
    return clocks.compute(submitted_at, rule)


def submit(*, data: SubmissionInput, address: str) -> tuple[Submission, str]:
    """Store a checked submission and return it with its secret (shown once, never stored).

    The caller validated `data` (checks.check_submission). The rate limits are checked here,
    so that every door (page, API) refuses a burst the same way; a refused burst costs one
    cache read and writes nothing.
    """
    phone_index = blind_index("phone", data.phone) if data.phone else ""
    if not throttle.submission_allowed(address, phone_index):
        raise Throttled()
    now = timezone.now()
    due = intake_due(now)
    secret = codes.new_secret()
    stored = []
    try:
        for f in data.files:
            holder = SubmissionFile(
                submission=Submission(submitted_at=now),
                name=f.name,
                size=f.size,
                sha256=f.sha256,
                content_type=f.content_type,
            )
            # The file is written first; if the database work fails, it is removed again.
            holder.file.save("upload", f.upload, save=False)
            stored.append(holder)
        submission = _create(data, now, due, secret)
        for holder in stored:
            holder.submission = submission
        SubmissionFile.objects.bulk_create(stored)
    except BaseException:
        for holder in stored:
            holder.file.storage.delete(holder.file.name)
        raise
    throttle.count_submission(address, phone_index)
    return submission, secret


def _create(data: SubmissionInput, now, due, secret: str) -> Submission:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Submission.objects.create(
                    query_code=codes.new_query_code(),
                    secret_hash=codes.hash_secret(secret),
                    submitted_at=now,
                    anonymous=data.anonymous,
                    name=data.name,
                    id_number=data.id_number,
                    phone=data.phone,
                    address=data.address,
                    title=data.title,
                    content=data.content,
                    requests=data.requests,
                    category=data.category,
                    consent_at=now,
                    due_at=due.due_at,
                    calendar_gap=due.calendar_gap,
                )
        except IntegrityError:  # a query code drawn twice (31^10 codes): draw again
            continue
    raise RuntimeError("could not draw a free query code")
