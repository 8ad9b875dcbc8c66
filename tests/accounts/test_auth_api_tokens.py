"""API tokens: revocation by their holder with DELETE /api/v1/auth/token (AU-5 for the API)."""

from __future__ import annotations

import pytest
from django.contrib.auth.signals import user_logged_out
from django.test import Client

from xinfang.accounts.models import ApiToken

from .conftest import PASSWORD


@pytest.fixture
def raw_token(demo_org):
    response = Client().post(
        "/api/v1/auth/token", {"username": "clerk", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200
    return response.json()["token"]


def bearer(raw):
    return {"Authorization": f"Bearer {raw}"}


def test_delete_revokes_the_presenting_token(raw_token, demo_org, collected):
    users, _units = demo_org
    signed_out = collected(user_logged_out)
    _other, other_raw = ApiToken.issue(users["clerk"])
    client = Client()
    response = client.delete("/api/v1/auth/token", headers=bearer(raw_token))
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(raw_token)).status_code == 401
    assert client.delete("/api/v1/auth/token", headers=bearer(raw_token)).status_code == 401
    # Only that token: the user's other token still works.
    assert client.get("/api/v1/me", headers=bearer(other_raw)).status_code == 200
    assert [entry["user"].username for entry in signed_out] == ["clerk"]


def test_delete_without_a_token_is_401(demo_org):
    response = Client().delete("/api/v1/auth/token")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_session_cannot_revoke_tokens(demo_org, raw_token):
    users, _units = demo_org
    client = Client()
    client.force_login(users["clerk"])
    assert client.delete("/api/v1/auth/token").status_code == 401
    assert ApiToken.objects.live().count() == 1


def test_a_stale_bearer_header_does_not_stop_a_new_sign_in(demo_org):
    response = Client().post(
        "/api/v1/auth/token",
        {"username": "clerk", "password": PASSWORD},
        content_type="application/json",
        headers=bearer("revoked-or-garbage"),
    )
    assert response.status_code == 200


def test_the_schema_documents_revocation(db):
    import json

    document = json.loads(Client().get("/api/v1/schema/", {"format": "json"}).content)
    operations = document["paths"]["/api/v1/auth/token"]
    assert {"post", "delete"} <= operations.keys()
    assert "204" in operations["delete"]["responses"]
