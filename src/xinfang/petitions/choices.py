from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    LETTER = "letter", _("letter")
    VISIT = "visit", _("visit")
    CALL = "call", _("call")
    ONLINE = "online", _("online")
    SUPERIOR = "superior", _("assigned by a superior")
    ASSISTANCE = "assistance", _("assistance request")


# Channels where the petitioner is in front of (or on the line with) the first
# responder, who keeps a reception record (Rule 4.2).
RECEPTION_CHANNELS = frozenset({Channel.VISIT, Channel.CALL})


class Status(models.TextChoices):
    """States of DESIGN.md §4. Only workflow services write them."""

    REGISTERED = "registered", _("registered")
    PROPOSED = "proposed", _("proposed")
    INSTRUCTED = "instructed", _("instructed")
    ASSIGNED = "assigned", _("assigned")
    INVESTIGATING = "investigating", _("investigating")
    RESULT_SUBMITTED = "result_submitted", _("result submitted")
    CONFIRMED = "confirmed", _("confirmed")
    REPLIED = "replied", _("replied")
    REPORTED = "reported", _("reported")
    CLOSED = "closed", _("closed")
    ARCHIVED = "archived", _("archived")
    PERSUADED = "persuaded", _("persuaded to stop")
    REFERRED_TO_POLICE = "referred_to_police", _("referred to public security")
    MERGED = "merged", _("merged")
    VOID = "void", _("void")


OPEN_STATUSES = frozenset(
    {
        Status.REGISTERED,
        Status.PROPOSED,
        Status.INSTRUCTED,
        Status.ASSIGNED,
        Status.INVESTIGATING,
        Status.RESULT_SUBMITTED,
        Status.CONFIRMED,
        Status.REPLIED,
        Status.REPORTED,
    }
)
# Ended and waiting to be archived: the clerk's "to archive" queue, and the partial index that
# serves it newest first (models.Petition, petition_to_archive_order).
TO_ARCHIVE_STATUSES = (Status.CLOSED, Status.PERSUADED, Status.REFERRED_TO_POLICE)

GROUP_PETITION_SIZE = 5  # five or more petitioners make a group petition (集体访)
