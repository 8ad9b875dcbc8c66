from datetime import timedelta

from django.utils import timezone

from tests.api.conftest import body
from xinfang.petitions.models import Petition

PETITIONS = "/api/v1/petitions"


def test_register_and_read_back(api, demo_org):
    _users, units = demo_org
    clerk = api("clerk")
    response = clerk.post(PETITIONS, body(involved_units=[units["HOUSING"].pk]))
    assert response.status_code == 201, response.content
    created = response.json()
    number = created["number"]
    assert response["Location"] == f"{PETITIONS}/{number}"
    assert created["status"] == "registered"
    assert created["first_responder"] == "clerk"
    assert created["category"] == "urban_construction"
    assert created["involved_units"] == [units["HOUSING"].pk]
    assert created["petitioners"][0]["id_number"] == "11010519491231002X"
    assert {d["name"] for d in created["deadlines"]} == {"handling", "reply"}
    assert all(d["overdue"] is False and d["met_at"] is None for d in created["deadlines"])
    assert created["flags"] == {"repeat_of": [], "group": False, "important": False, "urgent": False}
    assert "attach" in created["allowed_actions"]
    assert clerk.get(f"{PETITIONS}/{number}").json() == created


def test_list_filters_and_paging(api, demo_org):
    clerk = api("clerk")
    for i in range(3):
        clerk.post(PETITIONS, body(title=f"路灯{i}"))
    clerk.post(
        PETITIONS,
        body(
            channel="call",
            title="欠薪",
            category="labour_social_security",
            reception={"notes": "来电反映欠薪"},
        ),
    )
    listing = clerk.get(PETITIONS, page_size=2).json()
    assert listing["count"] == 4 and len(listing["results"]) == 2 and listing["next"]
    assert {p["title"] for p in clerk.get(PETITIONS, channel="call").json()["results"]} == {"欠薪"}
    assert clerk.get(PETITIONS, category="labour_social_security").json()["count"] == 1
    assert clerk.get(PETITIONS, q="欠薪").json()["count"] == 1
    assert clerk.get(PETITIONS, status="registered").json()["count"] == 4
    assert clerk.get(PETITIONS, overdue="true").json()["count"] == 0
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert clerk.get(PETITIONS, received_after=tomorrow).json()["count"] == 0
    assert clerk.get(PETITIONS, received_before=tomorrow).json()["count"] == 4


def test_overdue_filter(api, demo_org):
    clerk = api("clerk")
    old = (timezone.now() - timedelta(days=40)).isoformat()
    number = clerk.post(PETITIONS, body(received_at=old)).json()["number"]
    clerk.post(PETITIONS, body())
    overdue = clerk.get(PETITIONS, overdue="true").json()
    assert [p["number"] for p in overdue["results"]] == [number]
    assert overdue["results"][0]["overdue"] is True
    detail = clerk.get(f"{PETITIONS}/{number}").json()
    assert {d["name"]: d["overdue"] for d in detail["deadlines"]} == {"handling": True, "reply": True}


def test_bad_filters_are_400_problems(api, demo_org):
    clerk = api("clerk")
    for params in (
        {"status": "lost"},
        {"received_after": "2026-13-45"},
        {"page": "x"},
        {"page_size": "500"},
        {"overdue": "perhaps"},
        {"q": "x" * 101},
    ):
        response = clerk.get(PETITIONS, **params)
        assert response.status_code == 400, params
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["errors"]


def test_validation_problem_lists_every_field(api, demo_org):
    response = api("clerk", language="en").post(
        PETITIONS,
        body(title="", category="nope", petitioners=[{"name": "王五", "id_number": "110105194912310021"}]),
    )
    assert response.status_code == 400
    problem = response.json()
    assert problem["status"] == 400 and problem["type"] and problem["title"] and problem["detail"]
    assert set(problem["errors"]) == {"title", "category", "petitioners.0.id_number"}
    assert problem["errors"]["title"] == ["This field is required."]
    assert not Petition.objects.exists()


def test_malformed_json_and_wrong_content_type(api, demo_org):
    clerk = api("clerk")
    response = clerk.client.post(PETITIONS, "{not json", content_type="application/json")
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    response = clerk.client.post(PETITIONS, "title=x", content_type="text/plain")
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    response = clerk.post(PETITIONS, ["a", "list"])
    assert response.status_code == 400
    assert not Petition.objects.exists()


def test_idempotency_key_returns_the_same_petition(api, demo_org):
    clerk = api("clerk")
    payload = body()
    first = clerk.post(PETITIONS, payload, headers={"Idempotency-Key": "abc-123"})
    again = clerk.post(PETITIONS, payload, headers={"Idempotency-Key": "abc-123"})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["number"] == again.json()["number"]
    assert Petition.objects.count() == 1
    other = clerk.post(PETITIONS, body(title="别的事"), headers={"Idempotency-Key": "abc-123"})
    assert other.status_code == 422
    assert clerk.post(PETITIONS, payload, headers={"Idempotency-Key": "bad key\x7f"}).status_code == 400
    # Keys belong to their user: another clerk's same key is a new petition.
    assert (
        api("clerk2").post(PETITIONS, payload, headers={"Idempotency-Key": "abc-123"}).json()["number"]
        != (first.json()["number"])
    )


