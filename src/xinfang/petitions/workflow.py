"""The Rule 3 procedure as data: (state, action) → next state, who may act, guard.

Services look transitions up here and refuse what is not listed (409) or not
theirs to do (403); templates and the API's `allowed_actions` read the same
table; docs/workflow.md draws its diagram from it (manage.py workflow_diagram),
and the tests walk it, so a new row is enforced, shown, drawn and tested at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from xinfang.petitions.choices import OPEN_STATUSES, Status

S = Status


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    targets: tuple[str, ...]  # one, or the few the service chooses between
    who: tuple[str, ...]  # names of actor checks in petitions/actors.py; any one suffices
    rule: str
    guard: str = ""  # what else must hold, in words (enforced in the service)

    @property
    def keeps_state(self) -> bool:
        return self.targets == (self.source,)


# Actions in the order a person meets them; labels are what buttons say.
ACTION_LABELS = {
    "propose": _("Propose handling"),
    "resolve_on_the_spot": _("Resolve on the spot"),
    "instruct": _("Instruct"),
    "assign": _("Transfer / assign"),
    "investigate": _("Investigate in the office"),
    "accept_assignment": _("Take on the assignment"),
    "contribute": _("Submit assisting unit's note"),
    "submit_result": _("Submit result"),
    "sign_off": _("Sign off"),
    "send_back": _("Send back"),
    "reply": _("Record reply"),
    "report": _("Draft investigation report"),
    "approve_report": _("Approve report"),
    "close": _("Close"),
    "archive": _("Archive"),
    "flag_urgent": _("Flag urgent"),
    "coordinate": _("Coordinate joint handling"),
    "record_persuasion": _("Record persuasion"),
    "conclude_persuasion": _("Conclude: persuaded to stop"),
    "refer_to_police": _("Refer to public security"),
    "merge": _("Merge into an open petition"),
    "record_involvement": _("Record involved units or persons"),
    "void": _("Void"),
}

_rows: list[Transition] = [
    Transition(
        S.REGISTERED,
        "propose",
        (S.PROPOSED,),
        ("clerk",),
        "3.2",
        "opinion text; important ⇒ a principal leader must also instruct",
    ),
    Transition(
        S.REGISTERED,
        "resolve_on_the_spot",
        (S.REPLIED,),
        ("first_responder",),
        "4.1",
        "visits and calls only; the reply is recorded",
    ),
    Transition(
        S.PROPOSED,
        "instruct",
        (S.INSTRUCTED,),
        ("secretary_general", "principal_leader"),
        "3.2",
        "instruction recorded verbatim; starts the 2-day transfer clock",
    ),
    Transition(
        S.INSTRUCTED,
        "instruct",
        (S.INSTRUCTED,),
        ("secretary_general", "principal_leader"),
        "3.2",
        "a further instruction, e.g. the principal leader's on an important letter",
    ),
    Transition(
        S.INSTRUCTED,
        "assign",
        (S.ASSIGNED,),
        ("clerk",),
        "2.2, 3.2, 4.3",
        "one lead unit; no involved unit; important ⇒ a principal leader has instructed",
    ),
    Transition(S.INSTRUCTED, "investigate", (S.INVESTIGATING,), ("clerk",), "2.3"),
    Transition(
        S.ASSIGNED,
        "accept_assignment",
        (S.ASSIGNED,),
        ("assigned_handler",),
        "2.2",
        "the handler takes the assignment for their unit",
    ),
    Transition(
        S.ASSIGNED,
        "contribute",
        (S.ASSIGNED,),
        ("assisting_handler",),
        "4.5(3)",
        "an assisting unit's findings for the lead unit",
    ),
    Transition(
        S.ASSIGNED,
        "submit_result",
        (S.RESULT_SUBMITTED,),
        ("lead_handler",),
        "3.3",
        "findings and result of the lead unit",
    ),
    Transition(S.INVESTIGATING, "submit_result", (S.RESULT_SUBMITTED,), ("clerk",), "2.3, 3.3"),
    Transition(
        S.RESULT_SUBMITTED,
        "sign_off",
        (S.CONFIRMED,),
        ("result_signer", "leader_in_charge"),
        "3.3",
        "password re-entered; confirmed once the handling officer and the leader in charge have signed",
    ),
    Transition(
        S.RESULT_SUBMITTED,
        "send_back",
        (S.ASSIGNED, S.INVESTIGATING),
        ("leader_in_charge",),
        "3.3",
        "a reason; back to whoever produced the result",
    ),
    Transition(
        S.CONFIRMED,
        "reply",
        (S.REPLIED,),
        ("clerk",),
        "3.4",
        "oral or written; anonymous petitions record why no reply is possible",
    ),
    Transition(
        S.REPLIED,
        "report",
        (S.REPLIED,),
        ("clerk",),
        "3.4",
        "superior-assigned matters only: the investigation report is drafted",
    ),
    Transition(
        S.REPLIED,
        "approve_report",
        (S.REPORTED,),
        ("leader",),
        "3.4",
        "a drafted report; the approved report goes to the superior",
    ),
    Transition(
        S.REPLIED,
        "close",
        (S.CLOSED,),
        ("clerk",),
        "4.4",
        "an outcome; superior-assigned matters must be reported first",
    ),
    Transition(S.REPORTED, "close", (S.CLOSED,), ("clerk",), "4.4", "an outcome"),
    Transition(S.CLOSED, "archive", (S.ARCHIVED,), ("clerk",), "3.1", "a unique archive number"),
    Transition(S.PERSUADED, "archive", (S.ARCHIVED,), ("clerk",), "3.1", "a unique archive number"),
    Transition(S.REFERRED_TO_POLICE, "archive", (S.ARCHIVED,), ("clerk",), "3.1", "a unique archive number"),
]

for _state in (S.INSTRUCTED, S.ASSIGNED, S.INVESTIGATING):
    _rows.append(
        Transition(
            _state,
            "coordinate",
            (S.ASSIGNED,),
            ("deputy_secretary_general",),
            "4.5(3)",
            "a lead unit and at least two units in all; none involved",
        )
    )
for _state in sorted(OPEN_STATUSES):
    _rows += [
        Transition(
            _state,
            "flag_urgent",
            (_state,),
            ("staff",),
            "4.5(2)",
            "leaders are notified at once; competent units only if not involved",
        ),
        Transition(_state, "record_persuasion", (_state,), ("clerk", "leader"), "4.5(1)"),
        Transition(
            _state,
            "conclude_persuasion",
            (S.PERSUADED,),
            ("clerk", "leader"),
            "4.5(1), 4.4",
            "at least one persuasion record; the outcome",
        ),
        Transition(
            _state,
            "refer_to_police",
            (S.REFERRED_TO_POLICE,),
            ("leader",),
            "4.5(1), 4.4",
            "a reason; the public security unit is not involved",
        ),
        Transition(
            _state,
            "void",
            (S.VOID,),
            ("leader",),
            "4.1",
            "a reason; a mistaken registration is voided, never deleted",
        ),
        Transition(
            _state,
            "record_involvement",
            (_state,),
            ("staff",),
            "4.3",
            "refused for a unit that already holds an assignment",
        ),
    ]
for _state in (S.REGISTERED, S.PROPOSED):
    _rows.append(
        Transition(
            _state,
            "merge",
            (S.MERGED,),
            ("clerk",),
            "4.4",
            "a repeat of another open petition, which carries the matter on",
        )
    )

TRANSITIONS: dict[tuple[str, str], Transition] = {}
for _row in _rows:
    key = (str(_row.source), _row.action)
    assert key not in TRANSITIONS, f"duplicate transition {key}"
    TRANSITIONS[key] = _row

ACTIONS: tuple[str, ...] = tuple(ACTION_LABELS)
assert {t.action for t in _rows} == set(ACTIONS), "every action has a label and a transition"


# Transitions of actions that capabilities add (petitions.actions.register_action): kept apart
# from TRANSITIONS, which is the core's table as the rules define it (and its tests walk it).
EXTRA_TRANSITIONS: dict[tuple[str, str], Transition] = {}
# action -> callable(petition) -> bool: whether to offer an added action at all (its guard in
# words, checked cheaply), as `permissions._fits_the_channel` does for the core's.
EXTRA_OFFERED: dict[str, object] = {}


def transition_for(state: str, action: str) -> Transition | None:
    key = (str(state), action)
    return TRANSITIONS.get(key) or EXTRA_TRANSITIONS.get(key)


def actions_from(state: str) -> list[Transition]:
    found = [t for (source, _a), t in TRANSITIONS.items() if source == str(state)]
    return found + [t for (source, _a), t in EXTRA_TRANSITIONS.items() if source == str(state)]
