"""Web hardening (DP-3): CSP without inline scripts, nosniff, framing refused,
no-store on everything a signed-in person sees, HSTS behind HTTPS."""

import re

import pytest
from django.test import Client

from xinfang.accounts.models import ApiToken


@pytest.fixture
def clerk(client, demo_org):
    client.force_login(demo_org[0]["clerk"])
    return client


@pytest.mark.parametrize("path", ["/", "/petitions/", "/petitions/new/", "/accounts/login/"])
def test_pages_carry_the_policy(client, demo_org, path):
    client.force_login(demo_org[0]["clerk"])
    response = client.get(path, follow=True)
    policy = response["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "path", ["/", "/petitions/", "/petitions/new/", "/admin/login/", "/api/v1/schema/ui/"]
)
def test_no_inline_script_anywhere(clerk, path):
    html = clerk.get(path, follow=True).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"


def test_api_answers_are_not_cached(demo_org):
    token = ApiToken.issue(demo_org[0]["clerk"])[1]
    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response["Cache-Control"] == "no-store"


def test_hsts_and_secure_cookies_behind_https(settings, demo_org):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_SSL_REDIRECT = False
    response = Client().get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
