"""Online submissions (网上信访) waiting for intake, their files, and citizens' ratings.

A submission is not a petition yet: it gets a number only when a clerk accepts it (Rule 3.1,
the gapless series holds registered petitions only). Its personal data is sealed as on
registration (core/crypto.py); the citizen's secret is kept only as a keyed hash.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.core.fields import EncryptedTextField
from xinfang.petitions.models import Category, Petition


class SubmissionStatus(models.TextChoices):
    PENDING = "pending", _("waiting for intake")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("not accepted")
    LINKED = "linked", _("linked to an earlier petition")


class Submission(models.Model):
    query_code = models.CharField(_("query code"), max_length=16, unique=True)
    # HMAC-SHA256 of the secret under a key derived from SECRET_KEY (portal/codes.py).
    secret_hash = models.CharField(max_length=64)
    submitted_at = models.DateTimeField(_("submitted at"), db_index=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    name = models.CharField(_("name"), max_length=50, blank=True)
    id_number = EncryptedTextField(_("ID number"), max_length=18, blank=True, purpose="portal.id_number")
    phone = EncryptedTextField(_("phone"), max_length=30, blank=True, purpose="portal.phone")
    address = EncryptedTextField(_("address"), max_length=200, blank=True, purpose="portal.address")
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("problem raised"), max_length=20000)
    requests = models.TextField(_("requests"), max_length=5000, blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT
    )
    consent_at = models.DateTimeField(_("consent to the personal data notice"))
    status = models.CharField(
        _("status"), max_length=16, choices=SubmissionStatus.choices, default=SubmissionStatus.PENDING
    )
    # The intake clock (DESIGN.md §6): due from the submission, escalated once when overdue.
    due_at = models.DateTimeField(_("intake due by"))
    calendar_gap = models.CharField(max_length=40, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Shown to the citizen (不予受理 with a reason).
    decline_reason = models.TextField(_("reason for not accepting"), max_length=5000, blank=True)
    # The petition it became (accepted) or repeats (linked).
    petition = models.ForeignKey(
        Petition, null=True, blank=True, on_delete=models.PROTECT, related_name="portal_submissions"
    )

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("online submission")
        verbose_name_plural = _("online submissions")
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="submission_status_time"),
            models.Index(fields=["status", "escalated_at", "due_at"], name="submission_overdue"),
        ]

    def __str__(self):
        return f"{self.query_code} {self.title}"


def _file_name(instance, filename):
    # A random name: the citizen's file name never reaches the disk path.
    return f"portal/{instance.submission.submitted_at:%Y}/{uuid.uuid4().hex}"


class SubmissionFile(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(upload_to=_file_name, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(_("type"), max_length=100)

    class Meta:
        ordering = ["id"]


class RatingValue(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


class FollowUp(models.TextChoices):
    NONE = "", _("none needed")
    OPEN = "open", _("waiting for a leader")
    REWORKED = "reworked", _("sent back for rework")
    ANSWERED = "answered", _("answered")


class Rating(models.Model):
    """满意度评价: one per reply (a reworked matter replied again may be rated again)."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="ratings")
    reply = models.ForeignKey(
        "petitions.Reply", on_delete=models.PROTECT, related_name="+", verbose_name=_("reply rated")
    )
    value = models.CharField(_("rating"), max_length=24, choices=RatingValue.choices)
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    rated_at = models.DateTimeField(_("rated at"))
    follow_up = models.CharField(max_length=12, choices=FollowUp.choices, blank=True, default="")
    followed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    followed_up_at = models.DateTimeField(null=True, blank=True)
    # A leader's answer to an unsatisfactory rating: the citizen reads it on the status page.
    answer = models.TextField(_("answer"), max_length=20000, blank=True)

    class Meta:
        ordering = ["rated_at", "id"]
        constraints = [models.UniqueConstraint(fields=["reply"], name="one_rating_per_reply")]
        indexes = [models.Index(fields=["follow_up", "petition"], name="rating_follow_up")]
