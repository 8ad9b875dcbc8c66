"""Materials registered with a petition (Rule 3.1): scans, photos, documents, recordings."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _storage_name(instance, filename):
    # Stored under a random name: the petitioner's file name never reaches the disk path.
    return f"attachments/{instance.petition.year}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    petition = models.ForeignKey("petitions.Petition", on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=_storage_name, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(_("type"), max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.name
