"""The session's row and its user read in one statement (accounts/sessions.py,
SessionUserMiddleware): the user is the one the session's data names, with the unit and roles
the tables hold, and Django's checks still decide whether the request is signed in (an
inactive account, a changed password, a session naming someone else than its row's column)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from xinfang.accounts.backends import LockoutBackend
from xinfang.accounts.middleware import SessionUserMiddleware
from xinfang.accounts.models import User, UserSession
from xinfang.accounts.sessions import SessionStore

from .conftest import sign_in

pytestmark = pytest.mark.django_db


def roles_oracle(user_id) -> frozenset:
    with connection.cursor() as cursor:
        cursor.execute("SELECT role FROM accounts_userrole WHERE user_id = %s", [user_id])
        return frozenset(row[0] for row in cursor.fetchall())


def signed_in_key(username: str) -> str:
    client = Client()
    assert sign_in(client, username).status_code == 302
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def resolve(key: str):
    """request.user as the middleware gives it, with the statements that resolving it issued."""
    request = RequestFactory().get("/")
    request.session = SessionStore(key)
    SessionUserMiddleware(lambda r: None).process_request(request)
    with CaptureQueriesContext(connection) as queries:
        user = request.user
        user.is_authenticated  # noqa: B018  (resolves the lazy object)
        unit_name = user.unit.name if getattr(user, "unit_id", None) else None
        roles = getattr(user, "role_codes", frozenset())
    return request, user, unit_name, roles, len(queries)


@pytest.mark.parametrize("username", ["clerk", "secgen", "housing", "auditor"])
def test_one_statement_gives_the_user_its_unit_and_roles(demo_org, username):
    users, _units = demo_org
    expected = users[username]
    _request, user, unit_name, roles, statements = resolve(signed_in_key(username))
    assert statements == 1  # the session's row with the user, the unit and the roles
    assert user.is_authenticated and user.pk == expected.pk and user.username == username
    assert unit_name == (expected.unit.name if expected.unit_id else None)
    assert roles == roles_oracle(expected.pk) and roles


def test_an_account_made_inactive_after_sign_in_is_not_signed_in(demo_org):
    key = signed_in_key("clerk")
    User.objects.filter(username="clerk").update(is_active=False)
    _request, user, _unit, _roles, _n = resolve(key)
    assert not user.is_authenticated


def test_a_password_changed_elsewhere_flushes_the_session(demo_org):
    key = signed_in_key("clerk")
    User.objects.filter(username="clerk").update(password=make_password("another-pass-2026"))
    request, user, _unit, _roles, _n = resolve(key)
    assert not user.is_authenticated
    assert SESSION_KEY not in request.session and HASH_SESSION_KEY not in request.session
    assert not UserSession.objects.filter(session_key=key).exists()


def test_the_sessions_data_decides_the_user_not_its_rows_column(demo_org):
    """A row whose user column names someone else (as a row written before the column was
    kept would): the user is the one the data names, read on its own."""
    users, _units = demo_org
    key = signed_in_key("clerk")
    UserSession.objects.filter(session_key=key).update(user=users["housing"])
    _request, user, _unit, roles, statements = resolve(key)
    assert user.pk == users["clerk"].pk and roles == roles_oracle(users["clerk"].pk)
    assert statements == 2


def test_an_expired_or_unknown_session_is_anonymous(demo_org):
    _request, user, _unit, _roles, _n = resolve("x" * 32)
    assert not user.is_authenticated


def test_the_backend_reads_the_user_itself_outside_the_middleware(demo_org):
    """Nothing is offered outside a request's resolution: the backend issues its own statement
    and sees the row as it is now."""
    users, _units = demo_org
    key = signed_in_key("clerk")
    resolve(key)
    User.objects.filter(pk=users["clerk"].pk).update(name="改过的名字")
    with CaptureQueriesContext(connection) as queries:
        user = LockoutBackend().get_user(users["clerk"].pk)
    assert len(queries) == 1 and user.name == "改过的名字"


def test_pages_and_sign_out_work_with_the_joined_read(demo_org):
    client = Client()
    assert sign_in(client, "housing").status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/petitions/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302
