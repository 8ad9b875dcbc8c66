"""Issue 8: a file chosen on the registration form survives an error in the form.

The clerk chose a scan and mistyped the title; the page came back without the scan.
Now the file is kept server-side for this session, shown as "kept", and attached when
the corrected form is registered. A token that is not this session's is refused.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.web.conftest import PDF_BYTES, letter_post
from xinfang.documents.models import Attachment
from xinfang.petitions.models import Petition

KEPT = re.compile(r'<input type="hidden" name="kept" value="([0-9a-f]+)">')
# Independent of the code: the digest of the bytes the clerk chose.
SCAN = PDF_BYTES + b"% kept scan\n"
SCAN_SHA256 = hashlib.sha256(SCAN).hexdigest()


def _failed_post_with_scan(client):
    response = client.post(
        "/petitions/new/",
        letter_post(title="") | {"files": SimpleUploadedFile("来信扫描.pdf", SCAN)},
    )
    assert response.status_code == 400
    return response.content.decode()


def test_a_chosen_file_is_kept_after_an_error_and_attached_on_success(client_for):
    clerk = client_for("clerk", HTTP_ACCEPT_LANGUAGE="en")
    html = _failed_post_with_scan(clerk)
    assert f"Kept: 来信扫描.pdf ({len(SCAN)}\xa0bytes)" in html
    assert 'name="drop_kept"' in html
    [token] = KEPT.findall(html)
    stored = Path(settings.MEDIA_ROOT) / "kept-uploads" / token
    assert stat.S_IMODE(os.stat(stored).st_mode) == 0o600
    assert Petition.objects.count() == 0

    response = clerk.post("/petitions/new/", letter_post() | {"kept": token})
    assert response.status_code == 302
    petition = Petition.objects.get()
    [attachment] = Attachment.objects.filter(petition=petition)
    assert (attachment.name, attachment.size, attachment.sha256) == ("来信扫描.pdf", len(SCAN), SCAN_SHA256)
    assert not stored.exists(), "an attached file is no longer kept"


def test_a_kept_file_can_be_removed(client_for):
    clerk = client_for("clerk")
    [token] = KEPT.findall(_failed_post_with_scan(clerk))
    response = clerk.post("/petitions/new/", letter_post() | {"kept": token, "drop_kept": token})
    assert response.status_code == 302
    assert not Attachment.objects.exists()
    assert not (Path(settings.MEDIA_ROOT) / "kept-uploads" / token).exists()


def test_a_forged_or_another_sessions_token_is_refused(client_for):
    [token] = KEPT.findall(_failed_post_with_scan(client_for("clerk")))
    # The same clerk signed in elsewhere (another session), and a made-up token.
    other = client_for("clerk", HTTP_ACCEPT_LANGUAGE="en")
    for forged in (token, "0" * 32, "../../xinfang.sqlite3", ""):
        response = other.post("/petitions/new/", letter_post() | {"kept": forged})
        assert response.status_code == 400, forged
        assert "no longer available" in response.content.decode()
    assert not Petition.objects.exists() and not Attachment.objects.exists()
    # The owner's file is untouched by the refused attempts.
    assert (Path(settings.MEDIA_ROOT) / "kept-uploads" / token).exists()


def test_kept_files_older_than_a_day_are_removed_on_the_next_keep(client_for):
    directory = Path(settings.MEDIA_ROOT) / "kept-uploads"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stale, fresh = directory / ("a" * 32), directory / ("b" * 32)
    for path, age_hours in ((stale, 25), (fresh, 23)):
        path.write_bytes(b"x")
        then = path.stat().st_mtime - age_hours * 3600
        os.utime(path, (then, then))
    _failed_post_with_scan(client_for("clerk"))
    assert not stale.exists() and fresh.exists()
    fresh.unlink()
