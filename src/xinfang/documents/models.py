"""Materials registered with a petition (Rule 3.1): scans, photos, documents, recordings."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _storage_name(instance, filename):
    # Stored under a random name: the petitioner's file name never reaches the disk path.
    # A file stored before its petition exists (documents/services.store_upload) carries the year.
    year = getattr(instance, "storage_year", None) or instance.petition.year
    return f"attachments/{year}/{uuid.uuid4().hex}"


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


# --- Official documents (文书): numbered, generated, delivered (Rules 2.2, 3.4, 4.6) -------------


class ReferenceSequence(models.Model):
    """The last 文号 serial given per document type and year. Allocated by an UPDATE inside
    the generating transaction (documents/references.py), so numbers are gapless."""

    doc_type = models.CharField(max_length=32)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["doc_type", "year"], name="unique_reference_sequence")]


def _master_name(instance, filename):
    return f"masters/{instance.doc_type}/{uuid.uuid4().hex}.docx"


class DocumentMaster(models.Model):
    """An uploaded .docx master for one document type. The newest one is in force; older
    ones stay, so that every generated document can say which master it came from."""

    doc_type = models.CharField(_("document type"), max_length=32)
    file = models.FileField(upload_to=_master_name, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # Reverting to the shipped default is an entry too: no file, and nothing is deleted.
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["doc_type", "-id"]
        verbose_name = _("document master")
        verbose_name_plural = _("document masters")


class PdfStatus(models.TextChoices):
    PENDING = "pending", _("being prepared")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")


def _document_name(instance, filename):
    return f"documents/{instance.petition.year}/{uuid.uuid4().hex}{filename[filename.rfind('.') :]}"


class GeneratedDocument(models.Model):
    """One version of one official document of a petition. Never changed once written,
    except that its PDF arrives later; regenerating makes the next version."""

    petition = models.ForeignKey(
        "petitions.Petition", on_delete=models.PROTECT, related_name="official_documents"
    )
    doc_type = models.CharField(_("document type"), max_length=32)
    # The unit the document is addressed to, for the per-unit kinds (转送函, 交办单, 督办函).
    unit = models.ForeignKey(
        "accounts.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    addressee_key = models.CharField(max_length=40, default="")  # "" or "unit:<id>": one series each
    version = models.PositiveIntegerField()
    reference = models.CharField(_("reference number"), max_length=100, unique=True)
    serial = models.PositiveIntegerField()
    year = models.PositiveSmallIntegerField()
    title = models.CharField(_("title"), max_length=200)
    recipient_name = models.CharField(_("addressed to"), max_length=200, blank=True)
    docx = models.FileField(upload_to=_document_name, max_length=200)
    sha256 = models.CharField(max_length=64)
    pdf = models.FileField(upload_to=_document_name, max_length=200, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_status = models.CharField(max_length=8, choices=PdfStatus.choices, default=PdfStatus.PENDING)
    master = models.ForeignKey(
        DocumentMaster, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Which document a 送达回证 proves the delivery of.
    concerns = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("official document")
        verbose_name_plural = _("official documents")
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "doc_type", "addressee_key", "version"], name="unique_document_version"
            ),
            models.UniqueConstraint(fields=["doc_type", "year", "serial"], name="unique_document_serial"),
        ]

    def __str__(self):
        return self.reference


class DeliveryMethod(models.TextChoices):
    POST = "post", _("by post")
    IN_PERSON = "in_person", _("in person")
    ELECTRONIC = "electronic", _("electronically")


class Delivery(models.Model):
    """How and when an outgoing document reached its addressee; optionally the scan of
    the signed 送达回证 (kept as an attachment of the petition)."""

    document = models.ForeignKey(GeneratedDocument, on_delete=models.PROTECT, related_name="deliveries")
    method = models.CharField(_("method"), max_length=12, choices=DeliveryMethod.choices)
    delivered_at = models.DateTimeField(_("delivered at"))
    recipient = models.CharField(_("received by"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    scan = models.ForeignKey(Attachment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["delivered_at", "id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
