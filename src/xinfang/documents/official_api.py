"""API of official documents (API.md "Documents"): types, generation, the list, downloads,
deliveries, and the masters for the system administrator. Thin: the services decide."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.audit.access import record
from xinfang.core.errors import Conflict, Forbidden, InvalidInput
from xinfang.core.ids import parse_id
from xinfang.core.parsers import BoundedJSONParser
from xinfang.documents.api import refuse_oversized
from xinfang.documents.deliveries import record_delivery
from xinfang.documents.generation import DOCX_TYPE, generate, visible_documents
from xinfang.documents.masters.store import current_master, may_manage_masters, revert_master, upload_master
from xinfang.documents.models import GeneratedDocument, PdfStatus
from xinfang.documents.types import REGISTRY, get_type
from xinfang.petitions.api.views import api_context
from xinfang.petitions.selectors import get_visible_petition


def type_row(doc_type) -> dict:
    return {
        "code": doc_type.code,
        "name": doc_type.name,
        "name_en": doc_type.name_en,
        "when": str(doc_type.when),
        "per_unit": doc_type.per_unit,
        "extra": sorted(doc_type.extra),
        "placeholders": sorted(doc_type.all_placeholders),
    }


def document_row(document: GeneratedDocument) -> dict:
    number = document.petition.number

    def url(fmt):
        return reverse("api-petition-document-file", args=[number, document.pk, fmt])

    return {
        "id": document.pk,
        "type": document.doc_type,
        "title": document.title,
        "reference": document.reference,
        "version": document.version,
        "unit": document.unit_id,
        "addressed_to": document.recipient_name,
        "sha256": document.sha256,
        "pdf_status": document.pdf_status,
        "pdf_sha256": document.pdf_sha256 or None,
        "created_at": document.created_at.isoformat(),
        "files": {"docx": url("docx"), "pdf": url("pdf")},
        "deliveries": [
            {
                "method": d.method,
                "delivered_at": d.delivered_at.isoformat(),
                "recipient": d.recipient,
                "scan": d.scan_id,
            }
            for d in document.deliveries.all()
        ],
    }


def get_visible_document(user, number, document_id) -> GeneratedDocument:
    """404 unless the petition is visible, the document belongs to it and the reader may read
    it (documents.generation.visible_documents)."""
    petition = get_visible_petition(user, number)
    document_id = parse_id(document_id)
    document = visible_documents(user, petition).filter(pk=document_id).first() if document_id else None
    if document is None:
        raise Http404
    document.petition = petition
    return document


def file_response(user, document: GeneratedDocument, fmt: str) -> FileResponse:
    if fmt == "pdf":
        if document.pdf_status != PdfStatus.READY:
            raise Conflict(
                _("The PDF is still being prepared.")
                if document.pdf_status == PdfStatus.PENDING
                else _("The PDF could not be made; the .docx is available.")
            )
        field, content_type = document.pdf, "application/pdf"
    elif fmt == "docx":
        field, content_type = document.docx, DOCX_TYPE
    else:
        raise Http404
    record(
        "document.download",
        object_type="document",
        object_ref=str(document.pk),
        detail=f"{document.petition.number} {fmt}",
        user=user,
    )
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=f"{document.reference}.{fmt}", content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-store"
    return response


class DocumentTypeListView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response([type_row(t) for t in REGISTRY.values()])


class PetitionDocumentsView(APIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(operation_id="petition_documents_list", responses={200: OpenApiTypes.OBJECT})
    def get(self, request, number):
        petition = get_visible_petition(request.user, number)
        documents = visible_documents(request.user, petition).prefetch_related("deliveries")
        rows = []
        for document in documents:
            document.petition = petition
            rows.append(document_row(document))
        return Response(rows)

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses={201: OpenApiTypes.OBJECT},
        description='{"type", "unit"?, "extra"?}; 409 where the state does not allow the document.',
    )
    def post(self, request, number):
        petition = get_visible_petition(request.user, number)
        document = generate(ctx=api_context(request), petition=petition, data=request.data)
        document.petition = petition
        return Response(document_row(document), status=status.HTTP_201_CREATED)


class DocumentFileView(APIView):
    @extend_schema(
        operation_id="petition_document_file",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request, number, document_id, fmt):
        return file_response(request.user, get_visible_document(request.user, number, document_id), fmt)


class DeliveryView(APIView):
    parser_classes = [BoundedJSONParser, MultiPartParser]

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses={201: OpenApiTypes.OBJECT},
        description='{"method": "post|in_person|electronic", "delivered_at"?, "recipient"?, "note"?}; '
        "multipart with a `scan` file for the signed proof of delivery.",
    )
    def post(self, request, number, document_id):
        document = get_visible_document(request.user, number, document_id)
        refuse_oversized(request)
        data = {key: request.data.get(key) for key in ("method", "delivered_at", "recipient", "note")}
        scan = request.FILES.get("scan") if hasattr(request, "FILES") else None
        record_delivery(
            ctx=api_context(request), petition=document.petition, document=document, data=data, scan=scan
        )
        document = GeneratedDocument.objects.prefetch_related("deliveries").get(pk=document.pk)
        return Response(document_row(document), status=status.HTTP_201_CREATED)


def _master_type(user, code):
    if not may_manage_masters(user):
        raise Forbidden(_("Only the system administrator manages document masters."))
    doc_type = get_type(code)
    if doc_type is None:
        raise Http404
    return doc_type


class MasterView(APIView):
    """GET the master in force (.docx); POST (or PUT) a new one as multipart `file`; the
    placeholders a type may use are in GET /document-types."""

    parser_classes = [MultiPartParser]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, code):
        doc_type = _master_type(request.user, code)
        response = HttpResponse(current_master(doc_type.code).data, content_type=DOCX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{doc_type.code}.docx"'
        return response

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        responses={200: OpenApiTypes.OBJECT},
    )
    def put(self, request, code):
        doc_type = _master_type(request.user, code)
        refuse_oversized(request)
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput({"file": [_("Send the file in the multipart field “file”.")]})
        master = upload_master(
            ctx=api_context(request), doc_type=doc_type, name=upload.name, data=upload.read()
        )
        return Response(
            {"type": doc_type.code, "sha256": master.sha256, "uploaded_at": master.uploaded_at.isoformat()}
        )

    post = put  # browsers' forms and most clients send uploads as POST


class MasterRevertView(APIView):
    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, code):
        doc_type = _master_type(request.user, code)
        master = revert_master(ctx=api_context(request), doc_type=doc_type)
        return Response({"type": doc_type.code, "sha256": master.sha256, "default": True})
