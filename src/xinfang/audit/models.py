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

    class Meta:
        ordering = ["petition_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["petition", "seq"], name="unique_event_seq")]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self):
        return f"{self.petition_id}#{self.seq} {self.action}"
