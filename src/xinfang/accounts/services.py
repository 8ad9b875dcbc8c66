"""Account actions of the system administrator and the sign-in machinery."""

from __future__ import annotations

import time

from django.contrib.auth import SESSION_KEY
from django.db import transaction
from django.utils import timezone

from xinfang.accounts.models import ApiToken, User
from xinfang.accounts.sessions import end_sessions_of
from xinfang.accounts.signals import sessions_ended

# Session keys of the sign-in machinery (read by accounts.middleware).
SIGNED_IN_AT = "xf_signed_in_at"
LAST_SEEN = "xf_last_seen"
PASSWORD_EXPIRED = "xf_password_expired"


def disable_user(*, user: User) -> None:
    """Deactivates an account; `end_access` runs from the save (see accounts.receivers)."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])


def end_access(*, user: User, reason: str) -> None:
    """Ends every web session and revokes every API token of `user` (CES1-02, ASVS 7.4.2)."""
    with transaction.atomic():
        sessions = end_sessions_of(user)
        tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if sessions or tokens:
        transaction.on_commit(lambda: sessions_ended.send(sender=User, user=user, reason=reason))


def stamp_sign_in(session) -> None:
    """Marks the start of a signed-in session, for the absolute and idle limits."""
    if SESSION_KEY in session:
        now = int(time.time())
        session[SIGNED_IN_AT] = now
        session[LAST_SEEN] = now
