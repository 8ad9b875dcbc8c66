"""The registration form (Rules 2.1, 3.1, 4.1-4.3) and the correction of a registration.

One screen for every channel. The page gathers the fields into API.md's data
shape (petitions/forms.py); check_registration decides what is valid, the
registration service registers, and documents.services stores the materials.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from xinfang.accounts.models import Unit, UnitKind
from xinfang.audit.services import Context
from xinfang.core.errors import Conflict, DomainError, Forbidden, InvalidInput
from xinfang.documents.services import may_attach, record_attachment, store_upload
from xinfang.documents.sniffing import HEAD_BYTES, sniff
from xinfang.petitions import forms
from xinfang.petitions.choices import RECEPTION_CHANNELS, Channel
from xinfang.petitions.deadlines import office_year
from xinfang.petitions.models import Category
from xinfang.petitions.selectors import get_visible_petition, petition_detail
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import (
    correct_registration,
    may_register,
    register_petition,
    registration_as_data,
)
from xinfang.petitions.views import kept_uploads

SUPERIOR_KINDS = (UnitKind.SUPERIOR, UnitKind.EXTERNAL, UnitKind.PUBLIC_SECURITY)


def _unit_choices():
    """Active units in tree order, each with its depth for indentation."""
    units = sorted(Unit.objects.filter(active=True), key=lambda u: (u.path.count("/"), u.sort_order, u.code))
    by_parent: dict[int | None, list[Unit]] = {}
    for unit in units:
        by_parent.setdefault(unit.parent_id, []).append(unit)
    ordered = []

    def walk(parent_id, depth):
        for unit in by_parent.get(parent_id, []):
            ordered.append(
                {
                    "id": str(unit.pk),
                    "name": unit.name,
                    "kind": unit.kind,
                    "depth": depth,
                    "indent": "\u3000" * depth,
                }
            )
            walk(unit.pk, depth + 1)

    known = {u.pk for u in units}
    walk(None, 0)
    # Units under an inactive parent still appear, at the top level.
    for unit in units:
        if unit.parent_id and unit.parent_id not in known:
            ordered.append(
                {"id": str(unit.pk), "name": unit.name, "kind": unit.kind, "depth": 0, "indent": ""}
            )
            walk(unit.pk, 1)
    return ordered


# The error summary links each message to its field (id on the page), with the field's label.
_FIELD_IDS = {
    "channel": ("id_channel", _lazy("Channel")),
    "category": ("id_category_search", _lazy("Category")),
    "received_at": ("id_received_at", _lazy("Received at")),
    "title": ("id_title", _lazy("Title")),
    "content": ("id_content", _lazy("Problem raised")),
    "requests": ("id_requests", _lazy("Requests")),
    "reception.notes": ("id_reception_notes", _lazy("Conversation notes")),
    "reception.explained": ("id_reception_explained", _lazy("Policies and laws explained")),
    "reception.visitors": ("id_reception_visitors", _lazy("Number of visitors")),
    "superior.unit": ("id_superior_unit", _lazy("Organ")),
    "superior.reference": ("id_superior_reference", _lazy("Their reference number")),
    "superior.due_date": ("id_superior_due_date", _lazy("Due date")),
    "involved_units": ("id_involved_units", _lazy("Involved units")),
    "files": ("id_files", _lazy("Attachments (scans, photos, documents, recordings)")),
}
_ROW_LABELS = {
    "name": _lazy("Name"),
    "id_number": _lazy("ID number"),
    "phone": _lazy("Phone"),
    "address": _lazy("Address"),
    "work_unit": _lazy("Work unit"),
    "unit": _lazy("Unit"),
    "user": _lazy("User name (if they have an account)"),
}


def error_links(errors: dict) -> list[dict]:
    """Each message of the summary with the id of its field and the field's label,
    in the order of the page; messages with no field of their own come last, unlinked."""
    links = []
    for path, texts in errors.items():
        parts = path.split(".")
        target = label = None
        if path in _FIELD_IDS:
            target, label = _FIELD_IDS[path]
        elif parts[0] in ("petitioners", "involved_persons") and len(parts) == 3 and parts[1].isdigit():
            target = f"{parts[0]}-{parts[1]}-{parts[2]}"
            row = _("Petitioner") if parts[0] == "petitioners" else _("Involved person")
            label = f"{row} {int(parts[1]) + 1} · {_ROW_LABELS.get(parts[2], parts[2])}"
        for message in texts:
            links.append({"target": target, "label": str(label) if label else "", "message": str(message)})
    return sorted(links, key=lambda link: link["target"] is None)


def _form_context(request, form: dict, errors: dict | None = None) -> dict:
    fields, petitioner_errors, person_errors, elsewhere = forms.errors_by_place(errors or {})
    language = get_language() or settings.LANGUAGE_CODE
    units = _unit_choices()
    petitioners = form["petitioners"] or [
        dict.fromkeys(forms.PETITIONER_FIELDS, "") | {"is_representative": False}
    ]
    return {
        "form": form,
        "errors": fields,
        "error_count": sum(len(m) for m in (errors or {}).values()),
        "error_links": error_links(errors or {}),
        "other_errors": elsewhere,
        "petitioner_rows": [
            {"index": i, "values": row, "errors": petitioner_errors.get(i, {})}
            for i, row in enumerate(petitioners)
        ],
        "person_rows": [
            {"index": i, "values": row, "errors": person_errors.get(i, {})}
            for i, row in enumerate(form["involved_persons"])
        ],
        "channels": Channel.choices,
        "reception_channels": sorted(RECEPTION_CHANNELS),
        "superior_channels": sorted(forms.SUPERIOR_CHANNELS),
        # A block the channel does not use still shows when it holds input or an error,
        # so that "only visits and calls have a reception record" is seen where it applies.
        "shows_reception": form["channel"] in RECEPTION_CHANNELS
        or any(form["reception"].values())
        or any(k.startswith("reception") for k in fields),
        "shows_superior": form["channel"] in forms.SUPERIOR_CHANNELS
        or any(form["superior"].values())
        or any(k.startswith("superior") for k in fields),
        "categories": [(c.code, c.localized_name(language)) for c in Category.objects.filter(active=True)],
        "units": units,
        "superior_units": [u for u in units if u["kind"] in SUPERIOR_KINDS],
        "max_upload_mb": settings.MAX_UPLOAD_BYTES // 2**20,
    }


def _check_files(files) -> list[str]:
    """The same refusals as add_attachment, made before anything is registered so that
    they are shown together with the form's other errors."""
    problems = []
    for upload in files:
        if upload.size is not None and upload.size > settings.MAX_UPLOAD_BYTES:
            problems.append(
                _("“%(name)s” is larger than the limit of %(mb)d MB.")
                % {"name": upload.name, "mb": settings.MAX_UPLOAD_BYTES // 2**20}
            )
        elif not upload.size:
            problems.append(_("“%(name)s” is empty.") % {"name": upload.name})
        else:
            upload.seek(0)
            if sniff(upload.read(HEAD_BYTES)) is None:
                problems.append(
                    _(
                        "“%(name)s”: this kind of file is not accepted. Accepted: PDF, images, Office documents, "
                        "audio recordings and MP4 video."
                    )
                    % {"name": upload.name}
                )
            upload.seek(0)
    return problems


def _file_errors(exc: DomainError, upload) -> list[str]:
    if isinstance(exc, InvalidInput):
        return [f"“{upload.name}”: {m}" for msgs in exc.errors.values() for m in msgs]
    return [f"“{upload.name}”: {exc.message}"]


@login_required
@require_http_methods(["GET", "POST"])
def register(request):
    if not may_register(request.user):
        raise PermissionDenied
    if request.method == "GET":
        return render(request, "petitions/register.html", _form_context(request, forms.empty_form()))

    form = forms.form_from_post(request.POST)
    files = request.FILES.getlist("files")
    # Files kept from an earlier attempt (kept_uploads): the clerk may untick one away.
    dropped = request.POST.getlist("drop_kept")
    kept_uploads.release(request.session, dropped)
    kept, unknown = kept_uploads.listed(
        request.session, [t for t in request.POST.getlist("kept") if t not in dropped]
    )
    errors: dict[str, list] = {}
    file_problems = _check_files(files)
    if unknown:
        file_problems.append(
            _("A file kept from an earlier attempt is no longer available: choose it again.")
        )
    if file_problems:
        errors["files"] = file_problems
    try:
        data = check_registration(forms.data_from_form(form))
    except InvalidInput as exc:
        errors = {**exc.errors, **errors}
    if errors:
        # Keep every new file that passes the attachment checks, so it is not chosen again.
        for upload in files:
            if not _check_files([upload]):
                token = kept_uploads.keep(request.session, upload)
                kept.append({"token": token, "name": upload.name, "size": upload.size})
        context = _form_context(request, form, errors) | {"kept_files": kept}
        return render(request, "petitions/register.html", context, status=400)

    ctx = Context.from_request(request)
    stored = []
    try:
        # The files are checked and written first, outside the transaction: it holds the year's
        # number from the moment it is taken until it commits, and writing files there held it
        # for as long as the disk took (docs/benchmarks.md, round 10).
        year = office_year(timezone.now())
        for upload in files:
            try:
                stored.append(store_upload(ctx=ctx, upload=upload, year=year))
            except DomainError as exc:
                exc.upload = upload
                raise
        for entry in kept:
            upload = kept_uploads.open_kept(entry)
            try:
                stored.append(store_upload(ctx=ctx, upload=upload, year=year))
            except DomainError as exc:
                exc.upload = upload
                raise
            finally:
                upload.close()
        # One transaction: a refused file leaves no petition behind and gives its number back.
        with transaction.atomic():
            petition, _created = register_petition(ctx=ctx, data=data)
            if stored and not may_attach(ctx.actor, petition):
                raise Forbidden(_("You may not add materials to this petition."))
            for attachment in stored:
                record_attachment(ctx=ctx, petition=petition, attachment=attachment)
    except BaseException as exc:
        # The files stored for a registration that was refused or failed belong to no petition.
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name)
        if not isinstance(exc, DomainError):
            raise
        upload = getattr(exc, "upload", None)
        if upload is not None:
            errors = {"files": _file_errors(exc, upload)}
        elif isinstance(exc, InvalidInput):
            errors = exc.errors
        else:
            errors = {"non_field_errors": [exc.message]}
        context = _form_context(request, form, errors) | {"kept_files": kept}
        return render(request, "petitions/register.html", context, status=exc.status)
    kept_uploads.release(request.session, [entry["token"] for entry in kept])
    messages.success(request, _("Petition registered as %(number)s.") % {"number": petition.number})
    return redirect(reverse("petition", args=[petition.number]))


@login_required
@require_http_methods(["GET", "POST"])
def correct(request, number):
    petition = get_visible_petition(request.user, number)
    if not may_register(request.user):
        raise PermissionDenied
    stored = forms.form_from_data(registration_as_data(petition_detail(request.user, number)))
    base = {"petition": petition}
    if request.method == "GET":
        status = 200
        context = _form_context(request, stored)
        if petition.status != "registered":
            status = 409
            context["conflict"] = _(
                "A registration can only be corrected before the proposed handling is made."
            )
        return render(request, "petitions/correct.html", base | context, status=status)

    form = forms.form_from_post(request.POST)
    changes = forms.changed_data(stored, form)
    try:
        correct_registration(ctx=Context.from_request(request), petition=petition, changes=changes)
    except InvalidInput as exc:
        return render(
            request, "petitions/correct.html", base | _form_context(request, form, exc.errors), status=400
        )
    except Conflict as exc:
        context = base | _form_context(request, form) | {"conflict": exc.message}
        return render(request, "petitions/correct.html", context, status=409)
    if changes:
        messages.success(request, _("The registration of %(number)s was corrected.") % {"number": number})
    else:
        messages.info(request, _("Nothing was changed."))
    return redirect(reverse("petition", args=[number]))
