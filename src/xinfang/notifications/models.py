"""In-app notifications: a line in someone's inbox that points at a petition."""

from django.conf import settings
from django.db import models


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    petition = models.ForeignKey("petitions.Petition", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=40)  # e.g. "to_instruct", "urgent", "sent_back"
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")]
