"""Tests generated from the workflow table itself: every allowed transition works
for the right person, every other person is refused, and every action a state
does not list is refused with 409. A new row in the table gets its tests here
(and fails until it has a recipe below)."""

import pytest

from tests.workflow.conftest import PASSWORD
from xinfang.accounts.models import ApiToken
from xinfang.audit.services import Context
from xinfang.core.errors import Conflict
from xinfang.petitions.actions import perform
from xinfang.petitions.actors import Facts, matches
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Petition
from xinfang.petitions.workflow import ACTIONS, TRANSITIONS

PERSONAS = ["clerk", "clerk2", "secgen", "chair", "deputy", "housing", "labour", "police", "auditor", "admin"]
STATES = [s.value for s in Status if s != Status.MERGED] + ["merged"]


def recipe(state, action, units):
    """(channel, actor, body, expected state, setup steps) for one allowed transition."""
    channel, setup, expected = None, [], None
    actor, body = "clerk", {}
    if action == "propose":
        body = {"opinion": "拟转市住建局办理", "important": True}
    elif action == "resolve_on_the_spot":
        channel, body = "visit", {"reply": "当场解释了政策，信访人表示满意", "method": "oral"}
    elif action == "instruct":
        actor, body = "chair", {"instruction": "请认真核实，依法处理。"}
    elif action == "assign":
        body = {
            "assignments": [
                {
                    "unit": units["HOUSING"].pk,
                    "role": "lead",
                    "kind": "transfer",
                    "due_date": "2026-12-31",
                    "share_contact": True,
                }
            ]
        }
    elif action == "investigate":
        body = {"note": "办公室自行调查"}
    elif action == "accept_assignment":
        actor = "housing"
    elif action == "contribute":
        actor, body = "labour", {"note": "劳动保障方面无违法情形"}
    elif action == "submit_result":
        actor = "housing" if state == "assigned" else "clerk"
        body = {"findings": "经核实属实", "result": "已修复"}
    elif action == "sign_off":
        # The first of the two signatures: recorded, state unchanged until the second.
        actor, body, expected = "housing", {"password": PASSWORD}, state
    elif action == "send_back":
        actor, body, expected = "deputy", {"reason": "核查不充分，请补充"}, "assigned"
    elif action == "reply":
        body = {"method": "written", "content": "已书面答复信访人"}
    elif action == "report":
        channel, body = "superior", {"report": "查处报告：经核实……"}
    elif action == "approve_report":
        channel, actor, setup = "superior", "secgen", [("clerk", "report", {"report": "查处报告"})]
    elif action == "close":
        body = {"outcome": "问题已解决，信访人满意"}
    elif action == "archive":
        body = {"archive_number": f"DA-2026-{state}"}
    elif action == "flag_urgent":
        body = {"reason": "可能引发群体性事件"}
    elif action == "coordinate":
        actor = "deputy"
        body = {"lead_unit": units["HOUSING"].pk, "units": [units["LABOUR"].pk], "note": "两部门联合办理"}
    elif action == "record_persuasion":
        body = {"notes": "耐心劝导，讲明政策"}
    elif action == "conclude_persuasion":
        setup = [("clerk", "record_persuasion", {"notes": "劝导"})]
        body = {"outcome": "信访人同意息访"}
    elif action == "refer_to_police":
        actor, body = "secgen", {"reason": "劝导无效", "unit": units["POLICE"].pk}
    elif action == "void":
        actor, body = "secgen", {"reason": "误登记"}
    elif action == "merge":
        body = None  # needs another petition: filled in by the test
    elif action == "record_involvement":
        body = {"units": [units["CHAIR"].pk], "persons": [{"name": "某干部", "user": "police"}]}
    else:
        raise AssertionError(f"no recipe for {action}: add one")
    if state == "investigating" and action == "send_back":
        expected = "investigating"
    return channel, actor, body, expected, setup


TRANSITION_IDS = [f"{source}-{action}" for (source, action) in TRANSITIONS]


@pytest.mark.parametrize(("source", "action"), list(TRANSITIONS), ids=TRANSITION_IDS)
def test_allowed_transition(drive, demo_org, client, source, action):
    users, units = demo_org
    transition = TRANSITIONS[(source, action)]
    channel, actor, body, expected, setup = recipe(source, action, units)
    petition = drive(source, channel=channel)
    for who, step_action, step_body in setup:
        perform(Context(actor=users[who]), petition, step_action, step_body)
    if action == "merge":
        body = {"into": drive("registered").number}
    assert matches(transition.who, Facts(users[actor], petition)), f"{actor} should be allowed to {action}"
    _token, raw = ApiToken.issue(users[actor])
    response = client.post(
        f"/api/v1/petitions/{petition.number}/actions/{action}",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 200, response.content
    petition.refresh_from_db()
    assert petition.status == (expected or transition.targets[0])
    assert response.json()["status"] == petition.status
    event = petition.events.order_by("-seq").first()
    assert event.action == f"petition.{action}" and event.actor == users[actor]


def test_office_investigation_is_sent_back_to_the_office(drive, demo_org):
    users, _units = demo_org
    petition = drive("investigating")
    perform(Context(actor=users["clerk"]), petition, "submit_result", {"findings": "查明", "result": "处理"})
    perform(Context(actor=users["deputy"]), petition, "send_back", {"reason": "请补充"})
    petition.refresh_from_db()
    assert petition.status == Status.INVESTIGATING


@pytest.mark.parametrize("state", STATES)
def test_actions_not_in_the_table_are_409(drive, demo_org, state):
    users, _units = demo_org
    petition = drive(state)
    other = drive("registered")
    before = petition.events.count()
    for action in ACTIONS:
        if (state, action) in TRANSITIONS:
            continue
        with pytest.raises(Conflict) as caught:
            perform(Context(actor=users["clerk"]), petition, action, _valid_body(action, demo_org, other))
        assert caught.value.status == 409, (state, action)
    petition.refresh_from_db()
    assert petition.status == state
    assert petition.events.count() == before


def _valid_body(action, demo_org, other):
    """A body that passes input checks, so that the state is what refuses."""
    _users, units = demo_org
    _channel, _actor, body, _expected, _setup = recipe("registered", action, units)
    return body if body is not None else {"into": other.number}


@pytest.mark.parametrize("state", STATES)
def test_everyone_else_is_refused(drive, demo_org, client, state):
    """For every action the state allows, each persona the table does not name gets
    403 if they can see the petition and 404 if they cannot; nothing changes."""
    users, units = demo_org
    petition = drive(state)
    other = drive("registered")
    before = (petition.status, petition.events.count())
    tokens = {name: ApiToken.issue(users[name])[1] for name in PERSONAS}
    for (source, action), transition in TRANSITIONS.items():
        if source != state:
            continue
        _channel, _actor, body, _expected, _setup = recipe(state, action, units)
        body = body if body is not None else {"into": other.number}
        for name in PERSONAS:
            if matches(transition.who, Facts(users[name], petition)):
                continue
            can_see = Petition.objects.visible_to(users[name]).filter(pk=petition.pk).exists()
            response = client.post(
                f"/api/v1/petitions/{petition.number}/actions/{action}",
                body,
                content_type="application/json",
                headers={"Authorization": f"Bearer {tokens[name]}"},
            )
            assert response.status_code == (403 if can_see else 404), (state, action, name, response.content)
    petition.refresh_from_db()
    assert (petition.status, petition.events.count()) == before
