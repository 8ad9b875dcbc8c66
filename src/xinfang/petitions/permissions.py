"""Who may do what to a visible petition (the object-level checks beside visible_to)."""

from __future__ import annotations

from xinfang.accounts.models import OFFICE_ROLES, Role
from xinfang.documents.services import may_attach
from xinfang.petitions.actors import Facts, matches
from xinfang.petitions.choices import OPEN_STATUSES, RECEPTION_CHANNELS, Channel, Status
from xinfang.petitions.guards import state_allows
from xinfang.petitions.workflow import EXTRA_OFFERED, actions_from


def can_view(user, petition) -> bool:
    """The object check that must agree with Petition.objects.visible_to(user), written
    independently (plain Python over the rows) so the tests can hold one against the
    other (CONVENTIONS #11)."""
    from xinfang.petitions.workflow_models import Assignment, AssignmentStatus

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.has_role(Role.SYSTEM_ADMIN) or user.has_role(Role.AUDIT_ADMIN):
        return False  # administrators read no petition (三员分立)
    mine = set(user.unit.ancestor_ids) if user.unit_id else set()
    if any(iu.unit_id in mine for iu in petition.involved_units.all()):
        return False
    if any(person.user_id == user.pk for person in petition.involved_persons.all()):
        return False
    if user.has_role(*OFFICE_ROLES):
        return True
    if user.has_role(Role.HANDLER):
        live = Assignment.objects.filter(petition=petition).exclude(status=AssignmentStatus.WITHDRAWN)
        return any(a.unit_id in mine for a in live)
    return False


def can_see_personal_data(user, petition) -> bool:
    """Petition office staff and leaders see petitioners' ID numbers, phones and
    addresses; a handling officer only where the assignment to their unit shares
    them; anyone else who can see the petition gets them masked."""
    if user.has_role(*OFFICE_ROLES):
        return True
    if user.has_role(Role.HANDLER):
        return any(a.share_contact for a in Facts(user, petition).my_assignments)
    return False


def _fits_the_channel(petition, action: str) -> bool:
    """Guards that depend on the channel alone: never offer what is sure to be refused."""
    superior = petition.channel == Channel.SUPERIOR
    if action == "resolve_on_the_spot":
        return petition.channel in RECEPTION_CHANNELS
    if action in ("report", "approve_report"):
        return superior
    if action == "close" and petition.status == Status.REPLIED:
        return not superior
    return True


def allowed_actions(user, petition) -> list[str]:
    """What `user` may do to `petition` now: the workflow table's actions whose
    actor checks fit, whose channel allows them and whose service's state guard
    holds (petitions/guards.py; guards on typed input are checked when acting),
    then registration edits."""
    facts = Facts(user, petition)
    actions = []
    # A capability's "is it offered?" check reads the database (the portal's two rating actions
    # each asked whether a rating waits): asked only of someone who may act, once per check.
    offered_by: dict = {}
    for t in actions_from(petition.status):
        if not _fits_the_channel(petition, t.action):
            continue
        acting_as = matches(t.who, facts)
        if not acting_as:
            continue
        check = EXTRA_OFFERED.get(t.action)
        if check is not None and check not in offered_by:
            offered_by[check] = check(petition)
        offered = check is None or offered_by[check]
        if offered and state_allows(t.action, facts, acting_as):
            actions.append(t.action)
    if user.has_role(*OFFICE_ROLES) and petition.status == Status.REGISTERED:
        actions.append("correct")
    if petition.status in OPEN_STATUSES and may_attach(user, petition):
        actions.append("attach")
    return actions
