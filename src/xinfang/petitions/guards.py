"""The services' state guards, asked before an action is offered.

The workflow table says which actions a state allows and who may take them; the
services then refuse (409) what the petition's records rule out: a second
signature by someone who has signed, taking an assignment already taken, approving
a report nobody drafted. A button that always answers 409 is noise on a working
day, so `allowed_actions` asks these checks too. Each one restates the guard of
its service (named in the docstring); tests/workflow/test_offered.py holds every
button against the service, offered and not offered.

Only guards that depend on the records are here; guards on what the caller types
(a unit, an archive number, the petition to merge into) are checked when acting.
Each check reads only what it needs, and only once the table and the actor checks
have allowed the action, so the petition page's query count stays flat.
"""

from __future__ import annotations

from collections.abc import Callable

from xinfang.accounts.models import Role
from xinfang.petitions.actors import OPEN_ASSIGNMENT, Facts
from xinfang.petitions.choices import Status
from xinfang.petitions.workflow_models import (
    AssignmentRole,
    Instruction,
    PersuasionRecord,
    Report,
    Signoff,
    SignoffCapacity,
)


def signing_capacity(facts: Facts, acting_as: list[str]) -> str | None:
    """The capacity the caller would sign the current result in, as services.signoff.sign_off
    decides it: a capacity they hold that nobody has signed yet, and not a second
    signature by someone who already signed in the other one."""
    result = facts.current_result
    if result is None:
        return None
    signed = {s.capacity: s.user_id for s in Signoff.objects.filter(result=result)}
    if facts.user.pk in signed.values():
        return None
    if "result_signer" in acting_as and SignoffCapacity.HANDLER not in signed:
        return SignoffCapacity.HANDLER
    if "leader_in_charge" in acting_as and SignoffCapacity.LEADER not in signed:
        return SignoffCapacity.LEADER
    return None


def assignment_to_take(facts: Facts):
    """The caller's unit's open assignment nobody has taken yet (services.handling.accept_assignment)."""
    return next((a for a in facts.my_assignments if a.status in OPEN_ASSIGNMENT and not a.handler_id), None)


def _sign_off(facts, acting_as):
    return signing_capacity(facts, acting_as) is not None


def _send_back(facts, acting_as):
    # services.signoff.send_back: "There is no result to send back."
    return facts.current_result is not None


def _accept_assignment(facts, acting_as):
    return assignment_to_take(facts) is not None


def _assign(facts, acting_as):
    # services.handling.assign: an important letter only after a principal leader instructed it.
    petition = facts.petition
    return not petition.important or (
        Instruction.objects.filter(petition=petition, role=Role.PRINCIPAL_LEADER).exists()
    )


def _prefetched(petition, relation: str):
    """The petition page prefetches the procedure's records; use them rather than ask again."""
    return getattr(petition, "_prefetched_objects_cache", {}).get(relation)


def _approve_report(facts, acting_as):
    # services.conclusion.approve_report: the latest draft, not yet approved.
    reports = _prefetched(facts.petition, "reports")
    if reports is not None:
        draft = max(reports, key=lambda r: r.pk, default=None)
    else:
        draft = Report.objects.filter(petition=facts.petition).order_by("-id").only("approved_at").first()
    return draft is not None and draft.approved_at is None


def _conclude_persuasion(facts, acting_as):
    # services.dispositions.conclude_persuasion: at least one persuasion talk on record.
    persuasions = _prefetched(facts.petition, "persuasions")
    if persuasions is not None:
        return bool(persuasions)
    return PersuasionRecord.objects.filter(petition=facts.petition).exists()


def _submit_result(facts, acting_as):
    # services.handling.submit_result: in `assigned`, the lead unit's open assignment.
    if facts.petition.status != Status.ASSIGNED:
        return True
    return any(a.status in OPEN_ASSIGNMENT and a.role == AssignmentRole.LEAD for a in facts.my_assignments)


GUARDS: dict[str, Callable[[Facts, list[str]], bool]] = {
    "sign_off": _sign_off,
    "send_back": _send_back,
    "accept_assignment": _accept_assignment,
    "assign": _assign,
    "approve_report": _approve_report,
    "conclude_persuasion": _conclude_persuasion,
    "submit_result": _submit_result,
}


def state_allows(action: str, facts: Facts, acting_as: list[str]) -> bool:
    guard = GUARDS.get(action)
    return guard is None or guard(facts, acting_as)
