"""Lock-out after five failures, for the web sign-in and the API alike, holding under
parallel attempts (AU-1, AU-2), with one answer for every kind of failure (AU-4)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import connection
from django.test import Client
from django.utils import timezone

from xinfang.accounts.lockout import is_locked, state_key
from xinfang.accounts.models import LoginState, User
from xinfang.accounts.signals import account_locked

from .conftest import PASSWORD, sign_in


def fail(times: int, username: str = "clerk"):
    for _ in range(times):
        assert authenticate(None, username=username, password="wrong-password") is None


def test_the_fifth_failure_locks_and_a_locked_name_is_not_checked(demo_org, monkeypatch):
    fail(4)
    assert not is_locked("clerk")
    fail(1)
    assert is_locked("clerk")
    checked = []
    monkeypatch.setattr(User, "check_password", lambda self, raw: checked.append(raw) or True)
    assert authenticate(None, username="clerk", password=PASSWORD) is None
    assert checked == [], "a locked account's password must not even be checked"


def test_the_lock_runs_out(demo_org, settings):
    import time_machine

    fail(5)
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.LOCKOUT_MINUTES, seconds=1)):
        assert authenticate(None, username="clerk", password=PASSWORD) is not None
        fail(4)
        assert not is_locked("clerk"), "the count started afresh after the lock"


def test_success_resets_the_count(demo_org):
    fail(4)
    assert authenticate(None, username="clerk", password=PASSWORD) is not None
    fail(4)
    assert not is_locked("clerk")


def test_unknown_names_are_counted_and_not_stored_as_typed(db):
    fail(5, username="nobody-Pa55word!")
    assert is_locked("nobody-Pa55word!")
    row = LoginState.objects.get()
    assert row.key == state_key("nobody-Pa55word!")
    assert "nobody" not in row.key


def test_locking_is_signalled_once_and_every_failure_too(
    demo_org, collected, django_capture_on_commit_callbacks
):
    locked = collected(account_locked)
    failed = collected(user_login_failed)
    with django_capture_on_commit_callbacks(execute=True):
        fail(7)
    assert len(locked) == 1
    assert locked[0]["username"] == "clerk" and locked[0]["locked_until"] > timezone.now()
    assert len(failed) == 7


def test_a_web_sign_in_is_signalled_with_its_request(demo_org, collected):
    signed_in = collected(user_logged_in)
    failed = collected(user_login_failed)
    sign_in(Client(), password="wrong-password")
    sign_in(Client())
    assert [entry["user"].username for entry in signed_in] == ["clerk"]
    assert signed_in[0]["request"].path == "/accounts/login/"
    assert failed[0]["credentials"]["username"] == "clerk"
    assert failed[0]["request"].path == "/accounts/login/"


# --- no enumeration -------------------------------------------------------------------------


def alert(response) -> str:
    match = re.search(r'<div class="alert alert--error".*?</div>', response.content.decode(), re.S)
    assert match, response.content.decode()[:2000]
    return match.group(0)


def test_web_answers_alike_for_wrong_password_unknown_user_and_locked_account(demo_org):
    wrong = sign_in(Client(), "clerk2", "wrong-password")
    unknown = sign_in(Client(), "nobody", PASSWORD)
    fail(5, "clerk")
    locked = sign_in(Client(), "clerk", PASSWORD)
    assert wrong.status_code == unknown.status_code == locked.status_code == 200
    assert alert(wrong) == alert(unknown) == alert(locked)
    assert "用户名或密码不正确" in alert(locked)


def token(username, password, **body):
    return Client().post(
        "/api/v1/auth/token",
        {"username": username, "password": password, **body},
        content_type="application/json",
    )


def test_api_answers_alike_for_wrong_password_unknown_user_and_locked_account(demo_org):
    wrong = token("clerk2", "wrong-password")
    unknown = token("nobody", PASSWORD)
    fail(5, "clerk")
    locked = token("clerk", PASSWORD)
    assert wrong.status_code == unknown.status_code == locked.status_code == 401
    assert wrong.json() == unknown.json() == locked.json()
    assert wrong["WWW-Authenticate"] == locked["WWW-Authenticate"] == "Bearer"


def test_api_failures_count_towards_the_same_lock(demo_org, collected):
    failed = collected(user_login_failed)
    for _ in range(5):
        assert token("clerk", "wrong-password").status_code == 401
    assert is_locked("clerk")
    assert sign_in(Client()).status_code == 200, "the web sign-in is locked as well"
    assert len(failed) == 6
    assert failed[0]["request"].path == "/api/v1/auth/token"


def test_api_sign_in_is_signalled(demo_org, collected):
    signed_in = collected(user_logged_in)
    assert token("clerk", PASSWORD).status_code == 200
    assert [entry["user"].username for entry in signed_in] == ["clerk"]
    assert signed_in[0]["request"].path == "/api/v1/auth/token"


# --- concurrency ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempts", [30])
def test_parallel_wrong_passwords_get_at_most_five_checks(demo_org, monkeypatch, settings, attempts):
    """Zammad CVE-2022-35490: a burst of parallel guesses must not slip past the limit."""
    checks = []
    guard = threading.Lock()
    original = User.check_password

    def counting_check(self, raw):
        with guard:
            checks.append(raw)
        return original(self, raw)

    monkeypatch.setattr(User, "check_password", counting_check)
    start = threading.Barrier(attempts)
    results = []

    def attempt(n):
        try:
            start.wait()
            results.append(authenticate(None, username="clerk", password=f"guess-{n}"))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [None] * attempts
    assert len(checks) == settings.LOCKOUT_FAILURES
    state = LoginState.objects.get(key=state_key("clerk"))
    assert state.failures == settings.LOCKOUT_FAILURES
    assert state.locked_until > timezone.now()
    # The right password is refused now, unchecked.
    assert authenticate(None, username="clerk", password=PASSWORD) is None
    assert len(checks) == settings.LOCKOUT_FAILURES
