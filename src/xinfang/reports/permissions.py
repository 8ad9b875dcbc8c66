"""Who may count, export and import (reads still go through visible_to)."""

from __future__ import annotations

from xinfang.accounts.models import OFFICE_ROLES, Role


def may_read_statistics(user) -> bool:
    """Office staff and leaders see the office's figures; a handling unit sees its own share
    (visible_to limits it). Administrators read no petition content, counts included (三员分立)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.has_role(*OFFICE_ROLES) or (user.has_role(Role.HANDLER) and bool(user.unit_id))


def may_import(user) -> bool:
    """Importing registers petitions: the same people who may register them."""
    return getattr(user, "is_authenticated", False) and user.has_role(*OFFICE_ROLES)
