"""Server-side limits of a signed-in web session (等级保护: log out automatically on timeout).

The cookie's own expiry is the browser's business; these limits are kept in the
session on the server: signed in longer than XINFANG_SESSION_HOURS, or idle longer
than XINFANG_IDLE_MINUTES, and the session is flushed. A page then sends the user
to sign in (with a message saying why); the API answers 401 like any anonymous call.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from xinfang.accounts.services import LAST_SEEN, PASSWORD_EXPIRED, SIGNED_IN_AT
from xinfang.accounts.sessions import offering


class SessionUserMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware, whose `request.user` may take the user read with the
    session's row (accounts/sessions.py) instead of reading it again. The user is still
    resolved by Django's `auth.get_user`: the backend named in the session, the account
    active, the session's password hash verified (else the session is flushed)."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _session_user(request))


def _session_user(request):
    if not hasattr(request, "_cached_user"):
        with offering(request.session):
            request._cached_user = auth.get_user(request)
    return request._cached_user


# Writing the session on every request would cost a database write each time;
# once a minute keeps the idle limit exact to the minute.
TOUCH_SECONDS = 60


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            refused = self.enforce(request, session)
            if refused is not None:
                return refused
        return self.get_response(request)

    def enforce(self, request, session):
        now = int(time.time())
        # Sessions made without the sign-in page (tests' force_login) start counting here.
        signed_in = session.setdefault(SIGNED_IN_AT, now)
        last_seen = session.setdefault(LAST_SEEN, now)
        if now - signed_in > settings.SESSION_COOKIE_AGE:
            self.end(request, _("Your session has ended. Please sign in again."))
        elif now - last_seen > settings.IDLE_MINUTES * 60:
            self.end(
                request,
                _("You were signed out after %(minutes)d minutes without activity.")
                % {"minutes": settings.IDLE_MINUTES},
            )
        else:
            if now - last_seen >= TOUCH_SECONDS:
                session[LAST_SEEN] = now
            if session.get(PASSWORD_EXPIRED):
                return self.password_change_first(request)
        return None

    def end(self, request, message):
        logout(request)  # flushes the server-side session and sends user_logged_out
        if not request.path.startswith("/api/"):
            messages.info(request, message)

    def password_change_first(self, request):
        allowed = {reverse("password_change"), reverse("logout")}
        if request.path in allowed or request.path.startswith(("/static/", "/i18n/")):
            return None
        if request.path.startswith("/api/"):
            from django.http import JsonResponse

            return JsonResponse(
                {
                    "type": "about:blank",
                    "title": _("Forbidden"),
                    "status": 403,
                    "detail": _("Your password has expired. Change it on the web first."),
                },
                status=403,
                content_type="application/problem+json",
            )
        return redirect("password_change")
