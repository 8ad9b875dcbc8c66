"""A button is offered exactly when the service would accept the action now.

For every action whose service refuses on the petition's records (not on what is
typed), each case below is written out by hand: who, in which situation, whether
the action should be offered. The test then holds `allowed_actions` (the API's
list and the page's buttons) against that expectation, and against what the
service really does when asked: offered ⇒ it succeeds, not offered ⇒ 409 or 403.
"""

from __future__ import annotations

import pytest

from tests.workflow.conftest import PASSWORD
from xinfang.audit.services import Context
from xinfang.core.errors import Conflict, DomainError
from xinfang.petitions.actions import perform
from xinfang.petitions.models import Petition
from xinfang.petitions.permissions import allowed_actions


def _act(users, who, petition, action, body):
    perform(Context(actor=users[who]), Petition.objects.get(pk=petition.pk), action, body)


def _setup_signed_by_handler(users, units, petition):
    _act(users, "housing", petition, "sign_off", {"password": PASSWORD})


def _setup_accepted(users, units, petition):
    _act(users, "housing", petition, "accept_assignment", {})


def _setup_report(users, units, petition):
    _act(users, "clerk", petition, "report", {"report": "查处报告正文"})


def _setup_persuasion(users, units, petition):
    _act(users, "clerk", petition, "record_persuasion", {"notes": "耐心劝导"})


def _instructed_important(drive, users):
    petition = drive("registered")
    _act(users, "clerk", petition, "propose", {"opinion": "拟转住建局", "important": True})
    _act(users, "secgen", petition, "instruct", {"instruction": "请核实。"})
    return petition


def _setup_principal_instructed(users, units, petition):
    _act(users, "chair", petition, "instruct", {"instruction": "同意，抓紧办理。"})


def _body(units, action):
    return {
        "sign_off": {"password": PASSWORD},
        "accept_assignment": {},
        "approve_report": {},
        "conclude_persuasion": {"outcome": "信访人同意息访"},
        "assign": {"assignments": [{"unit": units["HOUSING"].pk, "role": "lead", "kind": "assignment"}]},
        "submit_result": {"findings": "经核实属实", "result": "已处理"},
        "contribute": {"note": "协办意见"},
    }[action]


# (case id, action, state or "important", channel, setup, who, offered)
CASES = [
    ("sign_off: handler before signing", "sign_off", "result_submitted", "letter", None, "housing", True),
    (
        "sign_off: handler after signing",
        "sign_off",
        "result_submitted",
        "letter",
        _setup_signed_by_handler,
        "housing",
        False,
    ),
    (
        "sign_off: leader after the handler",
        "sign_off",
        "result_submitted",
        "letter",
        _setup_signed_by_handler,
        "deputy",
        True,
    ),
    ("sign_off: leader first", "sign_off", "result_submitted", "letter", None, "deputy", True),
    ("accept: before taking", "accept_assignment", "assigned", "letter", None, "housing", True),
    ("accept: after taking", "accept_assignment", "assigned", "letter", _setup_accepted, "housing", False),
    ("accept: assisting unit before", "accept_assignment", "assigned", "letter", None, "labour", True),
    ("approve_report: nothing drafted", "approve_report", "replied", "superior", None, "secgen", False),
    ("approve_report: a draft", "approve_report", "replied", "superior", _setup_report, "secgen", True),
    ("conclude: no talk on record", "conclude_persuasion", "registered", "letter", None, "clerk", False),
    (
        "conclude: after a talk",
        "conclude_persuasion",
        "registered",
        "letter",
        _setup_persuasion,
        "clerk",
        True,
    ),
    ("assign: important, only secgen", "assign", "important", "letter", None, "clerk", False),
    (
        "assign: important, principal leader too",
        "assign",
        "important",
        "letter",
        _setup_principal_instructed,
        "clerk",
        True,
    ),
    ("assign: ordinary letter", "assign", "instructed", "letter", None, "clerk", True),
    ("submit_result: lead unit", "submit_result", "assigned", "letter", None, "housing", True),
    ("submit_result: assisting unit", "submit_result", "assigned", "letter", None, "labour", False),
    ("contribute: assisting unit", "contribute", "assigned", "letter", None, "labour", True),
    ("contribute: lead unit", "contribute", "assigned", "letter", None, "housing", False),
]


@pytest.mark.parametrize(
    ("action", "state", "channel", "setup", "who", "offered"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_offered_exactly_when_the_service_accepts(
    drive, demo_org, action, state, channel, setup, who, offered
):
    users, units = demo_org
    petition = _instructed_important(drive, users) if state == "important" else drive(state, channel=channel)
    if setup:
        setup(users, units, petition)
    petition = Petition.objects.get(pk=petition.pk)
    assert (action in allowed_actions(users[who], petition)) is offered
    if offered:
        _act(users, who, petition, action, _body(units, action))  # no refusal
    else:
        with pytest.raises(DomainError) as refusal:
            _act(users, who, petition, action, _body(units, action))
        assert refusal.value.status in (403, 409)


def test_taking_an_assignment_twice_is_refused_and_changes_nothing(drive, demo_org):
    """Before the change a second "take on" by the same officer was accepted and logged again."""
    users, _units = demo_org
    petition = drive("assigned")
    _act(users, "housing", petition, "accept_assignment", {})
    events = petition.events.count()
    with pytest.raises(Conflict):
        _act(users, "housing", petition, "accept_assignment", {})
    assert petition.events.count() == events
