"""Attachments on the web: upload from the petition page (htmx or plain form) and
download through the one authorising door (documents.downloads)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xinfang.audit.services import Context
from xinfang.core.errors import DomainError, InvalidInput
from xinfang.documents.api import refuse_oversized
from xinfang.documents.downloads import attachment_response, get_visible_attachment
from xinfang.documents.services import add_attachment
from xinfang.petitions.selectors import get_visible_petition, petition_detail


@login_required
@require_GET
def download(request, number, attachment_id):
    return attachment_response(get_visible_attachment(request.user, number, attachment_id))


def _answer(request, number, errors, status):
    from xinfang.petitions.views.pages import detail_context

    petition = petition_detail(request.user, number)
    context = detail_context(request, petition) | {"upload_errors": errors}
    if request.htmx:
        return render(request, "petitions/htmx/attachments.html", context, status=status)
    return render(request, "petitions/detail.html", context, status=status)


@login_required
@require_POST
def upload(request, number):
    """Adds the files of the petition page's upload form, one by one; a refused file
    is reported in place and the ones before it stay added."""
    petition = get_visible_petition(request.user, number)
    try:
        refuse_oversized(request)
        files = request.FILES.getlist("file")
        if not files:
            raise InvalidInput({"file": [_("Choose a file to upload.")]})
        for upload_file in files:
            try:
                add_attachment(ctx=Context.from_request(request), petition=petition, upload=upload_file)
            except DomainError as exc:
                exc.file_name = upload_file.name
                raise
    except DomainError as exc:
        prefix = f"“{exc.file_name}”: " if getattr(exc, "file_name", None) else ""
        if isinstance(exc, InvalidInput):
            errors = [prefix + str(m) for msgs in exc.errors.values() for m in msgs]
        else:
            errors = [prefix + str(exc.message)]
        return _answer(request, number, errors, exc.status)
    if request.htmx:
        return _answer(request, number, [], 200)
    messages.success(request, _("The attachment was added."))
    return redirect(reverse("petition", args=[number]))
