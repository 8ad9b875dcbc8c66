"""The petition event log: the timeline people read and the trail auditors verify."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    WEB = "web", _("web")
    API = "api", _("API")
    COMMAND = "command", _("command")


class Event(models.Model):
    """One appended fact about a petition. Rows are never updated or deleted.

    `seq` counts from 1 per petition; `hash` chains each event to the one before
    it (see audit/chain.py), so an edited, removed or reordered event shows.
    """

    petition = models.ForeignKey("petitions.Petition", on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    source = models.CharField(max_length=10, choices=Source.choices)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # Version 2 hashes the request id and `state` too; version 1 rows (older) keep their
    # hashes. `state` is the digest of the petition's rows after this event (audit/state.py),
    # so that verification also catches edits to what the events describe.
    version = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["petition_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["petition", "seq"], name="unique_event_seq")]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self):
        return f"{self.petition_id}#{self.seq} {self.action}"


class Outcome(models.TextChoices):
    ALLOWED = "allowed", _("allowed")
    DENIED = "denied", _("denied")


class AccessLog(models.Model):
    """Who read what, from where, and whether it was allowed (等级保护 CES1-12/13).

    Kept at least 184 days (Cybersecurity Law Art. 21); holds references (petition
    numbers, attachment ids, usernames), never personal data of petitioners.
    """

    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    username = models.CharField(max_length=160, blank=True)  # as typed, for failed sign-ins; escaped
    unit = models.ForeignKey(
        "accounts.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=20, blank=True)
    object_ref = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    detail = models.CharField(max_length=200, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["user", "-at"], name="access_user_at"),
            # The auditor's filters (audit/selectors.access_log): a reference alone (the old
            # index led with object_type, which no filter sets) and the name as typed, newest first.
            models.Index(fields=["object_ref", "-at"], name="access_object_at"),
            models.Index(fields=["username", "-at"], name="access_username_at"),
        ]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")


class ChainHead(models.Model):
    """The last event of each petition's chain, sealed with the audit key.

    The chain shows an edited, removed or reordered event; only the head shows
    that events were cut off the end, or all of them removed.
    """

    petition = models.OneToOneField("petitions.Petition", on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveIntegerField()
    hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)


class ChainCount(models.Model):
    """How many chains (petitions with events) exist, sealed with the audit key.

    Removing a whole petition with its events and head leaves no broken chain behind;
    the sealed count shows it. One row (id 1), updated when a chain starts.
    """

    count = models.PositiveIntegerField(default=0)
    last_petition_id = models.BigIntegerField(null=True)
    mac = models.CharField(max_length=64)


class ChainCheckpoint(models.Model):
    """Where a petition's chain resumes after retention dropped its oldest events.

    Dropping a month of events (audit/retention.py) removes the start of some chains;
    the last dropped event's sequence number, hash and state are sealed here, so the
    events kept still verify from that point and a removal around the application
    (no checkpoint, or one that does not match) still shows. One row per petition,
    moved forward by each later drop.
    """

    petition = models.OneToOneField("petitions.Petition", on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveIntegerField()
    hash = models.CharField(max_length=64)
    state = models.CharField(max_length=64, blank=True, default="")
    cut = models.DateTimeField()  # events before this moment were dropped
    mac = models.CharField(max_length=64)
