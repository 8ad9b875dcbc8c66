"""The office's online intake (issue 13 §3): accept into the registration (channel online,
received at submission time, the accepting clerk first responder, files become attachments),
decline with a reason the citizen reads, link as a repeat; who may; overdue escalation."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from xinfang.audit.chain import verify_petition_chain
from xinfang.audit.services import Context
from xinfang.core.errors import Conflict, Forbidden, InvalidInput
from xinfang.petitions.models import Petition
from xinfang.portal.models import Submission, SubmissionStatus
from xinfang.portal.services import intake

pytestmark = pytest.mark.django_db


def test_the_queue_lists_waiting_submissions_for_the_office_only(api, submission):
    first, _ = submission(title="第一件", phone="13800138000")
    submission(title="第二件", phone="13900139000")
    response = api("clerk").get("/api/v1/intake")
    assert response.status_code == 200
    rows = response.json()
    assert [r["title"] for r in rows] == ["第一件", "第二件"]
    assert rows[0]["id"] == first.pk and rows[0]["petitioner"]["phone"] == "13800138000"
    assert rows[0]["overdue"] is False
    for outsider in ["housing", "admin", "auditor"]:
        assert api(outsider).get("/api/v1/intake").status_code == 403


def test_accept_as_submitted_registers_an_online_petition(api, demo_org):
    users, _units = demo_org
    new, _secret = _submit_again()
    response = api("clerk2").post(f"/api/v1/intake/{new.pk}/accept", {})
    assert response.status_code == 201, response.content
    body = response.json()
    petition = Petition.objects.get(number=body["number"])
    new.refresh_from_db()
    assert petition.channel == "online" and body["channel"] == "online"
    assert petition.received_at == new.submitted_at  # the clock runs from the submission
    assert petition.first_responder == users["clerk2"]
    assert (
        new.status == SubmissionStatus.ACCEPTED
        and new.petition == petition
        and new.decided_by == users["clerk2"]
    )
    assert [a.name for a in petition.attachments.all()] == ["证明材料.pdf"]
    assert petition.attachments.get().file.name == new.files.get().file.name
    actions = list(petition.events.values_list("action", flat=True))
    assert actions == ["petition.registered", "attachment.added", "portal.accepted"]
    assert verify_petition_chain(list(petition.events.order_by("seq"))) == []
    # The registration's deadlines start from the submission time too.
    handling = petition.deadlines.get(name="handling")
    assert handling.starts_at == new.submitted_at


def _submit_again():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.api.conftest import PDF
    from tests.portal.conftest import form
    from xinfang.portal.checks import check_submission
    from xinfang.portal.services.submission import submit

    return submit(
        data=check_submission(form(phone="13900139001"), [SimpleUploadedFile("证明材料.pdf", PDF)]),
        address="198.51.100.9",
    )


def test_accept_with_corrections_and_the_refusals(api, submission):
    sub, _ = submission(category="")
    # No category was chosen online: the clerk must choose one.
    response = api("clerk").post(f"/api/v1/intake/{sub.pk}/accept", {})
    assert response.status_code == 400 and "category" in response.json()["errors"]
    # Fixed fields and unknown fields are refused; nothing changes.
    response = api("clerk").post(
        f"/api/v1/intake/{sub.pk}/accept", {"received_at": "2020-01-01T00:00:00+08:00"}
    )
    assert response.status_code == 400 and "received_at" in response.json()["errors"]
    response = api("clerk").post(
        f"/api/v1/intake/{sub.pk}/accept", {"category": "urban_construction", "title": ""}
    )
    assert response.status_code == 400 and "title" in response.json()["errors"]
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.PENDING and not Petition.objects.exists()
    response = api("clerk").post(
        f"/api/v1/intake/{sub.pk}/accept",
        {"category": "urban_construction", "title": "路灯损坏（更正）", "urgent": True},
    )
    assert response.status_code == 201
    assert response.json()["title"] == "路灯损坏（更正）" and response.json()["urgent"] is True
    # A second accept (another clerk, a double click) is refused.
    assert api("clerk2").post(f"/api/v1/intake/{sub.pk}/accept", {}).status_code == 409
    assert Petition.objects.count() == 1
    # Who may: handlers and administrators may not; a missing submission is 404.
    other, _ = submission(phone="13900139002")
    assert api("housing").post(f"/api/v1/intake/{other.pk}/accept", {}).status_code == 403
    assert api("clerk").post("/api/v1/intake/999999/accept", {}).status_code == 404


def test_decline_with_a_reason_the_citizen_reads(api, client, submission):
    sub, secret = submission()
    assert api("clerk").post(f"/api/v1/intake/{sub.pk}/decline", {"reason": ""}).status_code == 400
    response = api("clerk").post(
        f"/api/v1/intake/{sub.pk}/decline", {"reason": "属于诉讼程序，请向法院起诉。"}
    )
    assert response.status_code == 200
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.DECLINED and not Petition.objects.exists()
    status = client.post(
        "/api/v1/portal/status",
        {"query_code": sub.query_code, "secret": secret},
        content_type="application/json",
    ).json()
    assert status["stage"] == "declined" and status["decline_reason"] == "属于诉讼程序，请向法院起诉。"
    assert api("clerk").post(f"/api/v1/intake/{sub.pk}/decline", {"reason": "再次"}).status_code == 409


def test_link_as_a_repeat_of_a_visible_petition(api, demo_org, submission, register):
    earlier = register(involved_units=[demo_org[1]["POLICE"].pk])
    sub, _ = submission()
    # The number must be one the clerk can see; an unknown one is an input error.
    response = api("clerk").post(f"/api/v1/intake/{sub.pk}/link", {"number": "XF-2026-999999"})
    assert response.status_code == 400
    response = api("clerk").post(f"/api/v1/intake/{sub.pk}/link", {"number": earlier.number})
    assert response.status_code == 200 and response.json()["number"] == earlier.number
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.LINKED and sub.petition == earlier
    assert earlier.events.order_by("-seq").first().action == "portal.linked"
    assert Petition.objects.count() == 1  # no new number


def test_services_refuse_people_outside_the_office(demo_org, submission, register):
    users, _units = demo_org
    sub, _ = submission()
    for name in ["housing", "admin", "auditor"]:
        with pytest.raises(Forbidden):
            intake.accept(ctx=Context(actor=users[name]), submission_id=sub.pk, changes={})
        with pytest.raises(Forbidden):
            intake.decline(ctx=Context(actor=users[name]), submission_id=sub.pk, reason="x")
    with pytest.raises(InvalidInput):
        intake.accept(ctx=Context(actor=users["clerk"]), submission_id=sub.pk, changes=["not", "a", "dict"])
    intake.decline(ctx=Context(actor=users["clerk"]), submission_id=sub.pk, reason="不属于受理范围")
    with pytest.raises(Conflict):
        intake.link_repeat(ctx=Context(actor=users["clerk"]), submission_id=sub.pk, number=register().number)


def test_overdue_intake_escalates_once(demo_org, submission, settings):
    users, _units = demo_org
    users["secgen"].email = "secgen@example.org"
    users["secgen"].save()
    sub, _ = submission()
    assert intake.escalate_overdue() == 0  # not due yet
    later = sub.due_at + timedelta(seconds=1)
    with time_machine.travel(later, tick=False), pytest.MonkeyPatch.context() as m:
        m.setattr("django.db.transaction.on_commit", lambda f, using=None, robust=False: f())
        assert intake.escalate_overdue() == 1
        assert intake.escalate_overdue() == 0  # idempotent
    sub.refresh_from_db()
    assert sub.escalated_at is not None
    assert len(mail.outbox) == 1 and sub.query_code in mail.outbox[0].body
    assert mail.outbox[0].to == ["secgen@example.org"]


def test_the_intake_clock_follows_the_deadline_policies(submission):
    sub, _ = submission()
    # No "intake" policy row: the engine's fallback of 7 calendar days, ending on a working day.
    local = timezone.localtime(sub.submitted_at).date()
    due = timezone.localtime(sub.due_at).date()
    assert 7 <= (due - local).days <= 7 + 9  # at most a Spring Festival's rest days later


def test_the_intake_pages(demo_org, submission, register):
    from django.test import Client

    users, _units = demo_org
    clerk = Client()
    clerk.force_login(users["clerk"])
    sub, _ = submission(title="路灯坏了", category="")
    page = clerk.get("/intake/").content.decode()
    assert "网上信访受理" in page and "路灯坏了" in page
    detail = clerk.get(f"/intake/{sub.pk}/").content.decode()
    # The registration prefilled with what the citizen typed (the phone unsealed for the office).
    assert 'value="路灯坏了"' in detail and f'value="{sub.phone}"' in detail
    # Accepting without a category: the error in place, the corrections kept, nothing registered.
    response = clerk.post(
        f"/intake/{sub.pk}/", {"operation": "accept", "title": "路灯坏了（核）", "content": "无灯"}
    )
    assert response.status_code == 400
    assert "请选择问题分类" in response.content.decode() and "路灯坏了（核）" in response.content.decode()
    # Declining needs a reason; with one, back to the queue.
    assert clerk.post(f"/intake/{sub.pk}/", {"operation": "decline", "reason": ""}).status_code == 400
    response = clerk.post(f"/intake/{sub.pk}/", {"operation": "decline", "reason": "不属于受理范围"})
    assert response.status_code == 302 and response["Location"] == "/intake/"
    assert clerk.post(f"/intake/{sub.pk}/", {"operation": "decline", "reason": "再次"}).status_code == 409
    # Linking to an earlier petition; then the clerk lands on it.
    other, _ = submission()
    earlier = register()
    response = clerk.post(f"/intake/{other.pk}/", {"operation": "link", "number": earlier.number})
    assert response.status_code == 302 and response["Location"] == f"/petitions/{earlier.number}/"
    # A file of a submission is the office's only.
    with_file, _ = submission(files=[_pdf_upload()])
    file_id = with_file.files.get().pk
    assert clerk.get(f"/intake/{with_file.pk}/files/{file_id}/").status_code == 200
    handler = Client()
    handler.force_login(users["housing"])
    assert handler.get(f"/intake/{with_file.pk}/files/{file_id}/").status_code == 403
    assert handler.get("/intake/").status_code == 403


def _pdf_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.api.conftest import PDF

    return SimpleUploadedFile("材料.pdf", PDF)


@pytest.mark.django_db(
    transaction=True
)  # the worker closes stale connections, as a long-running process must
def test_the_deadline_worker_escalates_overdue_intake(demo_org, submission):
    from django.core.management import call_command

    from xinfang.petitions.hooks import periodic_tasks

    assert "portal.escalate_intake" in periodic_tasks
    sub, _ = submission()
    Submission.objects.filter(pk=sub.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    call_command("run_deadline_worker", "--once")
    sub.refresh_from_db()
    assert sub.escalated_at is not None
