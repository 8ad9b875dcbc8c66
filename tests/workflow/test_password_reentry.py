"""Password re-entry by a signed-in user counts towards the lock-out like a sign-in
(issue 8, item 5): sign-off and the password change. Twelve wrong passwords used to
lock nothing."""

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from tests.accounts.conftest import sign_in
from tests.workflow.conftest import PASSWORD
from xinfang.accounts.lockout import is_locked
from xinfang.audit.services import Context
from xinfang.core.errors import Forbidden
from xinfang.petitions.actions import perform
from xinfang.petitions.workflow_models import Signoff


def test_wrong_sign_off_passwords_lock_the_account(drive, demo_org, settings):
    users, _units = demo_org
    petition = drive("result_submitted")
    for _ in range(settings.LOCKOUT_FAILURES):
        with pytest.raises(Forbidden):
            perform(Context(actor=users["housing"]), petition, "sign_off", {"password": "wrong"})
    assert is_locked("housing")
    # Locked: even the right password signs nothing and signs nobody in.
    with pytest.raises(Forbidden):
        perform(Context(actor=users["housing"]), petition, "sign_off", {"password": PASSWORD})
    assert not Signoff.objects.exists()
    assert authenticate(None, username="housing", password=PASSWORD) is None
    reasons = [e.data["reason"] for e in petition.events.filter(action="petition.sign_off_refused")]
    assert reasons == ["wrong_password"] * settings.LOCKOUT_FAILURES + ["account_locked"]


def test_a_right_sign_off_password_after_a_few_wrong_ones_still_signs(drive, demo_org, settings):
    users, _units = demo_org
    petition = drive("result_submitted")
    for _ in range(settings.LOCKOUT_FAILURES - 1):
        with pytest.raises(Forbidden):
            perform(Context(actor=users["housing"]), petition, "sign_off", {"password": "wrong"})
    perform(Context(actor=users["housing"]), petition, "sign_off", {"password": PASSWORD})
    assert Signoff.objects.filter(user=users["housing"]).exists()
    assert not is_locked("housing")


def test_wrong_old_passwords_on_the_change_page_lock_the_account(demo_org, settings):
    client = Client()
    sign_in(client, "clerk")
    new = "Wxyz-2026-new"
    for _ in range(settings.LOCKOUT_FAILURES):
        response = client.post(
            "/accounts/password/", {"old_password": "wrong", "new_password1": new, "new_password2": new}
        )
        assert response.status_code == 200
    assert is_locked("clerk")
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 200, "a locked account cannot change its password either"
    assert authenticate(None, username="clerk", password=new) is None
