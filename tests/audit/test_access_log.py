"""The access log (等级保护 CES1-12/13, LG-1, LG-2, LG-4): every view of a petition,
of unmasked personal data and of an attachment, every refusal, every sign-in."""

import pytest
from django.test import Client

from tests.api.conftest import PDF, body
from xinfang.accounts.models import ApiToken
from xinfang.audit.access import neutralise
from xinfang.audit.models import AccessLog

CANARY_PHONE = "13912345678"


class Since:
    """Entries written after this point (the log cannot be emptied: it is append-only)."""

    def __init__(self):
        self.after = AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def rows(self):
        return AccessLog.objects.filter(id__gt=self.after).order_by("id")

    def __call__(self):
        return list(self.rows().values_list("action", "outcome", "object_ref"))


@pytest.fixture
def bearer(demo_org):
    users, _units = demo_org

    def make(name):
        return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(users[name])[1]}")

    return make


@pytest.fixture
def number(bearer):
    petitioners = [{"name": "王五", "id_number": "11010519491231002X", "phone": CANARY_PHONE}]
    return (
        bearer("clerk")
        .post("/api/v1/petitions", body(petitioners=petitioners), content_type="application/json")
        .json()["number"]
    )


def test_api_detail_logs_the_view_and_the_personal_data(bearer, number, demo_org):
    users, _units = demo_org
    entries = Since()
    bearer("clerk").get(f"/api/v1/petitions/{number}", REMOTE_ADDR="10.1.2.3")
    log = entries.rows()
    assert [(e.action, e.outcome) for e in log] == [
        ("petition.view", "allowed"),
        ("petition.personal_data", "allowed"),
    ]
    first = log[0]
    assert first.user == users["clerk"] and first.unit == users["clerk"].unit
    assert first.object_ref == number and first.ip == "10.1.2.3" and first.request_id


def test_page_logs_the_view_and_only_an_explicit_reveal(client, number, demo_org):
    users, _units = demo_org
    client.force_login(users["clerk"])
    entries = Since()
    page = client.get(f"/petitions/{number}/").content.decode()
    assert CANARY_PHONE not in page
    assert entries() == [("petition.view", "allowed", number)]
    revealed = client.get(f"/petitions/{number}/personal-data/")
    assert CANARY_PHONE in revealed.content.decode() and revealed["Cache-Control"] == "no-store"
    assert entries()[-1] == ("petition.personal_data", "allowed", number)


def test_hidden_petition_is_a_logged_refusal_with_a_plain_404(bearer, number, demo_org):
    entries = Since()
    response = bearer("housing").get(f"/api/v1/petitions/{number}")
    assert response.status_code == 404
    assert entries() == [("petition.read", "denied", number)]
    # A number that does not exist is not worth an entry: nothing to protect.
    bearer("housing").get("/api/v1/petitions/XF-1999-000001")
    assert len(entries()) == 1


def test_handler_cannot_reveal(client, number, demo_org):
    users, _units = demo_org
    client.force_login(users["admin"])
    assert client.get(f"/petitions/{number}/personal-data/").status_code == 404


def test_attachment_downloads_and_guesses_are_logged(bearer, number):
    clerk = bearer("clerk")
    from django.core.files.uploadedfile import SimpleUploadedFile

    attachment = clerk.post(
        f"/api/v1/petitions/{number}/attachments", {"file": SimpleUploadedFile("a.pdf", PDF)}
    ).json()["id"]
    other = clerk.post("/api/v1/petitions", body(), content_type="application/json").json()["number"]
    entries = Since()
    clerk.get(f"/api/v1/petitions/{number}/attachments/{attachment}")
    clerk.get(f"/api/v1/petitions/{other}/attachments/{attachment}")
    assert [(a, o) for a, o, _ref in entries()] == [
        ("attachment.download", "allowed"),
        ("attachment.download", "denied"),
    ]


def test_sign_ins_are_logged_without_the_password(client, demo_org):
    entries = Since()
    client.post("/accounts/login/", {"username": "clerk", "password": "wrong-password-1"})
    client.post("/accounts/login/", {"username": "clerk", "password": "demo-pass-2026"})
    client.post(
        "/api/v1/auth/token", {"username": "nobody", "password": "x"}, content_type="application/json"
    )
    log = list(entries.rows())
    assert [
        (e.action, e.outcome, e.username[:1] if e.username.startswith("?") else e.username) for e in log
    ] == [
        ("auth.sign_in", "denied", "clerk"),
        ("auth.sign_in", "allowed", "clerk"),
        ("auth.sign_in", "denied", "?"),  # not an account, perhaps a password: only a fingerprint
    ]
    assert "nobody" not in str([vars(e) for e in log])
    assert all("wrong-password" not in str(vars(e)) for e in log)


def test_log_injection_is_neutralised(client, demo_org):
    entries = Since()
    client.post(
        "/accounts/login/", {"username": 'evil\r\n2026-01-01 admin signed in\x1b[31m{"x":1}', "password": "x"}
    )
    entry = entries.rows().get()
    assert "\n" not in entry.username and "\r" not in entry.username and "\x1b" not in entry.username
    assert entry.username.startswith("?")  # no such account: only its fingerprint is kept
    assert neutralise("evil\r\n{}") == "evil\\u000d\\u000a{}"
    assert neutralise("a\x00b") == "a\\u0000b"
