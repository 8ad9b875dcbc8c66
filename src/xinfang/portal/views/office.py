"""The office's online intake pages (staff side, the staff base template): the queue, one
submission with its accept form (the registration prefilled and editable), decline and link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from xinfang.audit.services import Context
from xinfang.core.errors import Conflict, Forbidden, InvalidInput
from xinfang.petitions.models import Category
from xinfang.portal.models import SubmissionStatus
from xinfang.portal.selectors import get_submission, is_overdue, waiting
from xinfang.portal.services import intake

PERSON = ("name", "id_number", "phone", "address")


def _office(request):
    if not intake.may_take_in(request.user):
        raise PermissionDenied


@login_required
def intake_list(request):
    _office(request)
    now = timezone.now()
    rows = [(s, is_overdue(s, now)) for s in waiting(request.user)[:500]]
    return render(request, "portal/office/intake_list.html", {"rows": rows})


def accept_form_data(post) -> dict:
    """The accept form as registration fields (only those the clerk may set)."""
    data = {
        "title": post.get("title", ""),
        "content": post.get("content", ""),
        "requests": post.get("requests", ""),
        "category": post.get("category", ""),
        "important": bool(post.get("important")),
        "urgent": bool(post.get("urgent")),
        "anonymous": bool(post.get("anonymous")),
    }
    person = {k: post.get(k, "") for k in PERSON}
    data["petitioners"] = [] if data["anonymous"] else [person]
    return data


def _detail(request, submission, *, values=None, errors=None, refused="", status=200):
    if values is None:
        values = intake.submission_as_registration(submission)
        person = (values.get("petitioners") or [{}])[0]
        values |= {k: person.get(k, "") for k in PERSON}
    context = {
        "submission": submission,
        "overdue": is_overdue(submission),
        "values": values,
        "errors": errors or {},
        "refused": refused,
        "categories": Category.objects.filter(active=True),
        "pending": submission.status == SubmissionStatus.PENDING,
    }
    return render(request, "portal/office/intake_detail.html", context, status=status)


def _flatten(errors: dict) -> dict:
    """Registration errors keyed by the form's flat field names."""
    flat: dict[str, list] = {}
    for path, found in errors.items():
        key = path.rsplit(".", 1)[-1] if path.startswith("petitioners.0.") else path
        key = "name" if key == "petitioners" else key
        flat.setdefault(key, []).extend(str(m) for m in found)
    return flat


@login_required
@require_http_methods(["GET", "POST"])
def intake_detail(request, submission_id):
    _office(request)
    submission = get_submission(request.user, submission_id)
    if request.method == "GET":
        return _detail(request, submission)
    operation = request.POST.get("operation")
    ctx = Context.from_request(request)
    values = None
    try:
        if operation == "accept":
            values = accept_form_data(request.POST) | {k: request.POST.get(k, "") for k in PERSON}
            petition = intake.accept(
                ctx=ctx, submission_id=submission.pk, changes=accept_form_data(request.POST)
            )
            messages.success(
                request, _("Accepted and registered as %(number)s.") % {"number": petition.number}
            )
            return redirect(reverse("petition", args=[petition.number]))
        if operation == "decline":
            intake.decline(ctx=ctx, submission_id=submission.pk, reason=request.POST.get("reason", "")[:5000])
            messages.success(request, _("Not accepted; the citizen will read your reason."))
            return redirect(reverse("portal_intake"))
        if operation == "link":
            petition = intake.link_repeat(
                ctx=ctx, submission_id=submission.pk, number=request.POST.get("number", "")
            )
            messages.success(request, _("Linked to %(number)s as a repeat.") % {"number": petition.number})
            return redirect(reverse("petition", args=[petition.number]))
    except InvalidInput as exc:
        return _detail(request, submission, values=values, errors=_flatten(exc.errors), status=400)
    except (Conflict, Forbidden) as exc:
        return _detail(request, submission, values=values, refused=str(exc.message), status=exc.status)
    return _detail(request, submission, refused=_("Choose accept, decline or link."), status=400)


@login_required
def intake_file(request, submission_id, file_id):
    """A submission's file, for the office only (the same 404 for outsiders and missing ones)."""
    _office(request)
    submission = get_submission(request.user, submission_id)
    found = submission.files.filter(pk=file_id).first()
    if found is None:
        raise Http404
    response = FileResponse(found.file.open("rb"), content_type=found.content_type)
    response["Content-Disposition"] = content_disposition_header(True, found.name)
    return response
