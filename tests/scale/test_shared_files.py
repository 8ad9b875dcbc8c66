"""Files any app server may be asked for go through the storage, not a local folder: finished
exports, imports awaiting their "Import" button, uploads kept while a registration form is
corrected (docs/scaling.md). The storage here is Django's in-memory one, standing for storage that
is not this machine's disk (shared by several machines): a file written to a local path instead
would not be in it, and nothing may appear under the data directory."""

import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.reports.ledgers import csv_bytes, row
from tests.web.conftest import PDF_BYTES, letter_post
from xinfang.documents.models import Attachment
from xinfang.reports.models import ImportedPetition, LedgerExport

KEPT = re.compile(r'<input type="hidden" name="kept" value="([0-9a-f]+)">')


@pytest.fixture
def elsewhere(settings):
    """The default storage is not the local disk; returns the local folders that must stay empty."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    data = Path(settings.DATA_DIR)
    return [data / "exports", data / "imports", data / "kept-uploads", Path(settings.MEDIA_ROOT)]


def _local_files(folders) -> list[Path]:
    return [p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()]


@pytest.fixture
def web(demo_org):
    users, _units = demo_org

    def make(username):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(users[username])
        return client

    return make


def test_a_background_export_is_written_to_and_served_from_the_storage(elsewhere, web, register, monkeypatch):
    from xinfang.reports import views
    from xinfang.reports.tasks import write_ledger_export

    petition = register()
    monkeypatch.setattr(views, "BACKGROUND_FROM", 1)
    before = set(_local_files(elsewhere))
    client = web("clerk")
    assert client.get("/ledger/export/?format=csv").status_code == 302
    job = LedgerExport.objects.get()
    write_ledger_export.call(str(job.pk))
    job.refresh_from_db()
    assert default_storage.exists(job.file)
    download = client.get(f"/ledger/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert petition.number in b"".join(download.streaming_content).decode("utf-8")
    assert set(_local_files(elsewhere)) == before


def test_a_checked_import_waits_in_the_storage(elsewhere, web):
    client = web("clerk")
    before = set(_local_files(elsewhere))
    content = csv_bytes([row("OLD-1")])
    checked = client.post("/ledger/import/", {"file": SimpleUploadedFile("ledger.csv", content)})
    staged = re.search(r'name="staged" value="([0-9a-f]{64})"', checked.content.decode()).group(1)
    _dirs, waiting = default_storage.listdir("imports")
    assert [name for name in waiting if staged in name], waiting
    done = client.post("/ledger/import/", {"staged": staged, "name": "ledger.csv"})
    assert done.status_code == 200 and ImportedPetition.objects.count() == 1
    assert default_storage.listdir("imports")[1] == []
    assert set(_local_files(elsewhere)) == before


def test_a_kept_upload_waits_in_the_storage(elsewhere, web):
    client = web("clerk")
    before = set(_local_files(elsewhere))
    scan = PDF_BYTES + b"% kept scan\n"
    failed = client.post(
        "/petitions/new/", letter_post(title="") | {"files": SimpleUploadedFile("scan.pdf", scan)}
    )
    assert failed.status_code == 400
    [token] = KEPT.findall(failed.content.decode())
    assert default_storage.exists(f"kept-uploads/{token}")
    assert client.post("/petitions/new/", letter_post() | {"kept": token}).status_code == 302
    assert Attachment.objects.get().size == len(scan)
    assert not default_storage.exists(f"kept-uploads/{token}")
    assert set(_local_files(elsewhere)) == before
