"""Sign-ins, failed sign-ins and sign-outs go to the access log (等级保护 CES1-13)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from xinfang.accounts.signals import account_locked
from xinfang.audit.access import client_ip, record
from xinfang.audit.models import Outcome


def _ip(request):
    return client_ip(request) if request is not None else None


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    record("auth.sign_in", user=user, ip=_ip(request), object_type="user", object_ref=user.username)


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        record("auth.sign_out", user=user, ip=_ip(request), object_type="user", object_ref=user.username)


@receiver(user_login_failed)
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django passes the credentials with the password already masked; only the username is kept.
    username = str(credentials.get("username", ""))
    record(
        "auth.sign_in",
        outcome=Outcome.DENIED,
        username=username,
        ip=_ip(request),
        object_type="user",
        object_ref=username,
    )


@receiver(account_locked)
def _locked(sender, username, locked_until=None, **kwargs):
    record(
        "auth.locked",
        outcome=Outcome.DENIED,
        username=username,
        object_type="user",
        object_ref=username,
        detail=f"until {locked_until:%Y-%m-%d %H:%M:%S%z}" if locked_until else "",
    )
