"""Official documents on the web: the petition page's panel (htmx fragment or whole page),
generation from it, downloads and deliveries. Thin: the services decide, as for the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xinfang.audit.services import Context
from xinfang.core.errors import DomainError, InvalidInput
from xinfang.documents.api import refuse_oversized
from xinfang.documents.deliveries import record_delivery
from xinfang.documents.generation import generate
from xinfang.documents.masters.store import current_record, may_manage_masters, revert_master, upload_master
from xinfang.documents.official_api import file_response, get_visible_document
from xinfang.documents.panels import panel_context
from xinfang.documents.types import REGISTRY, get_type
from xinfang.petitions.selectors import get_visible_petition


def _messages(exc: DomainError) -> list[str]:
    if isinstance(exc, InvalidInput):
        return [str(m) for msgs in exc.errors.values() for m in msgs]
    return [str(exc.message)]


def _panel(request, petition, *, status=200, errors=None, notice=None) -> HttpResponse:
    context = panel_context(request, petition, errors=errors, notice=notice)
    return render(request, "documents/_panel.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def petition_documents(request, number):
    petition = get_visible_petition(request.user, number)
    if request.method == "GET":
        if not request.htmx:
            return redirect(reverse("petition", args=[number]) + "#documents")
        return _panel(request, petition)
    data = {"type": request.POST.get("type"), "unit": request.POST.get("unit") or None, "extra": {}}
    for key, value in request.POST.items():
        if key.startswith("extra.") and value.strip():
            data["extra"][key[len("extra.") :]] = value
    try:
        document = generate(ctx=Context.from_request(request), petition=petition, data=data)
    except DomainError as exc:
        if request.htmx:
            return _panel(request, petition, status=exc.status, errors=_messages(exc))
        for message in _messages(exc):
            messages.error(request, message)
        return redirect(reverse("petition", args=[number]) + "#documents")
    notice = _("%(title)s %(reference)s was generated.") % {
        "title": document.title,
        "reference": document.reference,
    }
    if request.htmx:
        return _panel(request, petition, status=201, notice=notice)
    messages.success(request, notice)
    return redirect(reverse("petition", args=[number]) + "#documents")


@login_required
@require_GET
def document_file(request, number, document_id, fmt):
    try:
        return file_response(request.user, get_visible_document(request.user, number, document_id), fmt)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect(reverse("petition", args=[number]) + "#documents")


@login_required
@require_POST
def delivery(request, number):
    document = get_visible_document(request.user, number, request.POST.get("document"))
    try:
        refuse_oversized(request)
        data = {key: request.POST.get(key) for key in ("method", "delivered_at", "recipient", "note")}
        record_delivery(
            ctx=Context.from_request(request),
            petition=document.petition,
            document=document,
            data=data,
            scan=request.FILES.get("scan"),
        )
    except DomainError as exc:
        for message in _messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("The delivery was recorded."))
    return redirect(reverse("petition", args=[number]) + "#documents")


@login_required
@require_http_methods(["GET", "POST"])
def masters(request):
    """The system administrator's page of masters: download, upload (checked), revert."""
    if not may_manage_masters(request.user):
        raise PermissionDenied
    if request.method == "POST":
        doc_type = get_type(request.POST.get("type"))
        if doc_type is None:
            messages.error(request, _("Unknown document type."))
            return redirect("document_masters")
        ctx = Context.from_request(request)
        try:
            if request.POST.get("revert"):
                revert_master(ctx=ctx, doc_type=doc_type)
            else:
                refuse_oversized(request)
                upload_file = request.FILES.get("file")
                if upload_file is None:
                    raise InvalidInput({"file": [_("Choose a file to upload.")]})
                upload_master(ctx=ctx, doc_type=doc_type, name=upload_file.name, data=upload_file.read())
        except DomainError as exc:
            for message in _messages(exc):
                messages.error(request, f"{doc_type.name}: {message}")
        else:
            messages.success(request, _("The master of %(type)s was changed.") % {"type": doc_type.name})
        return redirect("document_masters")
    language = get_language() or "zh-hans"
    rows = [
        {
            "type": doc_type,
            "label": doc_type.label(language),
            "record": current_record(doc_type.code),
            "placeholders": sorted(doc_type.all_placeholders),
        }
        for doc_type in REGISTRY.values()
    ]
    return render(request, "documents/masters.html", {"rows": rows})
