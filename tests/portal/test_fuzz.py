"""No input gives a 500 on the public side (issue 13, "Bad input"): random form fields and
random JSON bodies answer 200, 400, 404 or 429, and a refused form stores nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.portal.conftest import solved_captcha
from xinfang.portal.models import Submission

pytestmark = pytest.mark.django_db

texts = st.text(max_size=60) | st.sampled_from(["", "<script>", "11010519491231002X", "13800138000", "\x00"])
values = texts | st.integers().map(str)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fields=st.dictionaries(
        st.sampled_from(
            [
                "name",
                "id_number",
                "phone",
                "address",
                "title",
                "content",
                "requests",
                "category",
                "anonymous",
                "consent",
            ]
        ),
        values,
    )
)
def test_random_forms_never_fail(demo_org, fields):
    before = Submission.objects.count()
    response = Client(REMOTE_ADDR="192.0.2.50").post("/portal/submit", {**fields, **solved_captcha()})
    assert response.status_code in (200, 400, 429)
    if response.status_code != 200:
        assert Submission.objects.count() == before


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.dictionaries(st.sampled_from(["query_code", "secret", "rating", "comment"]), json_values)
    | json_values,
    path=st.sampled_from(["/api/v1/portal/status", "/api/v1/portal/rating"]),
)
def test_random_json_never_fails(demo_org, body, path):
    response = Client(REMOTE_ADDR="192.0.2.51").post(path, body, content_type="application/json")
    assert response.status_code in (400, 404, 429), response.content


def test_nul_bytes_are_refused_before_the_database(demo_org, api, submission):
    """PostgreSQL refuses NUL in any text it compares: each door says so as an input error."""
    client = Client(REMOTE_ADDR="192.0.2.52")
    response = client.post("/portal/submit", {"category": "a\x00b", **solved_captcha()})
    assert response.status_code == 400
    response = client.post("/portal/submit", {"captcha_key": "a\x00", "captcha": "x\x00"})
    assert response.status_code == 400
    body = {"query_code": "WS\x00", "secret": "\x00"}
    assert client.post("/api/v1/portal/status", body, content_type="application/json").status_code == 404
    sub, _ = submission()
    clerk = api("clerk")
    assert clerk.post(f"/api/v1/intake/{sub.pk}/accept", {"category": "x\x00"}).status_code == 400
    assert clerk.post(f"/api/v1/intake/{sub.pk}/link", {"number": "XF\x00"}).status_code == 400
    assert clerk.post(f"/api/v1/intake/{sub.pk}/decline", {"reason": "a\x00"}).status_code == 400
