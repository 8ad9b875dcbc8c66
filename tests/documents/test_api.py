"""The documents API of API.md: types, generation (201, 400, 403, 404, 409), versions, the
event in the chain, downloads by the attachment rules, confidentiality (Rule 4.3), deliveries."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.api.conftest import PDF
from xinfang.audit.chain import verify_petition_chain
from xinfang.audit.models import AccessLog
from xinfang.audit.services import Context
from xinfang.documents.models import GeneratedDocument, ReferenceSequence
from xinfang.petitions.actions import perform

pytestmark = pytest.mark.django_db

TYPES = {
    "registration_form",
    "acceptance_notice",
    "non_acceptance_notice",
    "transfer_letter",
    "assignment_form",
    "supervision_letter",
    "reply_opinion",
    "superior_report",
    "delivery_receipt",
}


def url(petition, suffix=""):
    return f"/api/v1/petitions/{petition.number}/documents{suffix}"


def test_types_list_the_nine_kinds(api):
    rows = api("clerk").get("/api/v1/document-types").json()
    assert {r["code"] for r in rows} == TYPES
    assign = next(r for r in rows if r["code"] == "assignment_form")
    assert assign["name"] == "交办单" and assign["name_en"] == "Assignment form" and assign["when"]


def test_generate_answers_the_contract_and_versions_never_overwrite(api, drive, demo_org):
    _users, units = demo_org
    petition = drive("assigned")
    year = timezone.localdate().year
    first = api("clerk").post(url(petition), {"type": "assignment_form", "unit": units["HOUSING"].pk})
    assert first.status_code == 201, first.json()
    body = first.json()
    assert set(body) >= {"id", "type", "reference", "version", "sha256", "created_at", "files"}
    assert body["reference"] == f"达市政协信交〔{year}〕1号" and body["version"] == 1
    assert set(body["files"]) == {"docx", "pdf"}
    second = api("clerk").post(url(petition), {"type": "assignment_form", "unit": units["HOUSING"].pk}).json()
    assert second["version"] == 2 and second["reference"] == f"达市政协信交〔{year}〕2号"
    # Another unit starts its own series of versions; the 文号 series is the type's.
    other = api("clerk").post(url(petition), {"type": "assignment_form", "unit": units["LABOUR"].pk}).json()
    assert other["version"] == 1 and other["reference"] == f"达市政协信交〔{year}〕3号"
    # Stored bytes are the ones hashed; version 1 is still there, unchanged.
    v1 = GeneratedDocument.objects.get(pk=body["id"])
    with v1.docx.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == body["sha256"]
    events = list(petition.events.order_by("seq"))
    generated = [e for e in events if e.action == "document.generated"]
    assert [e.data["reference"] for e in generated] == [
        f"达市政协信交〔{year}〕1号",
        f"达市政协信交〔{year}〕2号",
        f"达市政协信交〔{year}〕3号",
    ]
    assert generated[0].data["sha256"] == body["sha256"]
    assert verify_petition_chain(events) == []
    listed = api("clerk").get(url(petition)).json()
    assert [d["id"] for d in listed] == [body["id"], second["id"], other["id"]]


def test_download_follows_the_attachment_rules(api, drive, demo_org):
    _users, units = demo_org
    petition = drive("assigned")
    doc = api("clerk").post(url(petition), {"type": "assignment_form", "unit": units["HOUSING"].pk}).json()
    form = api("clerk").post(url(petition), {"type": "registration_form"}).json()
    response = api("housing").get(doc["files"]["docx"])
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == doc["sha256"]
    assert AccessLog.objects.filter(action="document.download", object_ref=str(doc["id"])).exists()
    # The unit's handler sees its own document, not the office's registration form (full data)
    # nor the other unit's; an outsider and another petition's number find nothing.
    assert api("housing").get(form["files"]["docx"]).status_code == 404
    assert [d["id"] for d in api("housing").get(url(petition)).json()] == [doc["id"]]
    assert api("labour").get(doc["files"]["docx"]).status_code == 404
    assert api("police").get(doc["files"]["docx"]).status_code == 404
    other = drive("registered")
    assert api("clerk").get(f"{url(other)}/{doc['id']}/docx").status_code == 404
    # The PDF is made after the request: until then 409 with the reason.
    pending = api("clerk").get(doc["files"]["pdf"])
    assert pending.status_code == 409 and pending["Content-Type"].startswith("application/problem+json")
    assert Client().get(doc["files"]["docx"]).status_code in (401, 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "no_such_type"}, "type"),
        ({}, "type"),
        ({"type": "assignment_form"}, "unit"),
        ({"type": "assignment_form", "unit": "abc"}, "unit"),
        ({"type": "assignment_form", "unit": 999999}, "unit"),
        ({"type": "registration_form", "unit": 1}, "unit"),
        ({"type": "non_acceptance_notice"}, "extra.reason"),
        ({"type": "non_acceptance_notice", "extra": {"reason": "x" * 5001}}, "extra.reason"),
        ({"type": "non_acceptance_notice", "extra": {"reason": "x", "colour": "red"}}, "extra.colour"),
        ({"type": "non_acceptance_notice", "extra": ["reason"]}, "extra"),
        ({"type": "delivery_receipt", "extra": {"document": "999999"}}, "extra.document"),
    ],
)
def test_bad_input_is_400_and_changes_nothing(api, drive, body, field):
    petition = drive("registered")
    events = petition.events.count()
    response = api("clerk").post(url(petition), body)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert petition.events.count() == events
    assert (
        not GeneratedDocument.objects.exists() and not ReferenceSequence.objects.filter(last__gt=0).exists()
    )


def test_state_person_and_unit_refusals(api, drive, demo_org):
    users, units = demo_org
    registered = drive("registered")
    # 409: the state does not allow it, with the reason in the user's language.
    refused = api("clerk", "en").post(url(registered), {"type": "reply_opinion"})
    assert refused.status_code == 409 and "registered" in refused.json()["detail"]
    assigned = drive("assigned")
    # 403: visible, but not one who acts at this step (a handler; a leader for a clerk's form).
    assert (
        api("housing")
        .post(url(assigned), {"type": "assignment_form", "unit": units["HOUSING"].pk})
        .status_code
        == 403
    )
    assert (
        api("secgen")
        .post(url(assigned), {"type": "assignment_form", "unit": units["HOUSING"].pk})
        .status_code
        == 403
    )
    # 404: not visible (an involved unit's handler would learn nothing).
    assert api("police").post(url(assigned), {"type": "registration_form"}).status_code == 404
    # 409: a unit that holds no assignment of that kind.
    response = api("clerk").post(url(assigned), {"type": "transfer_letter", "unit": units["HOUSING"].pk})
    assert response.status_code == 409
    response = api("clerk").post(url(assigned), {"type": "assignment_form", "unit": units["POLICE"].pk})
    assert response.status_code == 409
    # Superior reports only for superior-assigned matters; an anonymous petition gets no notice.
    replied = drive("replied")
    assert api("clerk").post(url(replied), {"type": "superior_report"}).status_code == 409
    anonymous = drive("registered", anonymous=True, petitioners=[])
    assert api("clerk").post(url(anonymous), {"type": "acceptance_notice"}).status_code == 409
    assert not GeneratedDocument.objects.exists()
    # The allowed case passes.
    assert api("clerk").post(url(registered), {"type": "acceptance_notice"}).status_code == 201


def test_never_addressed_to_an_involved_unit(api, drive, demo_org):
    """An assignment made before the unit was found to be involved: no document goes there."""
    users, units = demo_org
    petition = drive("assigned")
    from xinfang.petitions.models import InvolvedUnit

    # Recording involvement refuses an assigned unit, so the row is written directly: the
    # document check must hold even when the data got there some other way.
    InvolvedUnit.objects.create(petition=petition, unit=units["LABOUR"])
    response = api("clerk", "en").post(
        url(petition), {"type": "supervision_letter", "unit": units["LABOUR"].pk}
    )
    assert response.status_code == 409 and "Rule 4.3" in response.json()["detail"]
    assert (
        api("clerk")
        .post(url(petition), {"type": "supervision_letter", "unit": units["HOUSING"].pk})
        .status_code
        == 201
    )


def test_unit_documents_mask_personal_data_unless_shared(api, drive, demo_org):
    from docx import Document

    users, units = demo_org
    petition = drive("instructed")
    perform(
        Context(actor=users["clerk"]),
        petition,
        "assign",
        {
            "assignments": [
                {"unit": units["HOUSING"].pk, "role": "lead", "kind": "assignment", "share_contact": True},
                {"unit": units["LABOUR"].pk, "role": "assist", "kind": "assignment"},
            ]
        },
    )

    def text(unit):
        doc = api("clerk").post(url(petition), {"type": "assignment_form", "unit": unit.pk}).json()
        document = GeneratedDocument.objects.get(pk=doc["id"])
        with document.docx.open("rb") as handle:
            word = Document(handle)
        return "".join(c.text for t in word.tables for row in t.rows for c in row.cells)

    assert "13800138000" in text(units["HOUSING"])
    shown = text(units["LABOUR"])
    assert "13800138000" not in shown and "138****8000" in shown


def test_deliveries_are_recorded_with_an_optional_scan(api, drive, demo_org):
    petition = drive("registered")
    notice = api("clerk").post(url(petition), {"type": "acceptance_notice"}).json()
    plain = api("clerk").post(
        url(petition, f"/{notice['id']}/deliveries"), {"method": "post", "recipient": "王五"}
    )
    assert plain.status_code == 201, plain.content
    assert plain.json()["deliveries"][0]["method"] == "post"
    client = api("clerk").client
    scanned = client.post(
        url(petition, f"/{notice['id']}/deliveries"),
        {"method": "in_person", "scan": SimpleUploadedFile("回证.pdf", PDF)},
    )
    assert scanned.status_code == 201, scanned.content
    assert scanned.json()["deliveries"][1]["scan"] == petition.attachments.get().pk
    assert petition.events.filter(action="document.delivered").count() == 2
    bad = api("clerk").post(url(petition, f"/{notice['id']}/deliveries"), {"method": "pigeon"})
    assert bad.status_code == 400 and "method" in bad.json()["errors"]
    future = api("clerk").post(
        url(petition, f"/{notice['id']}/deliveries"),
        {"method": "post", "delivered_at": "2999-01-01T00:00:00+08:00"},
    )
    assert future.status_code == 400
    assert (
        api("secgen").post(url(petition, f"/{notice['id']}/deliveries"), {"method": "post"}).status_code
        == 403
    )
    assert petition.events.filter(action="document.delivered").count() == 2


def test_public_documents_offer_the_petitioners_own(drive, demo_org, api):
    from xinfang.petitions.hooks import public_documents

    petition = drive("reported")
    api("clerk").post(url(petition), {"type": "reply_opinion"})
    api("clerk").post(url(petition), {"type": "registration_form"})
    provider = public_documents.get("documents")
    offered = provider(petition)
    assert [d.reference.startswith("达市政协信复") for d in offered] == [True]
    assert offered[0].open()[:2] == b"PK"


def test_list_query_count_is_fixed(api, drive, demo_org, django_assert_num_queries):
    _users, units = demo_org
    petition = drive("assigned")
    clerk = api("clerk")
    for unit in ("HOUSING", "LABOUR", "HOUSING"):
        doc = clerk.post(url(petition), {"type": "assignment_form", "unit": units[unit].pk}).json()
        clerk.post(url(petition, f"/{doc['id']}/deliveries"), {"method": "post"})
    clerk.get(url(petition))
    with django_assert_num_queries(4):
        # 1 the token with its user, unit and roles; 2 the visible petition; 3 its
        # documents with their units; 4 their deliveries (one query for all of them).
        assert len(clerk.get(url(petition)).json()) == 3
