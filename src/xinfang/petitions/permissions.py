"""Who may do what to a visible petition (the object-level checks beside visible_to)."""

from __future__ import annotations

from xinfang.accounts.models import OFFICE_ROLES
from xinfang.petitions.choices import OPEN_STATUSES, Status


def can_see_personal_data(user, petition) -> bool:
    """Petition office staff and leaders see petitioners' ID numbers, phones and
    addresses; anyone else who can see the petition gets them masked."""
    return user.has_role(*OFFICE_ROLES)


def allowed_actions(user, petition) -> list[str]:
    """What `user` may do to `petition` now, by the names of the API's operations."""
    actions = []
    if user.has_role(*OFFICE_ROLES):
        if petition.status == Status.REGISTERED:
            actions.append("correct")
        if petition.status in OPEN_STATUSES:
            actions.append("attach")
    return actions
