"""Sessions: a new key at sign-in, server-side idle and absolute limits, sign-out and
disabling an account end them on the server (AU-1, AU-5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as PlainStore
from django.test import Client
from django.utils import timezone

from xinfang.accounts.models import ApiToken, UserSession
from xinfang.accounts.services import disable_user
from xinfang.accounts.sessions import SessionStore

from .conftest import PASSWORD, sign_in


def session_key(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def signed_in(demo_org):
    client = Client()
    assert sign_in(client)["Location"] == "/"
    return client


def test_session_rows_name_their_user(signed_in, demo_org):
    users, _units = demo_org
    row = UserSession.objects.get(session_key=session_key(signed_in))
    assert row.user == users["clerk"]
    assert issubclass(SessionStore, PlainStore) and SessionStore.get_model_class() is UserSession


def test_sign_in_gives_the_session_a_new_key(demo_org):
    """Session fixation: a key planted before sign-in must not become the signed-in session."""
    planted = SessionStore()
    planted["language_hint"] = "zh-hans"
    planted.create()
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    assert sign_in(client).status_code == 302
    assert session_key(client) != planted.session_key
    assert not UserSession.objects.filter(session_key=planted.session_key).exists()
    assert client.get("/").status_code == 200


def test_sign_out_deletes_the_server_session(signed_in):
    key = session_key(signed_in)
    assert signed_in.post("/accounts/logout/").status_code == 302
    assert not UserSession.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get("/").status_code == 302


def test_idle_sessions_end_after_thirty_minutes(signed_in):
    key = session_key(signed_in)
    with time_machine.travel(timezone.now() + timedelta(minutes=29), tick=False):
        assert signed_in.get("/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=29 + 31), tick=False):
        response = signed_in.get("/", headers={"Accept-Language": "en"})
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        assert not UserSession.objects.filter(session_key=key).exists()
        page = signed_in.get(response["Location"], headers={"Accept-Language": "en"}).content.decode()
    assert "You were signed out after 30 minutes without activity." in page


def test_idle_api_sessions_get_401(signed_in):
    assert signed_in.get("/api/v1/me").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        response = signed_in.get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")


def test_activity_keeps_a_session_only_up_to_its_absolute_lifetime(signed_in):
    hours = settings.SESSION_COOKIE_AGE // 3600
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(hours * 3):
            traveller.shift(timedelta(minutes=20))
            assert signed_in.get("/").status_code == 200
        traveller.shift(timedelta(minutes=20))
        response = signed_in.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_disabling_an_account_ends_its_sessions_and_tokens(signed_in, demo_org):
    users, _units = demo_org
    key = session_key(signed_in)
    other = Client()
    sign_in(other)
    _token, raw = ApiToken.issue(users["clerk"])
    assert UserSession.objects.filter(user=users["clerk"]).count() == 2

    disable_user(user=users["clerk"])

    assert not UserSession.objects.filter(user=users["clerk"]).exists()
    assert not ApiToken.objects.live().filter(user=users["clerk"]).exists()
    old_cookie = Client()
    old_cookie.cookies[settings.SESSION_COOKIE_NAME] = key
    assert old_cookie.get("/").status_code == 302
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    # Re-enabling does not bring anything back.
    users["clerk"].is_active = True
    users["clerk"].save(update_fields=["is_active"])
    assert old_cookie.get("/").status_code == 302


def test_disabling_in_the_admin_ends_sessions(signed_in, demo_org):
    users, _units = demo_org
    admin = Client()
    admin.force_login(users["admin"])
    clerk = users["clerk"]
    response = admin.post(
        f"/admin/accounts/user/{clerk.pk}/change/",
        {
            "username": clerk.username,
            "name": clerk.name,
            "unit": clerk.unit_id,
            "email": "",
            "roles-TOTAL_FORMS": "0",
            "roles-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    clerk.refresh_from_db()
    assert not clerk.is_active
    assert not UserSession.objects.filter(user=clerk).exists()
    assert signed_in.get("/").status_code == 302


def test_other_users_sessions_are_untouched(signed_in, demo_org):
    users, _units = demo_org
    disable_user(user=users["clerk2"])
    assert signed_in.get("/").status_code == 200


def test_admin_login_goes_through_the_site_sign_in(db):
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_sign_in_with_the_demo_password_still_works(demo_org):
    assert sign_in(Client(), "secgen", PASSWORD)["Location"] == "/"
