"""Masters offices edit themselves: download, upload with checks, the previous one stays in
force when an upload is refused, revert to the shipped default; generation uses the master
in force."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document

from xinfang.documents.masters.store import current_master, default_bytes
from xinfang.documents.models import DocumentMaster, GeneratedDocument

pytestmark = pytest.mark.django_db

MASTER = "/api/v1/document-types/acceptance_notice/master"


def docx_with(*paragraphs) -> bytes:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def with_macro(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0macro")
    return out.getvalue()


def upload(api, data, name="master.docx", user="admin", language="en"):
    return api(user).client.post(
        MASTER, {"file": SimpleUploadedFile(name, data)}, headers={"Accept-Language": language}
    )


def test_download_gives_the_default_master(api):
    response = api("admin").get(MASTER)
    assert response.status_code == 200
    assert response.content == default_bytes("acceptance_notice")
    assert api("clerk").get(MASTER).status_code == 403


def test_upload_is_used_for_the_next_document(api, drive):
    good = docx_with("{{ issuer }}", "{{ reference }}", "尊敬的{{ petitioner_name }}：您的来信已受理。")
    response = upload(api, good)
    assert response.status_code == 200, response.json()["errors"]
    assert current_master("acceptance_notice").data == good
    petition = drive("registered")
    doc = (
        api("clerk")
        .post(f"/api/v1/petitions/{petition.number}/documents", {"type": "acceptance_notice"})
        .json()
    )
    document = GeneratedDocument.objects.get(pk=doc["id"])
    assert document.master is not None
    with document.docx.open("rb") as handle:
        text = "\n".join(p.text for p in Document(handle).paragraphs)
    assert "尊敬的王五：您的来信已受理。" in text and doc["reference"] in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (docx_with("{{ reference }}", "{{ bank_account }}"), "bank_account"),
        (docx_with("{{ reference "), "placeholder"),
        (docx_with("{% for x in %}"), "placeholder"),
        (b"PK\x03\x04 this is not really a zip", ".docx"),
        (b"%PDF-1.4 a pdf", ".docx"),
        (b"", "empty"),
        (with_macro(docx_with("{{ reference }}")), "macro"),
    ],
)
def test_refused_upload_keeps_the_previous_master(api, data, message):
    previous = docx_with("{{ reference }} 旧版")
    assert upload(api, previous).status_code == 200
    response = upload(api, data)
    assert response.status_code == 400, response.content
    assert message in str(response.json()["errors"]["file"])
    assert current_master("acceptance_notice").data == previous
    assert DocumentMaster.objects.count() == 1


def test_refusal_is_explained_in_chinese_by_default(api):
    response = upload(api, docx_with("{{ bank_account }}"), language="zh-hans")
    assert "未知的占位符" in response.json()["errors"]["file"][0]


def test_sandbox_keeps_masters_from_reaching_python(api):
    response = upload(api, docx_with("{{ reference.__class__.__mro__ }}"))
    # Attribute walking is not a placeholder of the type; refused before any rendering.
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        from xinfang.documents.rendering import RenderError, render_docx

        with pytest.raises(RenderError):
            render_docx(current_master("acceptance_notice").data, {"reference": "x"})


def test_only_the_system_administrator_uploads_and_reverts(api):
    assert upload(api, docx_with("{{ reference }}"), user="clerk").status_code == 403
    assert not DocumentMaster.objects.exists()
    assert upload(api, docx_with("{{ reference }}")).status_code == 200
    assert api("clerk").post(MASTER + "/revert").status_code == 403
    assert api("admin").post(MASTER + "/revert").status_code == 200
    assert current_master("acceptance_notice").data == default_bytes("acceptance_notice")
    assert DocumentMaster.objects.count() == 2  # the uploaded one stays on record


def test_shipped_masters_pass_their_own_checks():
    from xinfang.documents.masters.store import check_master
    from xinfang.documents.types import REGISTRY

    for doc_type in REGISTRY.values():
        check_master(doc_type, default_bytes(doc_type.code))


def test_masters_page_uploads_refuses_and_reverts(client_for):
    client = client_for("admin")
    page = client.get("/documents/masters/")
    assert page.status_code == 200 and "交办单" in page.content.decode()
    assert client_for("clerk").get("/documents/masters/").status_code == 403
    refused = client.post(
        "/documents/masters/",
        {"type": "assignment_form", "file": SimpleUploadedFile("m.docx", docx_with("{{ salary }}"))},
        follow=True,
    )
    assert "未知的占位符" in refused.content.decode() and not DocumentMaster.objects.exists()
    good = docx_with("{{ reference }} {{ unit_name }}")
    client.post(
        "/documents/masters/", {"type": "assignment_form", "file": SimpleUploadedFile("m.docx", good)}
    )
    assert current_master("assignment_form").data == good
    client.post("/documents/masters/", {"type": "assignment_form", "revert": "1"})
    assert current_master("assignment_form").data == default_bytes("assignment_form")
