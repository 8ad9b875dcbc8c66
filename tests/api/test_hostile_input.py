"""Hostile input refused cleanly (issue 8, items 6 and 8): deeply nested JSON is a 400
before anything else runs, and one-line fields refuse control and direction-changing
characters with a message naming the field. Nothing is changed by a refused request."""

import json

import pytest

from tests.api.conftest import body
from xinfang.petitions.models import Petition

# One JSON endpoint of each kind: sign-in, registration, an action, notifications, audit read.
JSON_ENDPOINTS = [
    "/api/v1/auth/token",
    "/api/v1/petitions",
    "/api/v1/petitions/{number}/actions/propose",
    "/api/v1/notifications/read",
]


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_a_400(api, path, depth):
    number = api("clerk").post("/api/v1/petitions", body()).json()["number"]
    before = list(Petition.objects.values_list("pk", "status"))
    raw = "[" * depth + "]" * depth
    client = api("clerk").client
    response = client.post(path.format(number=number), raw, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert response["Content-Type"] == "application/problem+json"
    assert "32" in response.json()["detail"]
    assert list(Petition.objects.values_list("pk", "status")) == before


def test_nesting_within_the_limit_still_reaches_validation(api):
    # 30 levels parse; the registration check then refuses the value as a field error.
    nested = json.loads("[" * 30 + "]" * 30)
    response = api("clerk").post("/api/v1/petitions", body(title=nested))
    assert response.status_code == 400
    assert "title" in response.json()["errors"]


@pytest.mark.parametrize("language,words", [("zh-hans", "嵌套过深"), ("en", "nested too deeply")])
def test_the_nesting_message_is_in_the_users_language(api, language, words):
    raw = "{" + '"a":{' * 50 + "}" * 51
    response = api("clerk").client.post(
        "/api/v1/petitions", raw, content_type="application/json", headers={"Accept-Language": language}
    )
    assert response.status_code == 400
    assert words in response.json()["detail"]


HOSTILE = {
    "bidi override": "abc\u202egpj.exe",
    "right-to-left isolate": "王\u2067五",
    "line break": "王五\n伪造的第二行",
    "carriage return": "王五\r张三",
    "escape": "王五\x1b[2J",
    "tab": "王\t五",
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize(
    "field,build",
    [
        ("title", lambda t: {"title": t}),
        ("petitioners.0.name", lambda t: {"petitioners": [{"name": t, "phone": "13800138000"}]}),
        ("petitioners.0.address", lambda t: {"petitioners": [{"name": "王五", "address": t}]}),
        ("petitioners.0.work_unit", lambda t: {"petitioners": [{"name": "王五", "work_unit": t}]}),
        ("involved_persons.0.name", lambda t: {"involved_persons": [{"name": t}]}),
    ],
)
def test_one_line_fields_refuse_control_and_bidi_characters(api, field, build, text):
    before = Petition.objects.count()
    response = api("clerk").post("/api/v1/petitions", body(**build(text)))
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["errors"]) == [field]
    assert Petition.objects.count() == before


def test_the_same_fields_accept_ordinary_chinese_and_the_content_keeps_its_lines(api):
    response = api("clerk").post(
        "/api/v1/petitions",
        body(
            title="关于（阳光）小区·路灯 — 损坏",
            petitioners=[{"name": "欧阳·娜娜", "address": "通川区朝阳路1号 3-2", "work_unit": "某某公司"}],
            content="第一行\n第二行\t缩进",
        ),
    )
    assert response.status_code == 201, response.content[:300]
