"""Database sessions whose rows name their user (SESSION_ENGINE).

Django's own engine stores the user id only inside the encoded session data, so
finding the sessions of one account means decoding every row. Ours copies it
into an indexed column whenever the session is saved.

The row is read with that user, the user's unit and roles (role_codes.py) in one
statement: every signed-in page needs both, and reading the user on its own was a
second round trip. `SessionUserMiddleware` (accounts/middleware.py) hands that user
to the backend for Django's own `get_user`, which still checks the account is
active and verifies the session's password hash as before; any other caller of
the backend reads the user itself.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from contextvars import ContextVar

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

# The session store whose row `get_user` may take its user from; set only while
# SessionUserMiddleware resolves request.user.
_offered: ContextVar[SessionStore | None] = ContextVar("xinfang_offered_session", default=None)


@functools.cache
def _row_with_user():
    """The session look-up with its user, unit and roles, built once and cloned per request
    (as the API token's look-up): putting the roles' subquery together cost as much Python
    as reading the row."""
    from xinfang.accounts.models import UserSession
    from xinfang.accounts.role_codes import with_role_codes

    return with_role_codes(UserSession.objects.select_related("user", "user__unit"), "user_id")


class SessionStore(DBStore):
    # The user on the row as read with it (None: no row, no user, or not read yet).
    _row_user = None

    @classmethod
    def get_model_class(cls):
        from xinfang.accounts.models import UserSession

        return UserSession

    def _get_session_from_db(self):
        # Django's look-up and its handling of a missing or suspicious key, with the user joined.
        self._row_user = None
        try:
            row = _row_with_user().get(session_key=self.session_key, expire_date__gt=timezone.now())
        except (self.model.DoesNotExist, SuspiciousOperation) as e:
            if isinstance(e, SuspiciousOperation):
                logger = logging.getLogger(f"django.security.{e.__class__.__name__}")
                logger.warning(str(e))
            self._session_key = None
            return None
        if row.user_id is not None:
            from xinfang.accounts.role_codes import prime

            prime(row.user, row.joined_role_codes)
            self._row_user = row.user
        return row

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        try:
            instance.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            instance.user_id = None
        return instance


@contextlib.contextmanager
def offering(session):
    """While inside, `user_read_with_session` may answer from `session`'s row."""
    token = _offered.set(session if isinstance(session, SessionStore) else None)
    try:
        yield
    finally:
        _offered.reset(token)


def user_read_with_session(user_id):
    """The offered session's user when it is the one asked for and the session's data still
    names it (not flushed or signed in as someone else since the row was read), else None."""
    session = _offered.get()
    if session is None:
        return None
    user = session._row_user
    if user is None or user.pk != user_id:
        return None
    try:
        named = int(session.get(SESSION_KEY))
    except (TypeError, ValueError):
        return None
    return user if named == user.pk else None


def end_sessions_of(user) -> int:
    """Deletes every server-side session of `user`; their cookies then open nothing."""
    from xinfang.accounts.models import UserSession

    deleted, _by_model = UserSession.objects.filter(user=user).delete()
    return deleted
