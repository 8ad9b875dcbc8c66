import hashlib
import os
import stat

import pytest

from tests.api.conftest import PDF, PNG, body
from xinfang.documents.models import Attachment

PETITIONS = "/api/v1/petitions"


@pytest.fixture
def number(api):
    return api("clerk").post(PETITIONS, body()).json()["number"]


def test_upload_and_download(api, number, settings):
    clerk = api("clerk")
    response = clerk.upload(f"{PETITIONS}/{number}/attachments", "来信扫描件.pdf", PDF)
    assert response.status_code == 201, response.content
    meta = response.json()
    assert meta["name"] == "来信扫描件.pdf"
    assert meta["size"] == len(PDF)
    assert meta["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert meta["content_type"] == "application/pdf"
    download = clerk.get(f"{PETITIONS}/{number}/attachments/{meta['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "no-store"
    # Stored under a random name, readable by the service account only.
    stored = Attachment.objects.get(pk=meta["id"]).file.path
    assert "来信" not in stored
    assert stat.S_IMODE(os.stat(stored).st_mode) == 0o600
    events = clerk.get(f"{PETITIONS}/{number}/events").json()
    assert events[-1]["action"] == "attachment.added" and events[-1]["data"]["sha256"] == meta["sha256"]
    detail = clerk.get(f"{PETITIONS}/{number}").json()
    assert detail["attachments"] == [meta]


def test_type_comes_from_the_bytes(api, number):
    clerk = api("clerk")
    response = clerk.upload(f"{PETITIONS}/{number}/attachments", "photo.pdf", PNG)
    assert response.status_code == 201
    assert response.json()["content_type"] == "image/png"
    assert response.json()["name"] == "photo.png"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("scan.pdf", b"<!doctype html><script>alert(1)</script>"),
        ("scan.pdf", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("page.html", b"<html><body>hi</body></html>"),
        ("run.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64),
        ("notes.txt", "纯文本".encode()),
        ("empty.pdf", b""),
    ],
)
def test_refused_types_change_nothing(api, number, name, content):
    response = api("clerk", language="en").upload(f"{PETITIONS}/{number}/attachments", name, content)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "file" in response.json()["errors"]
    assert not Attachment.objects.exists()
    assert len(api("clerk").get(f"{PETITIONS}/{number}/events").json()) == 1


def test_oversized_file_is_413(api, number, settings):
    settings.MAX_UPLOAD_BYTES = 1024
    response = api("clerk").upload(f"{PETITIONS}/{number}/attachments", "big.pdf", PDF + b"0" * 2048)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert not Attachment.objects.exists()


def test_missing_file_field(api, number):
    response = api("clerk").client.post(f"{PETITIONS}/{number}/attachments", {"other": "x"})
    assert response.status_code == 400 and "file" in response.json()["errors"]


def test_attachment_is_bound_to_its_petition(api, number):
    clerk = api("clerk")
    other = clerk.post(PETITIONS, body(title="另一件")).json()["number"]
    attachment_id = clerk.upload(f"{PETITIONS}/{other}/attachments", "a.pdf", PDF).json()["id"]
    assert clerk.get(f"{PETITIONS}/{number}/attachments/{attachment_id}").status_code == 404
    assert clerk.get(f"{PETITIONS}/{number}/attachments/{attachment_id + 1000}").status_code == 404
    assert clerk.get(f"{PETITIONS}/{number}/attachments/abc").status_code == 404
    assert clerk.get(f"{PETITIONS}/{number}/attachments/{2**70}").status_code == 404


def test_hidden_petition_attachments_are_404(api, demo_org):
    _users, units = demo_org
    clerk = api("clerk")
    number = clerk.post(PETITIONS, body(involved_units=[units["HOUSING"].pk, units["SECGEN"].pk])).json()[
        "number"
    ]
    attachment_id = clerk.upload(f"{PETITIONS}/{number}/attachments", "a.pdf", PDF).json()["id"]
    secgen = api("secgen")
    assert secgen.get(f"{PETITIONS}/{number}/attachments/{attachment_id}").status_code == 404
    assert secgen.upload(f"{PETITIONS}/{number}/attachments", "b.pdf", PDF).status_code == 404
    assert Attachment.objects.count() == 1


def test_file_name_is_cleaned(api, number):
    response = api("clerk").upload(f"{PETITIONS}/{number}/attachments", '../../etc/"><img src=x>.pdf', PDF)
    assert response.status_code == 201
    assert "/" not in response.json()["name"]
    download = api("clerk").get(f"{PETITIONS}/{number}/attachments/{response.json()['id']}")
    assert download["Content-Disposition"].startswith("attachment;")
    assert "\n" not in download["Content-Disposition"]
