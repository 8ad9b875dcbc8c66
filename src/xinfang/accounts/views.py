"""Sign-in pages: password, then the one-time code or two-factor enrolment; password change.

Between the password and the code the user is *not* signed in: the session only
remembers who passed the password step (for PENDING_SECONDS). Django's `login()`
runs once every factor is checked, and it gives the session a new key.
"""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from xinfang.accounts import twofactor
from xinfang.accounts.lockout import Outcome, check_password_counted
from xinfang.accounts.passwords import password_expired
from xinfang.accounts.services import PASSWORD_EXPIRED, stamp_sign_in

PENDING = "xf_pending_sign_in"
PENDING_SECONDS = 5 * 60


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            LOCKOUT_FAILURES=settings.LOCKOUT_FAILURES, LOCKOUT_MINUTES=settings.LOCKOUT_MINUTES, **kwargs
        )

    def form_valid(self, form):
        user = form.get_user()
        if twofactor.needs_second_factor(user):
            self.request.session[PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "at": int(time.time()),
                "next": self.get_success_url(),
            }
            return redirect("login_code" if twofactor.has_second_factor(user) else "two_factor_setup")
        return complete_sign_in(self.request, user, user.backend, self.get_success_url())


def complete_sign_in(request, user, backend: str, next_url: str):
    """The last step of every web sign-in: Django's login (new session key), then the password's age."""
    request.session.pop(PENDING, None)
    login(request, user, backend=backend)
    # Explicitly here, not on user_logged_in: the API token endpoint sends that signal too,
    # and a browser's session must not have its lifetime restarted by a token request.
    stamp_sign_in(request.session)
    if password_expired(user):
        request.session[PASSWORD_EXPIRED] = True
        messages.warning(request, _("Your password has expired. Please choose a new one."))
        return redirect("password_change")
    return redirect(next_url)


def pending_user(request):
    """The user who passed the password step in this session, if recently and still active."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None, None
    user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
    return user, pending


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _code_failed(request, user, outcome: Outcome, form: CodeForm):
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
    if outcome is Outcome.LOCKED:
        request.session.pop(PENDING, None)
    form.add_error(
        "code",
        _("The code is not correct, or the account is temporarily locked after too many failed attempts."),
    )


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def enter_code(request):
    """Second step of sign-in for users with a confirmed authenticator."""
    user, pending = pending_user(request)
    if user is None:
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = twofactor.verify_code(user, form.cleaned_data["code"])
        if outcome is Outcome.ACCEPTED:
            return complete_sign_in(request, user, pending["backend"], pending["next"])
        _code_failed(request, user, outcome, form)
    status = 400 if form.errors else 200
    return render(request, "accounts/login_code.html", {"form": form}, status=status)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def set_up_two_factor(request):
    """Enrolment: scan the QR code (or type the secret), confirm with a first code.

    Reached right after the password when XINFANG_REQUIRE_2FA makes it compulsory,
    or by a signed-in user who chooses to add it.
    """
    user, pending = pending_user(request)
    if user is None:
        if not request.user.is_authenticated:
            return redirect("login")
        user = request.user
    if twofactor.has_second_factor(user) and pending is None:
        messages.info(request, _("Two-factor sign-in is already set up for your account."))
        return redirect("home")
    device = twofactor.enrolment_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = twofactor.confirm_enrolment(user, device, form.cleaned_data["code"])
        if outcome is Outcome.ACCEPTED:
            messages.success(request, _("Two-factor sign-in is set up."))
            if pending is not None:
                return complete_sign_in(request, user, pending["backend"], pending["next"])
            return redirect("home")
        _code_failed(request, user, outcome, form)
    context = {
        "form": form,
        "qr_svg": twofactor.qr_svg(device),
        "secret": twofactor.secret_for_typing(device),
        "required": pending is not None,
    }
    return render(request, "accounts/two_factor_setup.html", context, status=400 if form.errors else 200)


class CountedPasswordChangeForm(PasswordChangeForm):
    """The old password is checked through the lock-out, like a sign-in: a session left open
    must not become a place to guess the password without limit."""

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        outcome = check_password_counted(self.user, old_password)
        if outcome is Outcome.LOCKED:
            raise forms.ValidationError(
                _("Too many wrong passwords: the account is locked for a while. Try again later."),
                code="password_locked",
            )
        if outcome is not Outcome.ACCEPTED:
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = CountedPasswordChangeForm
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session.pop(PASSWORD_EXPIRED, None)
        messages.success(self.request, _("Your password has been changed."))
        return response