def test_patch_while_registered(api, demo_org):
    _users, units = demo_org
    clerk = api("clerk")
    number = clerk.post(PETITIONS, body()).json()["number"]
    response = clerk.patch(
        f"{PETITIONS}/{number}", {"title": "路灯长期损坏", "involved_units": [units["LABOUR"].pk]}
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "路灯长期损坏"
    assert response.json()["involved_units"] == [units["LABOUR"].pk]
    events = clerk.get(f"{PETITIONS}/{number}/events").json()
    assert [e["action"] for e in events] == ["petition.registered", "petition.corrected"]
    assert events[1]["actor"] == "clerk" and len(events[1]["hash"]) == 64
    bad = clerk.patch(f"{PETITIONS}/{number}", {"status": "closed", "number": "XF-1"})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"status", "number"}
    Petition.objects.filter(number=number).update(status="proposed")
    conflict = clerk.patch(f"{PETITIONS}/{number}", {"title": "再改"})
    assert conflict.status_code == 409 and conflict["Content-Type"] == "application/problem+json"


def test_delete_is_never_allowed(api, demo_org):
    clerk = api("clerk")
    number = clerk.post(PETITIONS, body()).json()["number"]
    response = clerk.delete(f"{PETITIONS}/{number}")
    assert response.status_code == 405 and response["Content-Type"] == "application/problem+json"
    assert Petition.objects.filter(number=number).exists()


def test_hidden_and_missing_look_the_same(api, demo_org):
    _users, units = demo_org
    number = api("clerk").post(PETITIONS, body(involved_units=[units["SECGEN"].pk])).json()["number"]
    secgen = api("secgen")
    hidden = secgen.get(f"{PETITIONS}/{number}")
    missing = secgen.get(f"{PETITIONS}/XF-1999-999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    for path in (f"{PETITIONS}/{number}/events", f"{PETITIONS}/{number}/attachments/1"):
        assert secgen.get(path).json() == missing.json()
    assert secgen.patch(f"{PETITIONS}/{number}", {"title": "x"}).status_code == 404
    assert secgen.get(PETITIONS).json()["count"] == 0


def test_handlers_and_admins_cannot_register_or_read(api, demo_org):
    number = api("clerk").post(PETITIONS, body()).json()["number"]
    for name in ("housing", "admin", "auditor"):
        client = api(name)
        assert client.post(PETITIONS, body()).status_code == 403
        assert client.get(f"{PETITIONS}/{number}").status_code == 404
        assert client.get(PETITIONS).json()["count"] == 0
    assert Petition.objects.count() == 1


def test_unauthenticated_is_401(client, demo_org):
    response = client.get(PETITIONS)
    assert response.status_code == 401 and response["Content-Type"] == "application/problem+json"
    assert client.post(PETITIONS, body(), content_type="application/json").status_code == 401


def test_errors_in_chinese_by_default(api, demo_org):
    response = api("clerk").post(PETITIONS, body(title=""))
    assert response["Content-Language"] == "zh-hans"
    english = api("clerk", language="en").post(PETITIONS, body(title=""))
    assert english["Content-Language"] == "en"


def test_a_received_time_cannot_be_corrected_under_an_approved_extension(api, demo_org):
    """The clocks of a registration are restarted when its received time is corrected. Once a
    leader has extended or paused one of them, that approval stands on the old clock: the
    correction is refused with a 409 in the user's language and nothing changes (it was a 500,
    the restart deleting a clock its change record protects)."""
    from xinfang.audit.services import Context
    from xinfang.deadlines.services import extend_deadline, pause_deadline
    from xinfang.petitions.models import Deadline

    users, _units = demo_org
    clerk = api("clerk", "zh-hans")
    for approve in (
        lambda p: extend_deadline(
            ctx=Context(actor=users["secgen"]), petition=p, name="handling", days=5, reason="核实需时"
        ),
        lambda p: pause_deadline(
            ctx=Context(actor=users["secgen"]), petition=p, name="handling", reason="等待鉴定"
        ),
    ):
        number = clerk.post(PETITIONS, body()).json()["number"]
        petition = Petition.objects.get(number=number)
        approve(petition)
        clocks = sorted(
            Deadline.objects.filter(petition=petition).values_list("pk", "name", "due_at", "paused_at")
        )
        received = petition.received_at
        response = clerk.patch(
            f"{PETITIONS}/{number}", {"received_at": (received - timedelta(days=1)).isoformat()}
        )
        assert response.status_code == 409, response.content
        assert "延长" in response.json()["detail"]
        petition.refresh_from_db()
        assert petition.received_at == received
        assert (
            sorted(
                Deadline.objects.filter(petition=petition).values_list("pk", "name", "due_at", "paused_at")
            )
            == clocks
        )
        events = clerk.get(f"{PETITIONS}/{number}/events").json()
        assert "petition.corrected" not in [e["action"] for e in events]
        # Other fields can still be corrected.
        assert clerk.patch(f"{PETITIONS}/{number}", {"title": "路灯长期损坏"}).status_code == 200
