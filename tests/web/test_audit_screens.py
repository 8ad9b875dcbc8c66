"""The auditor's screens and the attachment list speak in sentences, not codes
(issue 8): `petition.view`, `auth.sign_in` and `application/pdf` were shown raw."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.web.conftest import PDF_BYTES
from xinfang.audit.display import _SENTENCES
from xinfang.audit.labels import ACCESS_ACTIONS, EVENT_ACTIONS
from xinfang.audit.services import Context
from xinfang.documents.services import add_attachment

CELLS = re.compile(r'<td data-action="([^"]+)"[^>]*>([^<]*)</td>')


def _cells(html):
    return dict(CELLS.findall(html))


@pytest.mark.parametrize(
    ("language", "viewed", "refused"),
    [("en", "Opened a petition", "Sign-in refused"), ("zh-hans", "查看信访件", "登录被拒绝")],
)
def test_access_log_shows_sentences(client_for, make_petition, language, viewed, refused):
    petition = make_petition()
    client_for("clerk").get(f"/petitions/{petition.number}/")
    Client().post("/accounts/login/", {"username": "clerk", "password": "wrong"})
    html = client_for("auditor", HTTP_ACCEPT_LANGUAGE=language).get("/audit/").content.decode()
    cells = _cells(html)
    assert cells["petition.view"] == viewed
    assert refused in [text for code, text in CELLS.findall(html) if code == "auth.sign_in"]
    assert ">petition.view<" not in html and ">auth.sign_in<" not in html


def test_access_log_filter_is_a_labelled_form(client_for):
    html = client_for("auditor", HTTP_ACCEPT_LANGUAGE="en").get("/audit/").content.decode()
    assert '<form method="get" class="panel filters"' in html
    assert (
        '<label for="al-action">' in html
        and '<option value="petition.view">Opened a petition</option>' in html
    )
    # Filtering by a chosen action still works.
    assert client_for("auditor").get("/audit/", {"action": "auth.sign_in"}).status_code == 200


@pytest.mark.parametrize(("language", "label"), [("en", "Propose handling"), ("zh-hans", "拟办")])
def test_event_log_shows_the_step_not_the_code(client_for, drive, language, label):
    drive("proposed")
    html = client_for("auditor", HTTP_ACCEPT_LANGUAGE=language).get("/audit/events/").content.decode()
    cells = _cells(html)
    assert label in cells["petition.propose"]
    assert ">petition.propose<" not in html


def test_every_recorded_event_kind_has_a_label():
    # The timeline's sentence registry lists every event kind the services write.
    assert set(_SENTENCES) - set(EVENT_ACTIONS) == set()


# Access-log codes are written three ways: `record("code", …)`, a refusal's
# `{"action": "code", …}` handed to record() after the rollback, and the accounts app's
# `account.*` codes sent through its `account_changed` signal (accounts does not import
# audit). The patterns find each independently of the label table.
_WRITTEN = (
    re.compile(r'\brecord\(\s*"([a-z_]+\.[a-z0-9_.]+)"'),
    re.compile(r'"action":\s*"([a-z_]+\.[a-z0-9_.]+)"'),
    re.compile(r'"(account\.[a-z0-9_]+)"'),
)
# Separation of duties (issue 8): what the auditor must be able to read, written out.
_ACCOUNT_CODES = {
    "account.role_requested",
    "account.role_granted",
    "account.role_refused",
    "account.role_revoked",
    "account.password_reset",
    "account.2fa_reset",
    "account.unlocked",
}


def _written_access_codes():
    import pathlib

    source = pathlib.Path(__file__).resolve().parents[2] / "src" / "xinfang"
    written = set()
    for path in source.rglob("*.py"):
        if path.name == "labels.py" or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in _WRITTEN:
            written |= set(pattern.findall(text))
    return written


def test_every_access_kind_written_by_the_code_has_a_label():
    written = _written_access_codes()
    assert written >= _ACCOUNT_CODES, "the written-out account codes are what the code sends"
    assert {"firewall.refused", "auth.sign_in", "petition.view"} <= written
    assert written - set(ACCESS_ACTIONS) == set()


@pytest.mark.parametrize("code", sorted(_ACCOUNT_CODES | {"firewall.refused"}))
def test_account_codes_read_as_sentences_in_both_languages(code):
    from django.utils import translation

    from xinfang.audit.labels import access_label

    with translation.override("en"):
        english = access_label(code)
    with translation.override("zh-hans"):
        chinese = access_label(code)
    assert english != code and chinese != code and chinese != english
    assert re.search(r"[\u4e00-\u9fff]", chinese), chinese


def test_a_role_revocation_shows_a_sentence_to_the_auditor(client_for, demo_org):
    from xinfang.accounts import roles

    users = demo_org[0]
    roles.revoke(actor=users["admin"], user=users["clerk"], role="clerk")
    html = client_for("auditor", HTTP_ACCEPT_LANGUAGE="zh-hans").get("/audit/").content.decode()
    assert _cells(html)["account.role_revoked"] == "撤销角色"
    assert ">account.role_revoked<" not in html


@pytest.mark.parametrize(("language", "label"), [("en", "PDF document"), ("zh-hans", "PDF 文档")])
def test_attachments_show_a_file_type_people_know(client_for, make_petition, demo_org, language, label):
    petition = make_petition()
    add_attachment(
        ctx=Context(actor=demo_org[0]["clerk"]),
        petition=petition,
        upload=SimpleUploadedFile("a.pdf", PDF_BYTES),
    )
    html = (
        client_for("clerk", HTTP_ACCEPT_LANGUAGE=language)
        .get(f"/petitions/{petition.number}/")
        .content.decode()
    )
    assert f'title="application/pdf">{label}</td>' in html
    assert ">application/pdf<" not in html
