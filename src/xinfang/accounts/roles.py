"""Separation of duties (三员分立) for role changes.

- Nobody changes their own roles.
- The system administrator and the audit administrator hold no petition role, and
  not each other's: the one manages accounts, the other reads the logs, and neither
  reads petitions.
- A petition role (clerk, leaders, handling officer) granted by one system
  administrator takes effect only when a second one approves it (RoleRequest);
  the requester and the user concerned cannot approve.
- Every request, grant, refusal and revocation, every password reset and every
  two-factor reset by an administrator goes to the access log the auditor reads.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import OFFICE_ROLES, Role, RoleRequest, UserRole
from xinfang.accounts.signals import account_changed
from xinfang.core.errors import Forbidden, InvalidInput

PETITION_ROLES = frozenset(OFFICE_ROLES | {Role.HANDLER})
ADMINISTRATION_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN})


def combination_problem(roles) -> str | None:
    """Why a set of role codes cannot be held by one person, or None."""
    roles = set(roles)
    admin = roles & ADMINISTRATION_ROLES
    if len(admin) > 1:
        return _("The system administrator and the audit administrator must be two different people.")
    if admin and roles & PETITION_ROLES:
        return _("System and audit administrators hold no petition role: they never read petitions.")
    return None


def _log(action, *, actor, user, role, detail=""):
    # The audit app listens (audit/signals.py): accounts does not import audit.
    account_changed.send(
        sender=UserRole, action=action, actor=actor, user=user, detail=f"{role} {detail}".strip()
    )


def check_change(*, actor, user, roles_after) -> None:
    if actor.pk == user.pk:
        raise Forbidden(_("Nobody changes their own roles: ask another system administrator."))
    if problem := combination_problem(roles_after):
        raise InvalidInput({"roles": [problem]})


def request_role(*, actor, user, role: str) -> RoleRequest | UserRole:
    """A petition role becomes a request for a second administrator; an administration
    role is granted at once (its holder still sees no petition)."""
    current = set(UserRole.objects.filter(user=user).values_list("role", flat=True))
    check_change(actor=actor, user=user, roles_after=current | {role})
    if role in PETITION_ROLES:
        request = RoleRequest.objects.create(user=user, role=role, requested_by=actor)
        _log("account.role_requested", actor=actor, user=user, role=role)
        return request
    granted, _created = UserRole.objects.get_or_create(user=user, role=role)
    _log("account.role_granted", actor=actor, user=user, role=role)
    return granted


def decide(*, actor, request: RoleRequest, approve: bool) -> None:
    """The second person's decision on a pending petition role."""
    with transaction.atomic():
        request = RoleRequest.objects.select_for_update().get(pk=request.pk)
        if request.approved is not None:
            return
        if actor.pk in (request.requested_by_id, request.user_id):
            raise Forbidden(
                _(
                    "A role grant is approved by a second system administrator, not by its requester or its holder."
                )
            )
        if approve:
            current = set(UserRole.objects.filter(user=request.user).values_list("role", flat=True))
            check_change(actor=actor, user=request.user, roles_after=current | {request.role})
            UserRole.objects.get_or_create(user=request.user, role=request.role)
        request.approved, request.decided_by, request.decided_at = approve, actor, timezone.now()
        request.save(update_fields=["approved", "decided_by", "decided_at"])
    action = "account.role_granted" if approve else "account.role_refused"
    _log(
        action,
        actor=actor,
        user=request.user,
        role=request.role,
        detail=f"requested by {request.requested_by}",
    )


def revoke(*, actor, user, role: str) -> None:
    if actor.pk == user.pk:
        raise Forbidden(_("Nobody changes their own roles: ask another system administrator."))
    UserRole.objects.filter(user=user, role=role).delete()
    _log("account.role_revoked", actor=actor, user=user, role=role)


def log_reset(action: str, *, actor, user) -> None:
    """A password or two-factor reset by an administrator (account.password_reset, account.2fa_reset)."""
    _log(action, actor=actor, user=user, role="")
