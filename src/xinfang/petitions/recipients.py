"""Who should hear about a petition next: the people whose queue it enters."""

from __future__ import annotations

from xinfang.accounts.models import Role, User


def users_with_role(*roles: str) -> list[User]:
    return list(User.objects.filter(is_active=True, roles__role__in=roles).distinct())


def handlers_of(unit_ids) -> list[User]:
    """Handling officers of these units (exactly these: never a parent or a sibling)."""
    return list(
        User.objects.filter(is_active=True, unit_id__in=list(unit_ids), roles__role=Role.HANDLER).distinct()
    )


def users_by_id(ids) -> list[User]:
    return list(User.objects.filter(is_active=True, pk__in=list(ids)))
