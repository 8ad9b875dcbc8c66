"""Sign-ins, failed sign-ins, lock-outs and sign-outs go to the access log (等级保护 CES1-13)."""

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from xinfang.accounts.signals import account_changed, account_locked
from xinfang.audit.access import client_ip, record
from xinfang.audit.models import Outcome


def _ip(request):
    return client_ip(request) if request is not None else None


def logged_name(typed: str) -> str:
    """What the access log keeps of a name typed at sign-in. A name that is no account
    is often a password typed in the wrong box: only a keyed fingerprint of it is kept,
    enough to see repeated attempts, never the text (ASVS 16.2.5)."""
    typed = typed[:150]
    if get_user_model().objects.filter(username=typed).exists():
        return typed
    digest = hmac.new(settings.SECRET_KEY.encode(), typed.encode(), hashlib.sha256).hexdigest()[:12]
    return f"?{digest}"


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    record("auth.sign_in", user=user, ip=_ip(request), object_type="user", object_ref=user.username)


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        record("auth.sign_out", user=user, ip=_ip(request), object_type="user", object_ref=user.username)


@receiver(user_login_failed)
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django passes the credentials with the password already masked; only the name is kept.
    name = logged_name(str(credentials.get("username", "")))
    record(
        "auth.sign_in",
        outcome=Outcome.DENIED,
        username=name,
        ip=_ip(request),
        object_type="user",
        object_ref=name,
    )


@receiver(account_locked)
def _locked(sender, username, locked_until=None, **kwargs):
    name = logged_name(str(username))
    until = f"until {locked_until:%Y-%m-%d %H:%M:%S%z}" if locked_until else ""
    record(
        "auth.locked",
        outcome=Outcome.DENIED,
        username=name,
        object_type="user",
        object_ref=name,
        detail=until,
    )


@receiver(account_changed)
def _account_changed(sender, action, actor, user, detail="", **kwargs):
    """Role grants and revocations, password and two-factor resets by an administrator
    (separation of duties: the auditor sees what the system administrator did)."""
    record(action, user=actor, object_type="user", object_ref=user.username, detail=detail)
