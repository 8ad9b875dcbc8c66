"""API for a petition's attachments."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.core.errors import InvalidInput, PayloadTooLarge
from xinfang.documents.downloads import attachment_response, get_visible_attachment
from xinfang.documents.services import add_attachment
from xinfang.petitions.api.views import api_context
from xinfang.petitions.selectors import get_visible_petition

AttachmentOut = inline_serializer(
    "Attachment",
    {
        "id": serializers.IntegerField(),
        "name": serializers.CharField(),
        "size": serializers.IntegerField(),
        "sha256": serializers.CharField(),
        "content_type": serializers.CharField(),
    },
)

# Multipart framing around the file: a generous allowance before refusing by length.
MULTIPART_OVERHEAD = 64 * 1024


def refuse_oversized(request) -> None:
    """Refuse by Content-Length before the body is read at all."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD:
        raise PayloadTooLarge(
            _("The file is larger than the limit of %(mb)d MB.") % {"mb": settings.MAX_UPLOAD_BYTES // 2**20}
        )


class AttachmentListView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        responses={201: AttachmentOut},
    )
    def post(self, request, number):
        petition = get_visible_petition(request.user, number)
        refuse_oversized(request)
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput({"file": [_("Send the file in the multipart field “file”.")]})
        attachment = add_attachment(ctx=api_context(request), petition=petition, upload=upload)
        return Response(
            {
                "id": attachment.pk,
                "name": attachment.name,
                "size": attachment.size,
                "sha256": attachment.sha256,
                "content_type": attachment.content_type,
            },
            status=status.HTTP_201_CREATED,
        )


class AttachmentDownloadView(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, number, attachment_id):
        return attachment_response(get_visible_attachment(request.user, number, attachment_id))
