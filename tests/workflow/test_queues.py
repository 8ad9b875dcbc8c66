"""Work queues per role, the queue API, notifications API and the workflow diagram."""

from django.core.management import call_command

from tests.workflow.conftest import PASSWORD
from xinfang.accounts.models import ApiToken
from xinfang.audit.services import Context
from xinfang.petitions.actions import perform
from xinfang.petitions.queues import queues_for


def counts(user):
    return {q.name: q.count for q in queues_for(user)}


def test_each_role_sees_its_queue(drive, demo_org):
    users, units = demo_org
    drive("registered")
    drive("proposed")
    drive("instructed")
    drive("assigned")
    drive("confirmed")
    important = drive("registered")
    perform(Context(actor=users["clerk"]), important, "propose", {"opinion": "重要", "important": True})
    submitted = drive("result_submitted")
    drive("replied", channel="superior")
    clerk = counts(users["clerk"])
    assert clerk["to_propose"] == 1 and clerk["to_assign"] == 1 and clerk["to_reply"] == 1
    assert clerk["to_report"] == 1 and clerk["to_close"] == 0
    assert counts(users["secgen"])["to_instruct"] == 2
    assert counts(users["chair"])["to_instruct_important"] == 1
    assert counts(users["deputy"])["to_sign"] == 1  # leader in charge of the housing bureau
    assert counts(users["secgen"])["to_sign"] == 0
    housing = counts(users["housing"])
    assert housing["to_sign"] == 1 and housing["assigned_to_my_unit"] == 1
    perform(Context(actor=users["housing"]), submitted, "sign_off", {"password": PASSWORD})
    assert counts(users["housing"])["to_sign"] == 0
    assert counts(users["deputy"])["to_sign"] == 1
    assert counts(users["labour"])["assigned_to_my_unit"] == 1  # the assisting unit still owes its note
    assert counts(users["police"])["assigned_to_my_unit"] == 0
    assert counts(users["auditor"]) == {} and counts(users["admin"]) == {}


def test_queue_and_notification_api(drive, demo_org, client, django_capture_on_commit_callbacks):
    users, _units = demo_org
    with django_capture_on_commit_callbacks(execute=True):
        petition = drive("proposed")
    _token, raw = ApiToken.issue(users["secgen"])
    auth = {"Authorization": f"Bearer {raw}"}
    queues = client.get("/api/v1/queues", headers=auth).json()
    to_instruct = next(q for q in queues if q["name"] == "to_instruct")
    assert to_instruct["count"] == 1 and to_instruct["results"][0]["number"] == petition.number
    assert client.get("/api/v1/queues?limit=x", headers=auth).status_code == 400
    inbox = client.get("/api/v1/notifications?unread=true", headers=auth).json()
    assert inbox["count"] == 1 and inbox["results"][0]["kind"] == "to_instruct"
    assert inbox["results"][0]["petition"] == petition.number
    marked = client.post("/api/v1/notifications/read", {}, content_type="application/json", headers=auth)
    assert marked.json() == {"marked": 1}
    assert client.get("/api/v1/notifications?unread=true", headers=auth).json()["count"] == 0
    bad = client.post(
        "/api/v1/notifications/read", {"ids": ["x"]}, content_type="application/json", headers=auth
    )
    assert bad.status_code == 400


def test_workflow_diagram_is_up_to_date():
    call_command("workflow_diagram", "--check")
