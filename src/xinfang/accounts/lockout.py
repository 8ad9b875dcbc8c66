"""Lock-out after repeated failed sign-ins (等级保护: at most 5 tries), safe under concurrency.

Every check of a password or a one-time code runs inside `guarded_attempt`, in one
transaction holding the typed name's LoginState row: a locked name is refused
*before* its secret is checked, and parallel attempts queue on the row lock, so
no more than LOCKOUT_FAILURES checks can ever be made before the lock. SQLite
has no row locks, but its transactions are IMMEDIATE (settings.py): they queue
for the whole database instead.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.db import transaction
from django.utils import timezone


class Outcome(Enum):
    ACCEPTED = "accepted"
    REFUSED = "refused"  # the secret was wrong
    LOCKED = "locked"  # not checked: the name is locked


def state_key(username: str) -> str:
    """The LoginState key of a typed user name: keyed, so the table does not list what people typed."""
    return hmac.new(settings.SECRET_KEY.encode(), username.encode(), hashlib.sha256).hexdigest()


def guarded_attempt(
    username: str, check: Callable[[], bool], *, reset_on_success: bool | Callable[[], bool] = True
) -> Outcome:
    """Run `check` (a password or code check) unless `username` is locked, and count the result.

    A failure adds one; the LOCKOUT_FAILURES-th failure locks for LOCKOUT_MINUTES and
    sends `account_locked` once the transaction commits. A success clears the count
    unless `reset_on_success` is (or returns, when called after the check) False: the
    password step of a two-factor sign-in must not reset what wrong codes have counted.
    """
    from xinfang.accounts.models import LoginState
    from xinfang.accounts.signals import account_locked

    key = state_key(username)
    with transaction.atomic():
        LoginState.objects.get_or_create(key=key)
        state = LoginState.objects.select_for_update().get(key=key)
        now = timezone.now()
        if state.locked_until and state.locked_until > now:
            return Outcome.LOCKED
        before = (state.failures, state.locked_until)
        if state.locked_until:  # the lock has run out: a fresh start
            state.failures, state.locked_until = 0, None
        if check():
            if reset_on_success() if callable(reset_on_success) else reset_on_success:
                state.failures = 0
            if (state.failures, state.locked_until) != before:
                state.save(update_fields=["failures", "locked_until", "updated_at"])
            return Outcome.ACCEPTED
        state.failures += 1
        if state.failures >= settings.LOCKOUT_FAILURES:
            state.locked_until = now + timedelta(minutes=settings.LOCKOUT_MINUTES)
            until = state.locked_until
            transaction.on_commit(
                lambda: account_locked.send(sender=LoginState, username=username, locked_until=until)
            )
        state.save(update_fields=["failures", "locked_until", "updated_at"])
        return Outcome.REFUSED


def is_locked(username: str) -> bool:
    from xinfang.accounts.models import LoginState

    return LoginState.objects.filter(key=state_key(username), locked_until__gt=timezone.now()).exists()


def unlock(username: str) -> None:
    """For the system administrator: clear the count and any lock of a user name."""
    from xinfang.accounts.models import LoginState

    LoginState.objects.filter(key=state_key(username)).update(failures=0, locked_until=None)


def check_password_counted(user, password: str) -> Outcome:
    """A signed-in user re-entering their password (sign-off, password change): the same
    count and lock as signing in, so a borrowed session cannot guess the password."""
    return guarded_attempt(user.get_username(), lambda: user.check_password(password or ""))
