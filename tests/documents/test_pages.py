"""The documents panel on the petition page: offered only to those who act at the step,
generation through it (htmx and plain), the PDF made by the background task and the panel
polling until then."""

import pytest
from django.test import override_settings

from tests.documents.conftest import needs_soffice
from xinfang.documents.models import GeneratedDocument, PdfStatus

pytestmark = pytest.mark.django_db


def test_panel_offers_the_types_of_the_step_to_those_who_act(client_for, drive, demo_org):
    petition = drive("assigned")
    page = client_for("clerk").get(f"/petitions/{petition.number}/").content.decode()
    assert 'data-doc-type="assignment_form"' in page
    assert 'data-doc-type="registration_form"' in page
    assert 'data-doc-type="reply_opinion"' not in page  # not at this step
    assert 'data-doc-type="transfer_letter"' not in page  # no unit took a transfer
    # A unit's handler makes no documents; the panel shows only what is addressed to it.
    housing = client_for("housing").get(f"/petitions/{petition.number}/").content.decode()
    assert "data-doc-type=" not in housing
    # A leader supervises, but does not make the clerks' forms.
    leader = client_for("secgen").get(f"/petitions/{petition.number}/").content.decode()
    assert 'data-doc-type="supervision_letter"' in leader and 'data-doc-type="assignment_form"' not in leader


def test_generate_from_the_panel_with_htmx_and_errors_in_place(client_for, drive, demo_org):
    _users, units = demo_org
    petition = drive("assigned")
    client = client_for("clerk")
    url = f"/petitions/{petition.number}/documents/"
    done = client.post(
        url, {"type": "assignment_form", "unit": units["HOUSING"].pk}, headers={"HX-Request": "true"}
    )
    assert done.status_code == 201
    html = done.content.decode()
    document = GeneratedDocument.objects.get()
    assert document.reference in html and 'hx-trigger="every 2s"' in html  # polls while the PDF is made
    refused = client.post(url, {"type": "reply_opinion"}, headers={"HX-Request": "true"})
    assert refused.status_code == 409 and "不能制作答复意见书" in refused.content.decode()
    plain = client.post(url, {"type": "non_acceptance_notice"})
    assert plain.status_code == 302 and GeneratedDocument.objects.count() == 1


def test_the_background_task_is_queued_after_commit(
    client_for, drive, demo_org, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    _users, units = demo_org
    petition = drive("assigned")
    with django_capture_on_commit_callbacks(execute=True):
        client_for("clerk").post(
            f"/petitions/{petition.number}/documents/",
            {"type": "assignment_form", "unit": units["HOUSING"].pk},
        )
    queued = DBTaskResult.objects.get()
    assert queued.task_path.endswith("documents.tasks.make_pdf")
    assert queued.args_kwargs["args"] == [GeneratedDocument.objects.get().pk]


@needs_soffice
@override_settings(DOCUMENT_PDF_MODE="inline")
def test_inline_mode_and_the_pdf_download(client_for, drive, demo_org, django_capture_on_commit_callbacks):
    petition = drive("registered")
    client = client_for("clerk")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/petitions/{petition.number}/documents/", {"type": "registration_form"})
    document = GeneratedDocument.objects.get()
    assert document.pdf_status == PdfStatus.READY
    response = client.get(f"/petitions/{petition.number}/documents/{document.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content)[:5] == b"%PDF-"
    page = client.get(f"/petitions/{petition.number}/").content.decode()
    assert 'class="doc-pdf"' in page and "every 2s" not in page


@needs_soffice
def test_one_soffice_run_converts_too_and_a_failure_is_marked(drive, demo_org, monkeypatch):
    from django.test import override_settings

    from tests.documents.conftest import pdf_text
    from xinfang.audit.services import Context
    from xinfang.documents import pdf as pdf_module
    from xinfang.documents.generation import generate
    from xinfang.documents.rendering import RenderError, docx_to_pdf

    users, _units = demo_org
    petition = drive("registered")
    document = generate(
        ctx=Context(actor=users["clerk"]), petition=petition, data={"type": "registration_form"}
    )
    with document.docx.open("rb") as handle:
        source = handle.read()
    with override_settings(DOCUMENT_CONVERTER="command"):
        assert document.reference in pdf_text(docx_to_pdf(source))

    def broken(sources):
        raise RenderError("no office today")

    monkeypatch.setattr(pdf_module, "docx_to_pdf_many", broken)
    assert pdf_module.make_pdfs([document.pk]) == 0
    document.refresh_from_db()
    assert document.pdf_status == PdfStatus.FAILED and not document.pdf


def test_timeline_tells_generation_and_delivery(client_for, drive, demo_org, api):
    petition = drive("registered")
    doc = (
        api("clerk")
        .post(f"/api/v1/petitions/{petition.number}/documents", {"type": "acceptance_notice"})
        .json()
    )
    api("clerk").post(
        f"/api/v1/petitions/{petition.number}/documents/{doc['id']}/deliveries", {"method": "post"}
    )
    page = client_for("clerk").get(f"/petitions/{petition.number}/").content.decode()
    assert f"生成了受理告知书 {doc['reference']}（第 1 版）" in page
    assert f"登记了 {doc['reference']} 的送达（邮寄）" in page
