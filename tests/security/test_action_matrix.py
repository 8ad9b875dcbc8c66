"""Every one of the 23 workflow actions × every persona × petitions in three states,
through the API, with one exact expected status each (issue 8, "Done when").

The expectations are written out here from the rules (DESIGN.md §4 and the Rule
citations), not asked of `allowed_actions` or the workflow table: who may do each
action, in which of the three states it can happen, and the order in which the API
refuses (signed out 401; not visible 404, same as missing; a body it cannot read 400;
the wrong state 409; the wrong person 403; a guard of the rules 409). Each request
runs in a savepoint that is rolled back, so every cell starts from the same world;
a refused request must change nothing.
"""

import pytest
from django.db import transaction
from django.test import Client

from tests.security.conftest import PASSWORD, PERSONAS
from xinfang.accounts.models import ApiToken, Unit
from xinfang.petitions.workflow import ACTIONS

OFFICE = {"clerk", "secretary_general", "principal_leader", "deputy"}
LEADERS = {"secretary_general", "principal_leader", "deputy"}
HANDLERS = {"lead_handler", "assisting_handler"}
# Who can read each petition of the world (tests/security/conftest.py): the police are
# involved and clerk2 is the involved person; only the housing (lead) and labour (assisting)
# units were assigned the two later petitions.
VISIBLE = {"registered": OFFICE, "assigned": OFFICE | HANDLERS, "closed": OFFICE | HANDLERS}
OPEN = {"registered", "assigned"}

# action → (the states among the three where it can happen, the personas who may do it).
RULES = {
    "propose": ({"registered"}, {"clerk"}),  # 3.2
    "resolve_on_the_spot": ({"registered"}, {"clerk"}),  # 4.1: the first responder
    "instruct": (set(), LEADERS - {"deputy"}),  # 3.2: proposed/instructed only
    "assign": (set(), {"clerk"}),  # instructed only
    "investigate": (set(), {"clerk"}),  # instructed only
    "accept_assignment": ({"assigned"}, HANDLERS),  # 2.2
    "contribute": ({"assigned"}, {"assisting_handler"}),  # 4.5(3)
    "submit_result": ({"assigned"}, {"lead_handler"}),  # 3.3
    "sign_off": (set(), {"lead_handler", "deputy"}),  # result_submitted only
    "send_back": (set(), {"deputy"}),  # result_submitted only
    "reply": (set(), {"clerk"}),  # confirmed only
    "report": (set(), {"clerk"}),  # replied only
    "approve_report": (set(), LEADERS),  # replied only
    "close": (set(), {"clerk"}),  # replied/reported only
    "archive": ({"closed"}, {"clerk"}),  # 3.1
    "coordinate": ({"assigned"}, {"deputy"}),  # 4.5(3)
    "flag_urgent": (OPEN, OFFICE),  # 4.5(2)
    "record_persuasion": (OPEN, OFFICE),  # 4.5(1): clerks and leaders
    "conclude_persuasion": (OPEN, OFFICE),
    "refer_to_police": (OPEN, LEADERS),
    "void": (OPEN, LEADERS),  # 4.1
    "record_involvement": (OPEN, OFFICE),  # 4.3
    "merge": ({"registered"}, {"clerk"}),  # 4.4: registered/proposed only
}
# Guards of the rules that refuse an allowed person in these worlds (409).
GUARDED = {
    ("resolve_on_the_spot", "registered"),  # the world's petitions are letters, not visits or calls
    ("conclude_persuasion", "registered"),  # no persuasion was recorded first
    ("conclude_persuasion", "assigned"),
}


def body(action, units, petitions, state):
    into = petitions["assigned"] if state == "registered" else petitions["registered"]
    return {
        "propose": {"opinion": "拟转"},
        "resolve_on_the_spot": {"reply": "当场答复"},
        "instruct": {"instruction": "同意"},
        "assign": {"assignments": [{"unit": units["HOUSING"].pk, "role": "lead"}]},
        "investigate": {"note": "自行调查"},
        "accept_assignment": {},
        "contribute": {"note": "协办意见"},
        "submit_result": {"findings": "属实", "result": "已解决"},
        "sign_off": {"password": PASSWORD},
        "send_back": {"reason": "请补充"},
        "reply": {"method": "written", "content": "已答复"},
        "report": {"report": "查处报告"},
        "approve_report": {},
        "close": {"outcome": "已解决"},
        "archive": {"archive_number": "DA-9"},
        "coordinate": {
            "lead_unit": units["HOUSING"].pk,
            "units": [units["HOUSING"].pk, units["LABOUR"].pk],
            "note": "联合办理",
        },
        "flag_urgent": {"reason": "紧急"},
        "record_persuasion": {"notes": "劝导"},
        "conclude_persuasion": {"outcome": "息访"},
        "refer_to_police": {"reason": "扰乱秩序"},
        "void": {"reason": "重复登记"},
        "record_involvement": {"units": [Unit.objects.get(code="EDU").pk]},
        "merge": {"into": into.number},
    }[action]


def expected(action, persona, state):
    states, who = RULES[action]
    if persona == "anonymous":
        return 401
    if persona not in VISIBLE[state]:
        return 404
    if action == "merge" and persona in HANDLERS:
        return 400  # the petition to merge into is one they cannot see: "no petition with this number"
    if state not in states:
        return 409
    if persona not in who:
        return 403
    return 409 if (action, state) in GUARDED else 200


def test_the_rules_name_every_action():
    assert set(RULES) == set(ACTIONS) and len(ACTIONS) == 23


def _fingerprint(petition):
    petition.refresh_from_db()
    return (petition.status, petition.title, petition.urgent, petition.events.count())


@pytest.mark.parametrize("state", ["registered", "assigned", "closed"])
def test_every_action_for_every_persona(world, state):
    users, units, petitions = world
    petition = petitions[state]
    clients = {
        persona: Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(users[name])[1]}") if name else Client()
        for persona, name in PERSONAS.items()
    }
    failures = []
    for action in ACTIONS:
        data = body(action, units, petitions, state)
        for persona, client in clients.items():
            want = expected(action, persona, state)
            before = _fingerprint(petition)
            with transaction.atomic():
                response = client.post(
                    f"/api/v1/petitions/{petition.number}/actions/{action}",
                    data,
                    content_type="application/json",
                )
                if want != 200 and _fingerprint(petition) != before:
                    failures.append(f"{action} as {persona}: refused but the petition changed")
                transaction.set_rollback(True)
            if response.status_code != want:
                failures.append(f"{action} as {persona} on {state}: {response.status_code}, expected {want}")
    assert not failures, "\n".join(failures)
