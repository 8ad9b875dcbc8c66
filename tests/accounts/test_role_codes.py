"""The roles read with the session's or the token's user (accounts/role_codes.py) are exactly
the user's rows in the roles table: the oracle is a plain SELECT of those rows."""

import pytest
from django.db import connection

from xinfang.accounts.backends import LockoutBackend
from xinfang.accounts.models import ApiToken, Role, User, UserRole

pytestmark = pytest.mark.django_db


def oracle(user_id) -> frozenset:
    with connection.cursor() as cursor:
        cursor.execute("SELECT role FROM accounts_userrole WHERE user_id = %s", [user_id])
        return frozenset(row[0] for row in cursor.fetchall())


def test_every_demo_user_and_a_user_with_many_and_none(demo_org):
    users, _units = demo_org
    many = User.objects.create_user("many", password="x")
    for role in (Role.CLERK, Role.HANDLER, Role.DEPUTY_SECRETARY_GENERAL):
        UserRole.objects.create(user=many, role=role)
    User.objects.create_user("none", password="x")
    backend = LockoutBackend()
    for user in User.objects.all():
        expected = oracle(user.pk)
        assert backend.get_user(user.pk).role_codes == expected, user.username
        _token, raw = ApiToken.issue(user)
        assert ApiToken.find_live(raw).user.role_codes == expected, user.username
    assert backend.get_user(many.pk).role_codes == {"clerk", "handler", "deputy_secretary_general"}
    assert backend.get_user(User.objects.get(username="none").pk).role_codes == frozenset()


def test_an_inactive_user_has_no_roles_and_no_session(demo_org):
    users, _units = demo_org
    clerk = users["clerk"]
    _token, raw = ApiToken.issue(clerk)
    User.objects.filter(pk=clerk.pk).update(is_active=False)
    assert LockoutBackend().get_user(clerk.pk) is None
    assert ApiToken.find_live(raw).user.role_codes == frozenset()  # and authentication refuses it
    assert oracle(clerk.pk)  # the rows are still there; only their use stops
