"""The one way a petition changes state: `acting(ctx, petition, action)`.

It locks the petition row, looks the action up in the workflow table (409 if the
state does not allow it), checks who is acting (403), lets the service do its
work, then writes the status, appends the event and leaves notifications to be
sent on commit. Concurrent double clicks queue on the row lock; the second finds
the state already moved and is refused with a sentence that says why.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.audit.access import record
from xinfang.audit.services import Context, append_event
from xinfang.core.errors import Conflict, DomainError, Forbidden
from xinfang.petitions import derived
from xinfang.petitions.actors import Facts, matches
from xinfang.petitions.hooks import petition_text_changed, petition_units_changed
from xinfang.petitions.models import Petition
from xinfang.petitions.workflow import ACTION_LABELS, Transition, transition_for

# Actions that write text a reader may search (petitions/hooks.py `petition_text_changed`):
# findings and results, replies, outcomes, persuasion notes, police referrals, archive numbers,
# reasons for voiding, involved persons.
TEXT_ACTIONS = frozenset(
    {
        "submit_result",
        "reply",
        "resolve_on_the_spot",
        "close",
        "archive",
        "record_persuasion",
        "conclude_persuasion",
        "refer_to_police",
        "void",
        "record_involvement",
    }
)

# Actions that add (or would withdraw) assignments, i.e. change which units hold a live
# assignment of the petition (petitions/hooks.py `petition_units_changed`). The other actions
# change an assignment's status only between live states (accept, contribute, submit a result,
# send back) or its role (coordinate, which also adds units). A service that withdraws or moves
# an assignment must be listed here too: the search index narrows a handling officer's search
# to the documents of their units (docs/search.md) and would otherwise miss a match.
UNIT_ACTIONS = frozenset({"assign", "coordinate"})


@dataclass
class Step:
    """What a service hands back while acting: the locked petition and its facts."""

    petition: Petition
    facts: Facts
    transition: Transition
    acting_as: list[str]
    target: str | None = None
    data: dict = field(default_factory=dict)

    def move_to(self, state: str) -> None:
        if state not in self.transition.targets:
            raise AssertionError(f"{state} is not a target of {self.transition}")
        self.target = state

    def stay(self) -> None:
        """Keep the current state (e.g. the first of two signatures)."""
        self.target = self.petition.status


def _state_label(status: str) -> str:
    from xinfang.petitions.choices import Status

    return str(Status(status).label) if status in Status.values else status


@contextmanager
def acting(ctx: Context, petition: Petition, action: str):
    try:
        with _acting(ctx, petition, action) as step:
            yield step
    except DomainError as refusal:
        if refusal.access_log:
            record(**refusal.access_log)  # after the rollback, so that it stays
        raise


@contextmanager
def _acting(ctx: Context, petition: Petition, action: str):
    with transaction.atomic():
        locked = (
            Petition.objects.select_for_update(of=("self",))
            .select_related("first_responder__unit")
            .get(pk=petition.pk)
        )
        transition = transition_for(locked.status, action)
        if transition is None:
            raise Conflict(
                _("“%(action)s” is not possible while the petition is %(state)s.")
                % {"action": ACTION_LABELS.get(action, action), "state": _state_label(locked.status)}
            )
        facts = Facts(ctx.actor, locked)
        acting_as = matches(transition.who, facts)
        if not acting_as:
            raise Forbidden(
                _("You may not “%(action)s” on this petition.")
                % {"action": ACTION_LABELS.get(action, action)}
            )
        step = Step(locked, facts, transition, acting_as)
        if len(transition.targets) == 1:
            step.target = transition.targets[0]
        yield step
        if step.target is None:
            raise AssertionError(f"the service for {action} chose no next state")
        before = locked.status
        also = {}
        if step.target != before:
            locked.status, locked.updated_at = step.target, timezone.now()
            also = {"status": locked.status, "updated_at": locked.updated_at}
        # The new status and, from whatever the service did to the clocks and assignments, the
        # columns the queues read (derived.py): one UPDATE, in the action's transaction.
        derived.refresh([locked.pk], **also)
        append_event(
            locked,
            ctx,
            f"petition.{action}",
            {**step.data, "from": before, "to": step.target},
        )
        if action in UNIT_ACTIONS:
            petition_units_changed.send(sender=Petition, petition_ids=[locked.pk])
        if action in TEXT_ACTIONS:
            petition_text_changed.send(sender=Petition, petition=locked, reason=action)
    petition.status = locked.status


def may(user, petition: Petition, action: str) -> bool:
    """Whether the table and the actor checks allow `action` now (guards aside)."""
    transition = transition_for(petition.status, action)
    return bool(transition and matches(transition.who, Facts(user, petition)))
