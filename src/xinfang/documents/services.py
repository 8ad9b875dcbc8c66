"""Adding attachments to a petition."""

from __future__ import annotations

import hashlib
import os
import unicodedata

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from xinfang.audit.services import Context, append_event
from xinfang.core.errors import Conflict, Forbidden, InvalidInput, PayloadTooLarge
from xinfang.documents.models import Attachment
from xinfang.documents.sniffing import HEAD_BYTES, sniff
from xinfang.petitions.choices import OPEN_STATUSES
from xinfang.petitions.models import Petition

MAX_NAME = 200


def clean_file_name(name: str, extension: str) -> str:
    """A display name safe for headers and pages: no path, no control characters, and
    the extension of what the file really is."""
    name = os.path.basename(str(name).replace("\\", "/"))
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    stem = name.rsplit(".", 1)[0].strip(" .") or "attachment"
    return f"{stem[: MAX_NAME - len(extension) - 1]}.{extension}"


def may_attach(user, petition) -> bool:
    """Office staff and leaders; handling officers whose unit works the petition
    (materials of their investigation, Rule 3.3)."""
    from xinfang.accounts.models import OFFICE_ROLES, Role
    from xinfang.petitions.actors import Facts

    if user.has_role(*OFFICE_ROLES):
        return True
    return user.has_role(Role.HANDLER) and bool(Facts(user, petition).my_assignments)


def add_attachment(*, ctx: Context, petition: Petition, upload: UploadedFile) -> Attachment:
    """Check an uploaded file (size, sniffed type), store it and log it on the petition.

    The caller has established that the petition is visible to ctx.actor.
    """
    if not may_attach(ctx.actor, petition):
        raise Forbidden(_("You may not add materials to this petition."))
    return record_attachment(
        ctx=ctx, petition=petition, attachment=store_upload(ctx=ctx, upload=upload, year=petition.year)
    )


def store_upload(*, ctx: Context, upload: UploadedFile, year: int) -> Attachment:
    """The checks of add_attachment that need no petition (size, sniffed type), then the file
    written to storage: an unsaved Attachment for record_attachment. The page that registers a
    petition with its files stores them first, before its transaction takes the year's number,
    so that the number is not held while files are written. The caller deletes the file
    (`attachment.file.storage.delete(attachment.file.name)`) if it is never recorded."""
    if upload.size is not None and upload.size > settings.MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(
            _("The file is larger than the limit of %(mb)d MB.") % {"mb": settings.MAX_UPLOAD_BYTES // 2**20}
        )
    if not upload.size:
        raise InvalidInput({"file": [_("The file is empty.")]})
    upload.seek(0)
    sniffed = sniff(upload.read(HEAD_BYTES))
    if sniffed is None:
        raise InvalidInput(
            {
                "file": [
                    _(
                        "This kind of file is not accepted. Accepted: PDF, images, Office documents, "
                        "audio recordings and MP4 video."
                    )
                ]
            }
        )
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        name=clean_file_name(upload.name or "", sniffed.extension),
        size=upload.size,
        sha256=digest.hexdigest(),
        content_type=sniffed.content_type,
        uploaded_by=ctx.actor,
    )
    attachment.storage_year = year  # the storage path's year (models._storage_name)
    attachment.file.save("upload", upload, save=False)
    return attachment


def record_attachment(*, ctx: Context, petition: Petition, attachment: Attachment) -> Attachment:
    """A stored file (store_upload) saved on `petition` and logged; if the database work fails,
    the file is removed again. The caller has checked may_attach."""
    attachment.petition = petition
    try:
        with transaction.atomic():
            locked = Petition.objects.select_for_update().get(pk=petition.pk)
            if locked.status not in OPEN_STATUSES:
                raise Conflict(_("Materials cannot be added to a closed petition."))
            attachment.save()
            append_event(
                locked,
                ctx,
                "attachment.added",
                {
                    "attachment": attachment.pk,
                    "name": attachment.name,
                    "size": attachment.size,
                    "sha256": attachment.sha256,
                    "content_type": attachment.content_type,
                },
            )
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment
