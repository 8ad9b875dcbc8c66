"""Database sessions whose rows name their user (SESSION_ENGINE).

Django's own engine stores the user id only inside the encoded session data, so
finding the sessions of one account means decoding every row. Ours copies it
into an indexed column whenever the session is saved.
"""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls):
        from xinfang.accounts.models import UserSession

        return UserSession

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        try:
            instance.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            instance.user_id = None
        return instance


def end_sessions_of(user) -> int:
    """Deletes every server-side session of `user`; their cookies then open nothing."""
    from xinfang.accounts.models import UserSession

    deleted, _by_model = UserSession.objects.filter(user=user).delete()
    return deleted
