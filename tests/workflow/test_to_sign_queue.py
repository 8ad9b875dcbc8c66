"""Issue 9: the "results to sign off" queue is decided in SQL, completely.

Oracle: the services' own actor check (transitions.may(user, petition,
"sign_off")) and "has not signed a live result", applied in Python to every
petition the user may see — what the queue used to do for at most 500 candidates."""

from __future__ import annotations

import pytest

from tests.workflow.conftest import PASSWORD
from xinfang.audit.services import Context
from xinfang.petitions import derived
from xinfang.petitions.actions import perform
from xinfang.petitions.models import Petition
from xinfang.petitions.queues import queues_for
from xinfang.petitions.services.transitions import may
from xinfang.petitions.workflow_models import Signoff

pytestmark = pytest.mark.django_db


def _oracle(user) -> list[str]:
    visible = Petition.objects.visible_to(user).order_by("received_at", "id")
    return [
        p.number
        for p in visible
        if may(user, p, "sign_off")
        and not Signoff.objects.filter(
            result__petition=p, result__sent_back_at__isnull=True, user=user
        ).exists()
    ]


def _queue(user) -> list[str] | None:
    queue = next((q for q in queues_for(user) if q.name == "to_sign"), None)
    return None if queue is None else [p.number for p in queue.petitions.order_by("received_at", "id")]


def test_to_sign_matches_the_actor_checks_for_everyone(drive, demo_org):
    users, units = demo_org
    drive("result_submitted")  # the housing bureau's result: housing signs, then its leader
    signed = drive("result_submitted")
    perform(Context(actor=users["housing"]), signed, "sign_off", {"password": PASSWORD})
    # The office investigated itself: the leader in charge above the petition office signs.
    office = drive("investigating")
    perform(
        Context(actor=users["clerk"]), office, "submit_result", {"findings": "已查明", "result": "已处理"}
    )
    # Units without a named leader in charge fall to the Secretary-General and deputies.
    units["HOUSING"].__class__.objects.update(leader_in_charge=None)
    drive("result_submitted")
    drive("assigned")  # not waiting for a signature at all
    checked = 0
    for username, user in users.items():
        got = _queue(user)
        if got is not None:  # leaders and handling officers have the queue
            assert got == _oracle(user), username
            checked += 1
    assert checked >= 5
    assert any(_queue(users[name]) for name in ("housing", "secgen", "deputy"))


def test_to_sign_with_a_withdrawn_assignment_matches_the_actor_checks(drive, demo_org):
    """A result whose assignment was withdrawn afterwards: its unit's officers no longer sign it
    through that assignment (the queue tests the result's own assignment row)."""
    from xinfang.petitions.workflow_models import Assignment, AssignmentStatus, Result

    users, _units = demo_org
    kept = drive("result_submitted")
    withdrawn = drive("result_submitted")
    result = Result.objects.filter(petition=withdrawn, sent_back_at__isnull=True).latest("id")
    assert result.assignment_id is not None
    Assignment.objects.filter(pk=result.assignment_id).update(status=AssignmentStatus.WITHDRAWN)
    # The unit is assigned again, so its officers see the petition, but the result stands on the
    # withdrawn assignment: they do not sign it through that one (only its submitter does).
    again = Assignment.objects.get(pk=result.assignment_id)
    again.pk, again.status = None, AssignmentStatus.RECEIVED
    again.save()
    # Written here past the services: this writer keeps the petition's signing columns too.
    derived.refresh([withdrawn.pk])
    assert withdrawn.number in [p.number for p in Petition.objects.visible_to(users["housing"])]
    for username, user in users.items():
        got = _queue(user)
        if got is not None:
            assert got == _oracle(user), username
    assert kept.number in _queue(users["housing"])
