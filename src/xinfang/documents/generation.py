"""Generating an official document is an action like the workflow's (CONVENTIONS 22): the same
row lock on the petition, 409 when its state does not allow the document, 403 when the caller
is not one who acts at that step (the same actor checks as the workflow table), and an event
in the petition's hash chain. The .docx is made inside the transaction (a master that fails to
render rolls the 文号 back, so numbers stay gapless); the PDF follows after commit, in the task
worker (documents/tasks.py) or inline where configured.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import OFFICE_ROLES, Unit
from xinfang.audit.services import Context, append_event
from xinfang.core.errors import Conflict, Forbidden, InvalidInput
from xinfang.core.ids import parse_id
from xinfang.documents.masters.store import current_master
from xinfang.documents.models import GeneratedDocument, PdfStatus
from xinfang.documents.placeholders import build_values
from xinfang.documents.references import allocate_reference
from xinfang.documents.rendering import RenderError, render_docx
from xinfang.documents.types import Addressee, DocumentType, get_type
from xinfang.petitions.actors import Facts, matches
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.models import Petition
from xinfang.petitions.workflow_models import AssignmentStatus

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def check_request(data) -> tuple[DocumentType, Unit | None, dict]:
    """Validate {"type", "unit"?, "extra"?}: the type known, the unit given exactly where the
    type goes to a unit, the extra fields of the type and nothing longer than allowed."""
    if not isinstance(data, Mapping):
        raise InvalidInput({"non_field_errors": [_("Expected an object with type, unit and extra.")]})
    errors: dict[str, list] = {}
    doc_type = get_type(data.get("type"))
    if doc_type is None:
        raise InvalidInput({"type": [_("Unknown document type. See GET /api/v1/document-types.")]})
    unit = None
    raw_unit = data.get("unit")
    if doc_type.per_unit:
        unit_id = parse_id(raw_unit) if raw_unit not in (None, "") else None
        if unit_id is None:
            errors["unit"] = [_("This document goes to one unit: give the unit.")]
        else:
            unit = Unit.objects.filter(pk=unit_id).first()
            if unit is None:
                errors["unit"] = [_("Unit %(id)s does not exist.") % {"id": unit_id}]
    elif raw_unit not in (None, ""):
        errors["unit"] = [_("This document is not addressed to a unit.")]
    raw_extra = data.get("extra") or {}
    extra: dict[str, str] = {}
    if not isinstance(raw_extra, Mapping):
        errors["extra"] = [_("Must be an object.")]
        raw_extra = {}
    for name in raw_extra:
        if name not in doc_type.extra:
            errors[f"extra.{name}"] = [_("This document type takes no such field.")]
    for name, (required, max_length, _label) in doc_type.extra.items():
        value = raw_extra.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                errors[f"extra.{name}"] = [_("This field is required.")]
            continue
        if not isinstance(value, str):
            errors[f"extra.{name}"] = [_("Must be text.")]
        elif len(value) > max_length:
            errors[f"extra.{name}"] = [_("At most %(max)d characters.") % {"max": max_length}]
        else:
            extra[name] = value.strip()
    if errors:
        raise InvalidInput(errors)
    return doc_type, unit, extra


def may_generate(user, petition, doc_type: DocumentType, facts: Facts | None = None) -> bool:
    """Whether `user` acts at this step for this type (state and person; guards aside)."""
    if petition.status not in doc_type.states:
        return False
    if doc_type.code == "superior_report" and petition.channel != Channel.SUPERIOR:
        return False
    return bool(matches(doc_type.who, facts or Facts(user, petition)))


def _state_label(status) -> str:
    return str(Status(status).label) if status in Status.values else status


def _addressed_assignment(petition, facts: Facts, doc_type: DocumentType, unit: Unit):
    """The live assignment that lets `unit` receive this document; refuses an involved unit."""
    involved = set(petition.involved_units.values_list("unit_id", flat=True))
    if involved & set(unit.ancestor_ids):
        raise Conflict(
            _("No document may be addressed to a unit the petition involves (Rule 4.3)."),
        )
    for assignment in facts.live_assignments:
        if (
            assignment.unit_id == unit.pk
            and assignment.kind in doc_type.assignment_kinds
            and assignment.status != AssignmentStatus.WITHDRAWN
        ):
            return assignment
    raise Conflict(
        _("%(unit)s holds no assignment of this petition that a %(type)s goes with.")
        % {"unit": unit.name, "type": doc_type.name}
    )


def _guard(petition, doc_type: DocumentType, extra: dict):
    """Type-specific refusals; returns the document a 送达回证 concerns."""
    if doc_type.code == "superior_report":
        if petition.channel != Channel.SUPERIOR:
            raise Conflict(_("Only a matter assigned by a superior organ is reported to it (Rule 3.4)."))
        if not petition.reports.exists():
            raise Conflict(_("Draft the investigation report first."))
    if (
        doc_type.addressee == Addressee.PETITIONER
        and doc_type.code != "delivery_receipt"
        and petition.anonymous
    ):
        raise Conflict(_("An anonymous petition has nobody to send this document to."))
    if doc_type.code == "delivery_receipt":
        doc_id = parse_id(extra.get("document"))
        concerns = (
            GeneratedDocument.objects.filter(petition=petition, pk=doc_id)
            .exclude(doc_type=doc_type.code)
            .first()
            if doc_id
            else None
        )
        if concerns is None or concerns.doc_type == "registration_form":
            raise InvalidInput(
                {"extra.document": [_("Choose a document of this petition that was sent out.")]}
            )
        return concerns
    return None


def generate(*, ctx: Context, petition: Petition, data) -> GeneratedDocument:
    """Make the next version of a document from the master in force.

    The caller has established that the petition is visible to ctx.actor; this checks the
    state (409), the person (403), the addressee (409 for an involved or unassigned unit).
    """
    doc_type, unit, extra = check_request(data)
    document = None
    try:
        with transaction.atomic():
            locked = (
                Petition.objects.select_for_update(of=("self",))
                .select_related("category")
                .get(pk=petition.pk)
            )
            if locked.status not in doc_type.states:
                raise Conflict(
                    _("A %(type)s cannot be made while the petition is %(state)s.")
                    % {"type": doc_type.name, "state": _state_label(locked.status)}
                )
            facts = Facts(ctx.actor, locked)
            if not matches(doc_type.who, facts):
                raise Forbidden(
                    _("You do not act at this step, so you may not make a %(type)s.")
                    % {"type": doc_type.name}
                )
            assignment = _addressed_assignment(locked, facts, doc_type, unit) if doc_type.per_unit else None
            concerns = _guard(locked, doc_type, extra)
            today = timezone.localdate()
            reference, serial = allocate_reference(doc_type.code, today.year)
            key = f"unit:{unit.pk}" if unit else ""
            previous = GeneratedDocument.objects.filter(
                petition=locked, doc_type=doc_type.code, addressee_key=key
            ).aggregate(v=Max("version"))["v"]
            values = build_values(
                doc_type,
                petition=locked,
                reference=reference,
                today=today,
                assignment=assignment,
                extra=extra,
                concerns=concerns,
            )
            master = current_master(doc_type.code)
            try:
                docx = render_docx(master.data, values)
            except RenderError as exc:
                raise Conflict(
                    _(
                        "The master of this document type cannot be filled in; ask the administrator to fix it."
                    )
                ) from exc
            document = GeneratedDocument(
                petition=locked,
                doc_type=doc_type.code,
                unit=unit,
                addressee_key=key,
                version=(previous or 0) + 1,
                reference=reference,
                serial=serial,
                year=today.year,
                title=doc_type.name,
                recipient_name=values.get("addressee", ""),
                sha256=hashlib.sha256(docx).hexdigest(),
                master=master.record if master.record and not master.record.is_default else None,
                concerns=concerns,
                created_by=ctx.actor,
            )
            document.docx.save(f"{reference}.docx", ContentFile(docx), save=False)
            document.save()
            append_event(
                locked,
                ctx,
                "document.generated",
                {
                    "document": document.pk,
                    "type": doc_type.code,
                    "reference": reference,
                    "version": document.version,
                    "unit": unit.pk if unit else None,
                    "sha256": document.sha256,
                    "master_sha256": master.sha256,
                },
            )
            transaction.on_commit(lambda: schedule_pdf(document.pk))
    except BaseException:
        if document is not None and document.docx.name:
            document.docx.storage.delete(document.docx.name)
        raise
    return document


def schedule_pdf(document_id: int) -> None:
    if settings.DOCUMENT_PDF_MODE == "inline":
        from xinfang.documents.pdf import make_pdfs

        make_pdfs([document_id])
    else:
        from xinfang.documents.tasks import make_pdf

        make_pdf.enqueue(document_id)


def visible_documents(user, petition):
    """The petition's documents `user` may read: all of them for office staff and leaders;
    for a unit's handling officer only those addressed to their unit (never the office's
    registration form nor the petitioner's documents with full personal data)."""
    qs = GeneratedDocument.objects.filter(petition=petition).select_related("unit")
    if user.has_role(*OFFICE_ROLES):
        return qs
    if user.unit_id:
        return qs.filter(unit_id__in=user.unit.ancestor_ids, unit__isnull=False)
    return qs.none()


def pdf_pending(document: GeneratedDocument) -> bool:
    return document.pdf_status == PdfStatus.PENDING
