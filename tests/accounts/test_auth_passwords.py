"""Password rules of 等级保护 level 3: length, three of four kinds of character, no reuse of
the last five, and a maximum age after which the password must be changed (AU-1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from xinfang.accounts.models import PasswordHistory
from xinfang.accounts.passwords import character_classes

from .conftest import PASSWORD, sign_in


def codes(password, user=None) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return {e.code for e in error.error_list}
    return set()


@pytest.mark.parametrize(
    ("password", "classes"),
    [("abcdefgh", 1), ("abcd1234", 2), ("Abcd1234", 3), ("abcd-1234", 3), ("Ab1-", 4), ("信访Ab12", 4)],
)
def test_character_classes_are_counted(password, classes):
    assert character_classes(password) == classes


@pytest.mark.parametrize("password", ["wxyzabcdef", "wxyzabcd1234", "WXYZABCD1234", "wxyz-abcd-"])
def test_two_kinds_of_character_are_not_enough(db, password):
    assert "password_too_simple" in codes(password)


@pytest.mark.parametrize("password", ["Wxyz1234abc", "wxyz-1234-abc", "WXYZ-1234-ABC", PASSWORD])
def test_three_kinds_are_enough(db, password):
    assert codes(password) == set()


def test_short_passwords_are_refused(db):
    assert "password_too_short" in codes("Ab1-xyz")


def test_messages_say_what_is_needed_in_english(db, settings):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validate_password("wxyzabcdef")
    assert any("at least 3 of these four kinds" in m for m in refused.value.messages)


def test_the_last_five_passwords_cannot_be_reused(demo_org):
    users, _units = demo_org
    user = users["clerk"]
    passwords = [f"Wxyz-{n}-abc" for n in range(6)]
    for password in passwords:
        validate_password(password, user)
        user.set_password(password)
        user.save()
    # The current one and the four before it are remembered; the oldest has been forgotten.
    for password in passwords[1:]:
        assert codes(password, user) == {"password_reused"}, password
    assert codes(passwords[0], user) == set()
    assert PasswordHistory.objects.filter(user=user).count() == 5


def test_history_works_whatever_the_hasher(demo_org, settings):
    users, _units = demo_org
    user = users["clerk"]
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    # The demo password was hashed with MD5 (tests/settings.py): still recognised.
    assert codes(PASSWORD, user) == {"password_reused"}
    user.set_password("Wxyz-new-1")
    user.save()
    assert codes("Wxyz-new-1", user) == {"password_reused"}


def test_the_change_password_page_applies_the_rules(demo_org):
    client = Client()
    sign_in(client)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert response.status_code == 200
    assert "_auth_user_id" in client.session
    new = "Wxyz-2026-new"
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200, "changing the password keeps this session"


@pytest.fixture
def old_password(demo_org, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    users, _units = demo_org
    PasswordHistory.objects.filter(user=users["clerk"]).update(created_at=timezone.now() - timedelta(days=91))
    return users["clerk"]


def test_an_expired_password_must_be_changed_before_anything_else(old_password):
    client = Client()
    response = sign_in(client)
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    assert client.get("/").status_code == 302
    assert client.get("/petitions/")["Location"] == "/accounts/password/"
    assert client.get("/api/v1/me").status_code == 403
    new = "Wxyz-2026-new"
    client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200


def test_an_expired_password_gets_no_api_token(old_password, client):
    response = client.post(
        "/api/v1/auth/token", {"username": "clerk", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 401


def test_no_expiry_when_the_maximum_age_is_off(old_password, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 0  # off, as in demo mode
    response = sign_in(Client())
    assert response["Location"] == "/"
