"""The OpenAPI document says what the API really does (issue 8, "integrators").

Expectations written out here from API.md, not read from the code that builds the
document: each error status with its problem+json body, the limits the views check,
each action's own body, and only the methods that can succeed."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import body
from xinfang.notifications.models import Notification

PETITIONS = "/api/v1/petitions"
PROBLEM = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture
def document(db):
    response = Client().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method in ("get", "post", "patch", "put", "delete"):
                yield path, method, operation


def test_every_operation_declares_its_errors_as_problem_json(document):
    expected = {
        "get": {"400", "401", "403", "404", "429"},
        "post": {"400", "401", "403", "404", "409", "413", "429"},
        "patch": {"400", "401", "403", "404", "409", "413", "429"},
        "put": {"400", "401", "403", "404", "409", "413", "429"},  # a document master's upload
        "delete": {"401", "403", "404", "405", "429"},
    }
    for path, method, operation in _operations(document):
        codes = (
            {"400", "401", "429"} if path == "/api/v1/auth/token" and method == "post" else expected[method]
        )
        for code in codes:
            response = operation["responses"].get(code)
            assert response, (path, method, code)
            assert response["content"]["application/problem+json"]["schema"] == PROBLEM
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}


def _parameter(document, path, method, name):
    return next(p for p in document["paths"][path][method]["parameters"] if p["name"] == name)


@pytest.mark.parametrize(
    "path", [PETITIONS, "/api/v1/notifications", "/api/v1/deadlines", "/api/v1/audit/events"]
)
def test_pagination_limits_are_declared(document, path):
    size = _parameter(document, path, "get", "page_size")["schema"]
    assert (size["type"], size["minimum"], size["maximum"]) == ("integer", 1, 200)
    page = _parameter(document, path, "get", "page")["schema"]
    assert (page["type"], page["minimum"]) == ("integer", 1)


def test_ids_are_declared_from_one(document):
    for path, name in (
        ("/api/v1/petitions/{number}/attachments/{attachment_id}", "attachment_id"),
        ("/api/v1/petitions/{number}/supervisions/{supervision_id}/response", "supervision_id"),
    ):
        method = "get" if "attachment_id" in path else "post"
        schema = _parameter(document, path, method, name)["schema"]
        assert schema["type"] == "integer" and schema["minimum"] == 1
    read = document["paths"]["/api/v1/notifications/read"]["post"]["requestBody"]["content"][
        "application/json"
    ]
    assert read["schema"]["properties"]["ids"]["items"]["minimum"] == 1


def _body_schema(document, action):
    operation = document["paths"][f"/api/v1/petitions/{{number}}/actions/{action}"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


# What API.md's action table says each body holds (required fields first).
ACTION_BODIES = {
    "propose": ({"opinion"}, {"opinion", "important"}),
    "instruct": ({"instruction"}, {"instruction"}),
    "assign": ({"assignments"}, {"assignments"}),
    "submit_result": ({"findings", "result"}, {"findings", "result"}),
    "sign_off": ({"password"}, {"password"}),
    "send_back": ({"reason"}, {"reason"}),
    "reply": ({"method", "content"}, {"method", "content", "replied_at"}),
    "report": ({"report"}, {"report"}),
    "close": ({"outcome"}, {"outcome"}),
    "archive": ({"archive_number"}, {"archive_number"}),
    "flag_urgent": ({"reason"}, {"reason", "notify_units"}),
    "coordinate": ({"lead_unit", "note"}, {"lead_unit", "units", "note"}),
    "record_persuasion": ({"notes"}, {"notes"}),
    "refer_to_police": ({"reason"}, {"reason", "unit"}),
}


@pytest.mark.parametrize("action", sorted(ACTION_BODIES))
def test_each_action_documents_its_own_body(document, action):
    required, properties = ACTION_BODIES[action]
    schema = _body_schema(document, action)
    assert set(schema.get("required", [])) == required
    assert set(schema["properties"]) == properties


def test_an_assignment_row_is_described(document):
    schema = _body_schema(document, "assign")["properties"]["assignments"]
    assert schema["type"] == "array" and schema["minItems"] == 1
    row = document["components"]["schemas"][schema["items"]["$ref"].rsplit("/", 1)[1]]
    assert set(row["required"]) == {"unit", "role"}
    assert row["properties"]["unit"]["minimum"] == 1


def test_options_and_allow_list_only_methods_that_can_succeed(api, demo_org):
    clerk = api("clerk")
    number = clerk.post(PETITIONS, body()).json()["number"]
    answer = clerk.client.options(f"{PETITIONS}/{number}")
    allowed = {m.strip() for m in answer["Allow"].split(",")}
    assert allowed == {"GET", "PATCH", "HEAD", "OPTIONS"}
    # DELETE is still refused with the reason (API.md), without being advertised.
    refused = clerk.delete(f"{PETITIONS}/{number}")
    assert refused.status_code == 405 and refused["Content-Type"] == "application/problem+json"
    assert "PUT" not in refused["Allow"] and "DELETE" not in refused["Allow"]
    assert clerk.client.put(f"{PETITIONS}/{number}", {}, content_type="application/json").status_code == 405


def _notifications(users, n=2):
    from xinfang.petitions.models import Petition

    petition = Petition.objects.first()
    return [
        Notification.objects.create(recipient=users["clerk"], petition=petition, kind="to_reply")
        for _ in range(n)
    ]


@pytest.mark.parametrize("ids", [None, "1", 1, {"a": 1}, [True], ["1"]], ids=repr)
def test_marking_read_refuses_anything_but_a_list_of_ids(api, demo_org, ids):
    users, _units = demo_org
    clerk = api("clerk")
    clerk.post(PETITIONS, body())
    _notifications(users)
    response = clerk.post("/api/v1/notifications/read", {"ids": ids})
    assert response.status_code == 400 and "ids" in response.json()["errors"]
    assert Notification.objects.filter(recipient=users["clerk"], read_at__isnull=False).count() == 0
    # Without "ids" every notification is marked, as documented.
    assert clerk.post("/api/v1/notifications/read", {}).json() == {"marked": 2}


def test_unread_filter_refuses_values_that_mean_nothing(api, demo_org):
    clerk = api("clerk")
    assert clerk.get("/api/v1/notifications", unread="null").status_code == 400
    assert clerk.get("/api/v1/notifications", unread="true").status_code == 200


def test_registration_declares_the_idempotency_conflict(document):
    response = document["paths"][PETITIONS]["post"]["responses"]["422"]
    assert response["content"]["application/problem+json"]["schema"] == PROBLEM


def test_form_bodies_are_refused_where_json_is_documented(api, demo_org):
    clerk = api("clerk")
    response = clerk.client.post(PETITIONS, {"title": "x"})  # multipart, as a form would send it
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
