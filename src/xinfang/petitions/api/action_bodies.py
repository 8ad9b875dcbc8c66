"""The request body of each workflow action, for the OpenAPI document.

Documentation only, like the input shapes in serializers.py: actions.read_input
holds the rules and answers 400 with the field paths. Each shape here says what
that reader accepts (required fields, lengths, choices, id ranges), so that a
body the document calls valid is one the reader accepts and a body it calls
invalid is one the reader refuses; tests/contract fuzzes both sides.
"""

from __future__ import annotations

from rest_framework import serializers

from xinfang.core.ids import MAX_ID
from xinfang.petitions.actions import LONG, SHORT
from xinfang.petitions.workflow_models import AssignmentKind, AssignmentRole, ReplyMethod

# Text the readers take: stripped, at least one visible character, no NUL.
TEXT = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
OPTIONAL_TEXT = r"^[^\u0000]*$"


def text(max_length: int, **kwargs) -> serializers.RegexField:
    return serializers.RegexField(TEXT, max_length=max_length, trim_whitespace=False, **kwargs)


def optional_text(max_length: int, **kwargs) -> serializers.RegexField:
    return serializers.RegexField(
        OPTIONAL_TEXT,
        max_length=max_length,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        **kwargs,
    )


def unit_id(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def unit_ids(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=unit_id(), max_length=50, required=False, **kwargs)


def _shape(name: str, fields: dict) -> type[serializers.Serializer]:
    return type(name, (serializers.Serializer,), fields)


class AssignmentIn(serializers.Serializer):
    unit = unit_id()
    role = serializers.ChoiceField(choices=AssignmentRole.choices)
    kind = serializers.ChoiceField(choices=AssignmentKind.choices, required=False)
    due_date = serializers.DateField(required=False, help_text="YYYY-MM-DD; default 15 days from today")
    share_contact = serializers.BooleanField(required=False)


class InvolvedPersonActionIn(serializers.Serializer):
    name = text(50)
    unit = unit_id(required=False)
    user = serializers.CharField(required=False, max_length=150, help_text="username")


BODIES: dict[str, type[serializers.Serializer]] = {
    "propose": _shape(
        "ProposeBody", {"opinion": text(SHORT), "important": serializers.BooleanField(required=False)}
    ),
    "resolve_on_the_spot": _shape(
        "ResolveOnTheSpotBody",
        {
            "reply": text(LONG),
            "method": serializers.ChoiceField(
                choices=[ReplyMethod.ORAL, ReplyMethod.WRITTEN], required=False, help_text="default oral"
            ),
        },
    ),
    "instruct": _shape("InstructBody", {"instruction": text(SHORT, help_text="recorded verbatim")}),
    "assign": _shape(
        "AssignBody",
        {
            "assignments": serializers.ListField(
                child=AssignmentIn(), min_length=1, max_length=50, help_text="exactly one lead"
            )
        },
    ),
    "investigate": _shape("InvestigateBody", {"note": optional_text(SHORT)}),
    "accept_assignment": _shape("AcceptAssignmentBody", {}),
    "contribute": _shape("ContributeBody", {"note": text(LONG)}),
    "submit_result": _shape("SubmitResultBody", {"findings": text(LONG), "result": text(LONG)}),
    "sign_off": _shape(
        "SignOffBody",
        {"password": serializers.CharField(min_length=1, trim_whitespace=False, help_text="re-entered")},
    ),
    "send_back": _shape("SendBackBody", {"reason": text(SHORT)}),
    "reply": _shape(
        "ReplyBody",
        {
            "method": serializers.ChoiceField(
                choices=ReplyMethod.choices, help_text="`none` only for an anonymous petition"
            ),
            "content": text(LONG),
            "replied_at": serializers.DateTimeField(
                required=False, help_text="default now; not in the future"
            ),
        },
    ),
    "report": _shape("ReportBody", {"report": text(50000)}),
    "approve_report": _shape("ApproveReportBody", {}),
    "close": _shape("CloseBody", {"outcome": text(10000)}),
    "archive": _shape(
        "ArchiveBody",
        {
            "archive_number": serializers.RegexField(
                r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
                max_length=64,
                trim_whitespace=False,
                help_text="unique; printable characters",
            )
        },
    ),
    "flag_urgent": _shape("FlagUrgentBody", {"reason": text(SHORT), "notify_units": unit_ids()}),
    "coordinate": _shape(
        "CoordinateBody",
        {
            "lead_unit": unit_id(),
            "units": unit_ids(help_text="with the lead unit, at least two"),
            "note": text(LONG),
        },
    ),
    "record_persuasion": _shape("RecordPersuasionBody", {"notes": text(LONG)}),
    "conclude_persuasion": _shape("ConcludePersuasionBody", {"outcome": text(10000)}),
    "refer_to_police": _shape(
        "ReferToPoliceBody",
        {"reason": text(SHORT), "unit": unit_id(required=False, help_text="public security")},
    ),
    "merge": _shape(
        "MergeBody", {"into": text(32, help_text="number of an open petition the caller can see")}
    ),
    "void": _shape("VoidBody", {"reason": text(SHORT)}),
    "record_involvement": _shape(
        "RecordInvolvementBody",
        {
            "units": unit_ids(),
            "persons": serializers.ListField(child=InvolvedPersonActionIn(), required=False, max_length=50),
        },
    ),
}
