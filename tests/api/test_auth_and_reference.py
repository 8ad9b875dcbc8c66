"""API.md: tokens, who am I, units, categories, the OpenAPI document, errors."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from xinfang.accounts.models import ApiToken, UnitKind
from xinfang.petitions.categories import SEED_CATEGORIES

PASSWORD = "demo-pass-2026"
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    # The token endpoint is throttled per client address; every test starts afresh.
    cache.clear()
    yield
    cache.clear()


def post_json(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def issue(client, username="clerk", password=PASSWORD):
    return post_json(client, "/api/v1/auth/token", {"username": username, "password": password})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def clerk_token(client, demo_org):
    response = issue(client)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


# --- POST /api/v1/auth/token ---------------------------------------------------------


def test_good_credentials_give_a_token_that_expires(client, demo_org):
    before = timezone.now()
    response = issue(client)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    assert len(body["token"]) >= 32
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert expires_at.tzinfo is not None
    assert before < expires_at <= timezone.now() + timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def test_only_the_hash_of_a_token_is_stored(client, demo_org):
    token = issue(client).json()["token"]
    stored = ApiToken.objects.get(user__username="clerk")
    assert token not in stored.key_hash
    assert ApiToken.find_live(token) == stored


def test_wrong_password_and_unknown_user_get_the_same_answer(client, demo_org):
    wrong_password = issue(client, "clerk", "not-the-password")
    unknown_user = issue(client, "nobody", PASSWORD)
    body = assert_problem(wrong_password, 401)
    assert_problem(unknown_user, 401)
    assert body == unknown_user.json(), "the answer must not reveal which usernames exist"
    assert "token" not in body


def test_inactive_user_gets_no_token(client, demo_org):
    users, _units = demo_org
    users["labour"].is_active = False
    users["labour"].save(update_fields=["is_active"])
    assert_problem(issue(client, "labour"), 401)


def test_missing_fields_are_named(client, demo_org):
    body = assert_problem(post_json(client, "/api/v1/auth/token", {}), 400)
    assert set(body["errors"]) == {"username", "password"}
    assert all(isinstance(messages, list) and messages for messages in body["errors"].values())


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"[1, 2]", b'"clerk"', b'{"username": ["clerk"], "password": 1}'],
)
def test_malformed_token_requests_are_400(client, demo_org, raw):
    response = client.post("/api/v1/auth/token", raw, content_type="application/json")
    assert_problem(response, 400)


def test_token_endpoint_only_accepts_post(client, db):
    assert_problem(client.get("/api/v1/auth/token"), 405)


# --- Bearer authentication -------------------------------------------------------------


def test_bearer_token_authenticates(client, clerk_token):
    response = client.get("/api/v1/me", headers=bearer(clerk_token))
    assert response.status_code == 200
    assert response.json()["username"] == "clerk"


def test_expired_token_is_refused(client, clerk_token):
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    body = assert_problem(client.get("/api/v1/me", headers=bearer(clerk_token)), 401)
    assert "username" not in body


def test_revoked_token_is_refused(client, clerk_token):
    ApiToken.objects.update(revoked_at=timezone.now())
    assert_problem(client.get("/api/v1/me", headers=bearer(clerk_token)), 401)


@pytest.mark.parametrize("change", ["expires_at", "revoked_at"])
def test_a_token_that_worked_is_refused_once_expired_or_revoked(client, clerk_token, change):
    # The look-up's queryset is built once per process: the clock must be read per request.
    assert client.get("/api/v1/me", headers=bearer(clerk_token)).status_code == 200
    past = timezone.now() - timedelta(seconds=1)
    ApiToken.objects.update(**{change: past})
    assert_problem(client.get("/api/v1/me", headers=bearer(clerk_token)), 401)
    if change == "expires_at":
        ApiToken.objects.update(expires_at=timezone.now() + timedelta(seconds=5))
        assert client.get("/api/v1/me", headers=bearer(clerk_token)).status_code == 200


def test_token_of_a_deactivated_user_is_refused(client, demo_org, clerk_token):
    users, _units = demo_org
    users["clerk"].is_active = False
    users["clerk"].save(update_fields=["is_active"])
    assert_problem(client.get("/api/v1/me", headers=bearer(clerk_token)), 401)


@pytest.mark.parametrize(
    "header",
    # A WSGI server hands over header bytes as latin-1 text; UTF-8 arrives like the last one.
    ["Bearer", "Bearer not-a-token", "Bearer two words", "Bearer 令牌".encode().decode("latin-1")],
)
def test_bad_bearer_headers_are_401(client, db, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == "Bearer"


def test_unauthenticated_petition_list_is_401(client, db):
    response = client.get("/api/v1/petitions")
    body = assert_problem(response, 401)
    assert response["WWW-Authenticate"] == "Bearer"
    assert "results" not in body


def test_session_login_works_for_the_api(client, demo_org):
    users, _units = demo_org
    client.force_login(users["secgen"])
    assert client.get("/api/v1/me").json()["username"] == "secgen"


# --- GET /api/v1/me, /units, /categories -----------------------------------------------


def test_me_has_the_shape_of_api_md(client, demo_org, clerk_token):
    _users, units = demo_org
    body = client.get("/api/v1/me", headers=bearer(clerk_token)).json()
    assert body == {
        "username": "clerk",
        "name": "张丽",
        "unit": {"id": units["GENERAL"].pk, "name": "办公室综合科"},
        "roles": ["clerk"],
    }


def test_me_for_a_leader(client, demo_org):
    token = issue(client, "deputy").json()["token"]
    body = client.get("/api/v1/me", headers=bearer(token)).json()
    assert body["roles"] == ["deputy_secretary_general"]
    assert body["unit"]["name"] == "副秘书长"


def test_units_list_per_api_md(client, demo_org, clerk_token):
    _users, units = demo_org
    response = client.get("/api/v1/units", headers=bearer(clerk_token))
    assert response.status_code == 200
    listed = response.json()
    assert isinstance(listed, list)
    assert all(set(unit) == {"id", "code", "name", "kind", "parent"} for unit in listed)
    by_code = {unit["code"]: unit for unit in listed}
    assert set(by_code) == set(units)
    assert {unit["kind"] for unit in listed} <= set(UnitKind.values)
    assert by_code["GENERAL"]["kind"] == "petition_office"
    assert by_code["SECGEN"]["kind"] == "leadership"
    assert by_code["HOUSING"]["kind"] == "department"
    assert by_code["POLICE"]["kind"] == "public_security"
    assert by_code["SUPERIOR"]["kind"] == "superior"
    assert by_code["GENERAL"]["parent"] == units["OFFICE"].pk
    assert by_code["HOUSING"]["parent"] is None


def test_inactive_units_are_not_listed(client, demo_org, clerk_token):
    _users, units = demo_org
    units["LABOUR"].active = False
    units["LABOUR"].save()
    codes = {unit["code"] for unit in client.get("/api/v1/units", headers=bearer(clerk_token)).json()}
    assert "LABOUR" not in codes
    assert "HOUSING" in codes


def test_categories_list(client, clerk_token):
    response = client.get("/api/v1/categories", headers=bearer(clerk_token))
    assert response.status_code == 200
    listed = response.json()
    assert [c["code"] for c in listed] == [code for code, _zh, _en in SEED_CATEGORIES]
    first = listed[0]
    assert first == {
        "code": "urban_construction",
        "name": "城乡建设",
        "name_en": "Urban and rural construction",
    }


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/units", "/api/v1/categories"])
def test_reference_endpoints_need_authentication(client, db, path):
    assert_problem(client.get(path), 401)


# --- The OpenAPI document and its UI ---------------------------------------------------


def test_schema_is_served_as_yaml_by_default(client, db):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith("openapi: 3.")
    assert "/api/v1/petitions:" in text


def test_schema_as_json_lists_the_contract(client, db):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in (
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/units",
        "/api/v1/categories",
        "/api/v1/petitions",
        "/api/v1/petitions/{number}",
        "/api/v1/petitions/{number}/events",
    ):
        assert path in paths, path
    assert "post" in paths["/api/v1/petitions"]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_schema_ui_uses_no_outside_host(client, db):
    response = client.get("/api/v1/schema/ui/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    # Government intranets have no internet: every asset comes from this server.
    urls = re.findall(r"""(?:https?:)?//[^\s"'<>)]+""", html)
    outside = [url for url in urls if not re.match(r"(?:https?:)?//testserver(?:[:/]|$)", url)]
    assert outside == []
    scripts = re.findall(r"""<script[^>]*\bsrc=["']([^"']+)""", html)
    assert scripts, "the Swagger UI bundle must be loaded from a static file"
    for src in scripts:
        assert src.startswith("/"), src
        assert client.get(src).status_code == 200, src


# --- Languages of error messages -------------------------------------------------------


def test_errors_are_chinese_by_default_and_english_on_request(client, db):
    default = client.get("/api/v1/petitions")
    english = client.get("/api/v1/petitions", headers={"Accept-Language": "en"})
    assert default["Content-Language"] == "zh-hans"
    assert english["Content-Language"] == "en"
    assert_problem(default, 401)
    body = assert_problem(english, 401)
    assert body["title"] == "Not authenticated"


def test_validation_errors_follow_accept_language(client, db):
    response = post_json(client, "/api/v1/auth/token", {}, **{"Accept-Language": "en"})
    body = assert_problem(response, 400)
    assert response["Content-Language"] == "en"
    assert body["errors"]["username"] == ["This field is required."]
