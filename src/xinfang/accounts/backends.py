"""The one authentication backend: Django's user-name and password check behind the lock-out."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from xinfang.accounts.lockout import guarded_attempt


class LockoutBackend(ModelBackend):
    """ModelBackend whose password check runs inside `guarded_attempt`.

    A locked name gets None without its password being checked, exactly like a
    wrong password or an unknown name (ModelBackend runs the hasher for unknown
    names too, so the time taken does not tell them apart either). Django's
    `authenticate()` then sends `user_login_failed`.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        found = []

        def check() -> bool:
            found.append(
                super(LockoutBackend, self).authenticate(request, username=username, password=password)
            )
            return found[0] is not None

        def reset_on_success() -> bool:
            # With a second factor to come, the sign-in is not over: wrong codes still count.
            from xinfang.accounts.twofactor import needs_second_factor

            return not needs_second_factor(found[0])

        guarded_attempt(username, check, reset_on_success=reset_on_success)
        return found[0] if found else None

    def get_user(self, user_id):
        """The session's user with its unit and roles: read with the session's row when the
        request's session offers it (accounts/sessions.py), else in one statement of its own
        (accounts/role_codes.py). Either way an inactive account gets None."""
        from xinfang.accounts.role_codes import prime, with_role_codes
        from xinfang.accounts.sessions import user_read_with_session

        user = user_read_with_session(user_id)
        if user is None:
            model = get_user_model()
            user = with_role_codes(model._default_manager.select_related("unit")).filter(pk=user_id).first()
            if user is not None:
                prime(user, user.joined_role_codes)
        if user is None or not self.user_can_authenticate(user):
            return None
        return user
