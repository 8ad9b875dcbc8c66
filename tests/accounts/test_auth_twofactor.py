"""TOTP two-factor sign-in (AU-3): the password alone opens nothing, codes are single-use,
wrong codes count towards the lock-out, enrolment is forced when XINFANG_REQUIRE_2FA is on."""

from __future__ import annotations

import re
import runpy
import secrets
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinfang.accounts.lockout import is_locked

from .conftest import PASSWORD, code_for, sign_in


def token(username="clerk", password=PASSWORD, **body):
    return Client().post(
        "/api/v1/auth/token",
        {"username": username, "password": password, **body},
        content_type="application/json",
    )


def test_the_password_alone_reaches_no_page(totp_device):
    client = Client()
    response = sign_in(client)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/code/"
    assert "_auth_user_id" not in client.session
    for url in ("/", "/petitions/", "/api/v1/me"):
        assert client.get(url).status_code in (302, 401), url


def test_password_then_code_signs_in_with_a_new_session_key(totp_device):
    client = Client()
    sign_in(client)
    before = client.session.session_key
    response = client.post("/accounts/login/code/", {"code": code_for(totp_device)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session.session_key != before
    assert client.get("/").status_code == 200


def test_a_used_code_cannot_be_used_again(totp_device):
    code = code_for(totp_device)
    first = Client()
    sign_in(first)
    assert first.post("/accounts/login/code/", {"code": code}).status_code == 302
    second = Client()
    sign_in(second)
    response = second.post("/accounts/login/code/", {"code": code})
    assert response.status_code == 400
    assert "_auth_user_id" not in second.session
    # The next time step's code is fine.
    assert second.post("/accounts/login/code/", {"code": code_for(totp_device, 1)}).status_code == 302


def test_wrong_codes_count_towards_the_lock(totp_device):
    client = Client()
    sign_in(client)
    for _ in range(5):
        assert client.post("/accounts/login/code/", {"code": "000000"}).status_code == 400
    assert is_locked("clerk")
    # Locked: even the right password and code get nowhere.
    again = Client()
    assert sign_in(again).status_code == 200
    assert "_auth_user_id" not in again.session


def test_the_password_step_does_not_reset_the_count_of_wrong_codes(totp_device):
    for _ in range(4):
        client = Client()
        sign_in(client)
        assert client.post("/accounts/login/code/", {"code": "000000"}).status_code == 400
    client = Client()
    sign_in(client)
    client.post("/accounts/login/code/", {"code": "000000"})
    assert is_locked("clerk")


def test_the_code_page_needs_the_password_step_first(totp_device):
    response = Client().post("/accounts/login/code/", {"code": code_for(totp_device)})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


# --- enrolment ---------------------------------------------------------------------------


def test_required_two_factor_forces_enrolment_at_sign_in(demo_org, settings):
    settings.REQUIRE_2FA = True
    client = Client()
    response = sign_in(client)
    assert response["Location"] == "/accounts/two-factor/"
    assert "_auth_user_id" not in client.session
    page = client.get("/accounts/two-factor/", headers={"Accept-Language": "en"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and "<script" not in html.split("<main", 1)[1]
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html).group(1)
    device = TOTPDevice.objects.get(user__username="clerk", confirmed=False)
    assert secret.replace(" ", "").encode() == __import__("base64").b32encode(device.bin_key)
    assert client.post("/accounts/two-factor/", {"code": "000000"}).status_code == 400
    assert client.get("/").status_code == 302
    response = client.post("/accounts/two-factor/", {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200


def test_the_enrolment_page_keeps_its_secret_on_reload(demo_org, settings):
    settings.REQUIRE_2FA = True
    client = Client()
    sign_in(client)
    first = client.get("/accounts/two-factor/").content.decode()
    second = client.get("/accounts/two-factor/").content.decode()
    pattern = r'<code class="secret">([A-Z2-7 ]+)</code>'
    assert re.search(pattern, first).group(1) == re.search(pattern, second).group(1)


def test_optional_enrolment_by_a_signed_in_user(demo_org):
    client = Client()
    sign_in(client)
    assert client.get("/accounts/two-factor/").status_code == 200
    device = TOTPDevice.objects.get(user__username="clerk")
    assert client.post("/accounts/two-factor/", {"code": code_for(device)}).status_code == 302
    client.post("/accounts/logout/")
    assert sign_in(client)["Location"] == "/accounts/login/code/"


def test_without_the_setting_a_password_still_signs_in(demo_org):
    assert not settings.REQUIRE_2FA
    assert sign_in(Client())["Location"] == "/"


# --- API -----------------------------------------------------------------------------------


def test_api_token_needs_the_code(totp_device):
    assert token().status_code == 401
    response = token(otp=code_for(totp_device))
    assert response.status_code == 200
    assert "token" in response.json()


def test_api_code_replay_is_refused(totp_device):
    code = code_for(totp_device)
    assert token(otp=code).status_code == 200
    assert token(otp=code).status_code == 401


def test_api_wrong_codes_lock(totp_device):
    for _ in range(5):
        assert token(otp="123456").status_code == 401
    assert is_locked("clerk")
    assert token(otp=code_for(totp_device)).status_code == 401


def test_api_required_two_factor_without_a_device_is_refused(demo_org, settings):
    settings.REQUIRE_2FA = True
    response = token(otp="123456")
    assert response.status_code == 401
    assert not TOTPDevice.objects.exists()


# --- settings ---------------------------------------------------------------------------------

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "src" / "xinfang" / "settings.py"


@pytest.mark.parametrize(
    ("environment", "required", "max_age"),
    [
        ({}, True, 90),
        ({"XINFANG_DEMO": "1"}, False, 0),
        ({"XINFANG_DEMO": "1", "XINFANG_REQUIRE_2FA": "1"}, True, 0),
    ],
)
def test_two_factor_is_required_in_production_and_not_in_demo(
    monkeypatch, tmp_path, environment, required, max_age
):
    import os

    for name in list(os.environ):
        if name.startswith(("XINFANG_", "DATABASE_URL")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XINFANG_SECRET_KEY", secrets.token_urlsafe(64))
    monkeypatch.setenv("XINFANG_DATA_DIR", str(tmp_path))
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    conf = runpy.run_path(str(SETTINGS_FILE))
    assert conf["REQUIRE_2FA"] is required
    assert conf["PASSWORD_MAX_AGE_DAYS"] == max_age
    assert (conf["LOCKOUT_FAILURES"], conf["LOCKOUT_MINUTES"], conf["IDLE_MINUTES"]) == (5, 15, 30)
