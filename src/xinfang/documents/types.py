"""Kinds of official document (文书) as a registry (CONVENTIONS 19): one entry per kind, read
by the pages, the API, the master checks and the default-master builder alike.

Each kind says when it may be made (the petition states), who makes it (names of the actor
checks of petitions/actors.py, the same ones the workflow table uses), to whom it goes, and
which placeholders its master may use. The placeholder values are built in
documents/placeholders.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from xinfang.petitions.choices import Status

S = Status


class Addressee:
    PETITIONER = "petitioner"  # full personal data (Rule 4.3 leaves the petitioner's own data to them)
    UNIT = "unit"  # a unit holding a live assignment: only what that unit may see
    SUPERIOR = "superior"  # the organ that assigned the matter down
    OFFICE = "office"  # the office's own record (registration form): full personal data


# Placeholders every master may use.
COMMON = (
    "issuer",  # 发文机关 (XINFANG_DOCUMENT_ISSUER)
    "reference",  # 文号
    "title",
    "addressee",  # 主送机关 / the petitioner's name
    "date",  # 成文日期, e.g. 2026年11月30日
    "petition_number",
    "petition_title",
    "received_date",
    "channel",
    "category",
)
PETITIONER = (
    "petitioner_name",
    "petitioner_id_number",
    "petitioner_phone",
    "petitioner_address",
    "petitioner_work_unit",
    "petitioner_count",
)
MATTER = ("content", "requests")

# What each placeholder holds, for the administrators' documentation (docs/user-guide/documents.md
# lists the same table).
PLACEHOLDER_HELP = {
    "issuer": _("the issuing organ"),
    "reference": _("the reference number (文号)"),
    "title": _("the document's title"),
    "addressee": _("to whom the document is addressed"),
    "date": _("the date of the document"),
    "petition_number": _("the petition number"),
    "petition_title": _("the petition's title"),
    "received_date": _("the date the petition was received"),
    "channel": _("the channel"),
    "category": _("the category"),
    "petitioner_name": _("the petitioner's name (several: the first and a count)"),
    "petitioner_id_number": _("ID number (masked for units that may not see it)"),
    "petitioner_phone": _("phone (masked for units that may not see it)"),
    "petitioner_address": _("address (masked for units that may not see it)"),
    "petitioner_work_unit": _("the petitioner's work unit"),
    "petitioner_count": _("number of petitioners"),
    "content": _("the problem raised"),
    "requests": _("what the petitioner asks for"),
    "first_responder": _("the first responder"),
    "involved": _("involved units and persons"),
    "status": _("the handling status"),
    "proposal": _("the proposed handling"),
    "instruction": _("the leader's instruction"),
    "reason": _("the reason given"),
    "remedy": _("the remedy clause"),
    "unit_name": _("the unit addressed"),
    "due_date": _("the due date"),
    "note": _("a note from the office"),
    "findings": _("facts found"),
    "basis": _("the basis (laws, policies)"),
    "conclusion": _("the conclusion"),
    "superior_name": _("the superior organ"),
    "superior_reference": _("the superior's reference number"),
    "report": _("the approved investigation report"),
    "delivered_title": _("title of the document delivered"),
    "delivered_reference": _("reference number of the document delivered"),
    "recipient": _("the recipient of the document delivered"),
    "reply_due_date": _("the date by which a reply is due"),
}


@dataclass(frozen=True)
class DocumentType:
    code: str
    name: str  # the official Chinese title, also the default title
    name_en: str
    when: object  # lazy text: the step where the document belongs
    states: frozenset
    who: tuple[str, ...]
    addressee: str
    placeholders: tuple[str, ...]
    assignment_kinds: tuple[str, ...] = ()  # for unit documents: which assignments may receive one
    extra: dict = field(default_factory=dict)  # name -> (required, max length, label)

    @property
    def per_unit(self) -> bool:
        return self.addressee == Addressee.UNIT

    @property
    def all_placeholders(self) -> frozenset[str]:
        return frozenset(COMMON) | frozenset(self.placeholders)

    def label(self, language: str) -> str:
        return self.name_en if (language or "").startswith("en") else self.name


OPEN_BEFORE_HANDLING = frozenset({S.REGISTERED, S.PROPOSED, S.INSTRUCTED})
HANDLING = frozenset({S.ASSIGNED, S.RESULT_SUBMITTED})
REMEDY_REVIEW = "如对本答复意见不服，可自收到本答复意见书之日起30日内，向本机关的上一级机关请求复查。"
REMEDY_NON_ACCEPTANCE = (
    "如对本决定不服，可依照《信访工作条例》的规定，向有权处理的机关提出，或依法通过诉讼、仲裁、"
    "行政复议等途径解决。"
)

_TYPES = [
    DocumentType(
        "registration_form",
        "信访事项登记表",
        "Petition registration form",
        _("any time: the office's record of the registration (Rule 3.1)"),
        frozenset(Status.values) - {S.VOID},
        ("staff",),
        Addressee.OFFICE,
        PETITIONER + MATTER + ("first_responder", "involved", "status", "proposal", "instruction"),
    ),
    DocumentType(
        "acceptance_notice",
        "受理告知书",
        "Acceptance notice",
        _("after registration, before the result: tells the petitioner the matter was accepted"),
        OPEN_BEFORE_HANDLING | HANDLING | {S.INVESTIGATING},
        ("clerk",),
        Addressee.PETITIONER,
        PETITIONER + MATTER + ("reply_due_date",),
    ),
    DocumentType(
        "non_acceptance_notice",
        "不予受理告知书",
        "Non-acceptance notice",
        _("before transfer: tells the petitioner why the matter is not accepted, and the remedy"),
        OPEN_BEFORE_HANDLING,
        ("clerk",),
        Addressee.PETITIONER,
        PETITIONER + MATTER + ("reason", "remedy"),
        extra={"reason": (True, 5000, _("Reason for not accepting"))},
    ),
    DocumentType(
        "transfer_letter",
        "转送函",
        "Transfer letter",
        _("after transfer: one per unit the matter was transferred to (Rule 2.2)"),
        HANDLING,
        ("clerk",),
        Addressee.UNIT,
        PETITIONER + MATTER + ("unit_name", "instruction", "note"),
        assignment_kinds=("transfer",),
        extra={"note": (False, 2000, _("Note to the unit"))},
    ),
    DocumentType(
        "assignment_form",
        "交办单",
        "Assignment form",
        _("after assignment: one per unit, with the due date (Rules 2.2, 4.6)"),
        HANDLING,
        ("clerk",),
        Addressee.UNIT,
        PETITIONER + MATTER + ("unit_name", "instruction", "due_date", "note"),
        assignment_kinds=("assignment",),
        extra={"note": (False, 2000, _("Note to the unit"))},
    ),
    DocumentType(
        "supervision_letter",
        "督办函",
        "Supervision letter",
        _("while a unit handles the matter: presses it for the result"),
        HANDLING,
        ("clerk", "leader"),
        Addressee.UNIT,
        ("unit_name", "due_date", "note", "content"),
        assignment_kinds=("transfer", "assignment"),
        extra={"note": (False, 2000, _("What the unit must do"))},
    ),
    DocumentType(
        "reply_opinion",
        "答复意见书",
        "Reply opinion",
        _("once the result is confirmed: facts, basis, conclusion and the right to a review (Rule 3.4)"),
        frozenset({S.CONFIRMED, S.REPLIED, S.REPORTED}),
        ("clerk",),
        Addressee.PETITIONER,
        PETITIONER + MATTER + ("findings", "basis", "conclusion", "remedy"),
        extra={"basis": (False, 5000, _("Basis (laws, policies)"))},
    ),
    DocumentType(
        "superior_report",
        "上报报告",
        "Report to the superior organ",
        _("superior-assigned matters, once the report is drafted or approved (Rule 3.4)"),
        frozenset({S.REPLIED, S.REPORTED}),
        ("clerk", "leader"),
        Addressee.SUPERIOR,
        MATTER + ("superior_name", "superior_reference", "report", "findings", "conclusion"),
    ),
    DocumentType(
        "delivery_receipt",
        "送达回证",
        "Proof of delivery",
        _("for any document sent out: the recipient signs it"),
        frozenset(Status.values) - {S.VOID},
        ("clerk",),
        Addressee.PETITIONER,
        ("delivered_title", "delivered_reference", "recipient"),
        extra={"document": (True, 20, _("Document delivered"))},
    ),
]

REGISTRY: dict[str, DocumentType] = {t.code: t for t in _TYPES}
ALL_PLACEHOLDERS = frozenset(PLACEHOLDER_HELP)
assert all(t.all_placeholders <= ALL_PLACEHOLDERS for t in _TYPES), "every placeholder is documented"


def get_type(code) -> DocumentType | None:
    return REGISTRY.get(code) if isinstance(code, str) else None
