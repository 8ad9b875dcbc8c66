"""Serving attachments: only through here, only when the petition is visible and
the attachment belongs to it, always as a download that no browser renders."""

from __future__ import annotations

from django.http import FileResponse, Http404

from xinfang.audit.access import record
from xinfang.audit.models import Outcome
from xinfang.core.ids import parse_id
from xinfang.documents.models import Attachment
from xinfang.petitions.selectors import get_visible_petition


def get_visible_attachment(user, number: str, attachment_id) -> Attachment:
    petition = get_visible_petition(user, number)
    attachment_id = parse_id(attachment_id)
    if attachment_id is None:
        raise Http404
    # Bound to its petition: the id of another petition's file is simply not found.
    attachment = Attachment.objects.filter(petition=petition, pk=attachment_id).first()
    if attachment is None:
        if Attachment.objects.filter(pk=attachment_id).exists():
            # Another petition's file asked for under this one: a guess worth recording.
            record(
                "attachment.download",
                outcome=Outcome.DENIED,
                object_type="attachment",
                object_ref=str(attachment_id),
                detail=f"under {petition.number}",
                user=user,
            )
        raise Http404
    record(
        "attachment.download",
        object_type="attachment",
        object_ref=str(attachment.pk),
        detail=petition.number,
        user=user,
    )
    return attachment


def attachment_response(attachment: Attachment) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-store"
    return response
