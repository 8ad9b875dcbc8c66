"""The values a master's placeholders receive, per document type (documents/types.py).

Confidentiality (Rule 4.3) is decided here, once: a document addressed to a unit carries the
petitioner's ID number, phone and address masked unless that unit's assignment shares them
(the same rule as on screen, petitions/masking.py), and never the involved units or persons;
full personal data goes only to the petitioner's own documents and the office's registration
form.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from xinfang.documents.types import REMEDY_NON_ACCEPTANCE, REMEDY_REVIEW, Addressee, DocumentType
from xinfang.petitions.masking import mask_address, mask_id_number, mask_phone


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _local_date(moment) -> dt.date:
    return timezone.localtime(moment).date()


def _petitioner_values(petition, *, full: bool) -> dict[str, str]:
    people = list(petition.petitioners.all())
    if petition.anonymous or not people:
        blank = "（匿名）" if petition.anonymous else ""
        return {
            "petitioner_name": blank,
            "petitioner_id_number": "",
            "petitioner_phone": "",
            "petitioner_address": "",
            "petitioner_work_unit": "",
            "petitioner_count": str(len(people)),
        }
    first = next((p for p in people if p.is_representative), people[0])
    name = first.name if len(people) == 1 else f"{first.name}等{len(people)}人"
    return {
        "petitioner_name": name,
        "petitioner_id_number": first.id_number if full else mask_id_number(first.id_number),
        "petitioner_phone": first.phone if full else mask_phone(first.phone),
        "petitioner_address": first.address if full else mask_address(first.address),
        "petitioner_work_unit": first.work_unit,
        "petitioner_count": str(len(people)),
    }


def _instruction(petition) -> str:
    last = petition.instructions.order_by("-at", "-id").first()
    return last.text if last else ""


def _current_result(petition):
    return petition.results.filter(sent_back_at__isnull=True).order_by("-id").first()


def build_values(
    doc_type: DocumentType,
    *,
    petition,
    reference: str,
    today: dt.date,
    assignment=None,
    extra: dict,
    concerns=None,
) -> dict[str, str]:
    """Every placeholder the type may use, as text ("" where the petition has nothing yet)."""
    values = {
        "issuer": settings.DOCUMENT_ISSUER,
        "reference": reference,
        "title": doc_type.name,
        "addressee": "",
        "date": chinese_date(today),
        "petition_number": petition.number,
        "petition_title": petition.title,
        "received_date": chinese_date(_local_date(petition.received_at)),
        "channel": str(petition.get_channel_display()),
        "category": petition.category.name,
    }
    wanted = doc_type.all_placeholders
    full = doc_type.addressee in (Addressee.PETITIONER, Addressee.OFFICE)
    if wanted & {"petitioner_name", "petitioner_phone"}:
        share = assignment is not None and assignment.share_contact
        values |= _petitioner_values(petition, full=full or share)
    if "content" in wanted:
        values["content"] = petition.content
        values["requests"] = petition.requests
    if "instruction" in wanted:
        values["instruction"] = _instruction(petition)
    if doc_type.addressee == Addressee.PETITIONER:
        values["addressee"] = values.get("petitioner_name", "")
    elif doc_type.addressee == Addressee.UNIT and assignment is not None:
        values["addressee"] = values["unit_name"] = assignment.unit.name
        due = assignment.due_date
        values["due_date"] = chinese_date(due) if due else ""
        values["note"] = extra.get("note", "")
    elif doc_type.addressee == Addressee.SUPERIOR:
        values["addressee"] = values["superior_name"] = getattr(petition.superior_unit, "name", "")
        values["superior_reference"] = petition.superior_reference
    elif doc_type.addressee == Addressee.OFFICE:
        values["addressee"] = settings.DOCUMENT_ISSUER
    builder = _BUILDERS.get(doc_type.code)
    if builder:
        builder(values, petition=petition, extra=extra, assignment=assignment, concerns=concerns)
    return {key: values.get(key, "") for key in sorted(wanted)}


def _registration(values, *, petition, **_):
    units = [iu.unit.name for iu in petition.involved_units.select_related("unit")]
    persons = [p.name for p in petition.involved_persons.all()]
    values["involved"] = "；".join(units + persons)
    responder = petition.first_responder
    values["first_responder"] = (responder.get_full_name() or responder.username) if responder else ""
    values["status"] = str(petition.get_status_display())
    proposal = petition.proposals.order_by("-at", "-id").first()
    values["proposal"] = proposal.opinion if proposal else ""


def _acceptance(values, *, petition, **_):
    deadline = petition.deadlines.filter(name="reply").first()
    values["reply_due_date"] = chinese_date(_local_date(deadline.due_at)) if deadline else ""


def _non_acceptance(values, *, extra, **_):
    values["reason"] = extra.get("reason", "")
    values["remedy"] = REMEDY_NON_ACCEPTANCE


def _supervision(values, *, petition, assignment, extra, **_):
    from xinfang.deadlines.models import Supervision, SupervisionKind

    last = (
        Supervision.objects.filter(petition=petition, unit=assignment.unit, kind=SupervisionKind.SUPERVISION)
        .order_by("-issued_at", "-id")
        .first()
    )
    if last is not None:
        values["due_date"] = chinese_date(last.due_date)
        values["note"] = extra.get("note") or last.message


def _reply(values, *, petition, extra, **_):
    result = _current_result(petition)
    values["findings"] = result.findings if result else ""
    values["conclusion"] = result.result if result else ""
    values["basis"] = extra.get("basis", "")
    values["remedy"] = REMEDY_REVIEW


def _report(values, *, petition, **_):
    report = petition.reports.order_by("-drafted_at", "-id").first()
    values["report"] = report.text if report else ""
    result = _current_result(petition)
    values["findings"] = result.findings if result else ""
    values["conclusion"] = result.result if result else ""


def _receipt(values, *, concerns, **_):
    values["delivered_title"] = concerns.title
    values["delivered_reference"] = concerns.reference
    values["recipient"] = concerns.recipient_name
    values["addressee"] = concerns.recipient_name


_BUILDERS = {
    "registration_form": _registration,
    "acceptance_notice": _acceptance,
    "non_acceptance_notice": _non_acceptance,
    "supervision_letter": _supervision,
    "reply_opinion": _reply,
    "superior_report": _report,
    "delivery_receipt": _receipt,
}
