"""`Petition.objects.visible_to(user)` keeps the read policy it built on the user object
(querysets.PetitionManager): one build per request instead of one per use (issue 9), and never
an answer different from building it again: what the policy reads of the user is part of what is
kept, and the rows are read by the database on every use."""

from __future__ import annotations

import pytest
from django.test import Client

from xinfang.accounts.models import Role, User, UserRole
from xinfang.petitions.models import InvolvedUnit, Petition
from xinfang.petitions.querysets import PetitionQuerySet
from xinfang.petitions.workflow_models import Assignment, AssignmentKind, AssignmentRole

pytestmark = pytest.mark.django_db


def _numbers(qs) -> set[str]:
    return set(qs.values_list("number", flat=True))


def _assign(petition, unit, by):
    Assignment.objects.create(
        petition=petition, unit=unit, role=AssignmentRole.LEAD, kind=AssignmentKind.ASSIGNMENT, assigned_by=by
    )


@pytest.fixture
def builds(monkeypatch):
    """How many times the policy's conditions were put together."""
    calls = []
    build = PetitionQuerySet.visible_to

    def counted(self, user):
        calls.append(user.pk)
        return build(self, user)

    monkeypatch.setattr(PetitionQuerySet, "visible_to", counted)
    return calls


@pytest.mark.parametrize("username", ["clerk", "housing"])
@pytest.mark.parametrize("path", ["/", "/petitions/", "/deadlines/", "/notifications/", "PETITION"])
def test_a_page_builds_the_policy_once(demo_org, register, builds, username, path):
    """Before: the list page twice (its rows and the header's unread count), the home page up
    to six times (queues, my work, the deadlines' cards, the header), the petition page three.
    The home page keeps its statements per reader (petitions/home.py): the first request builds
    the policy once, and the next builds it no more."""
    from xinfang.petitions import home

    home._KEPT.clear()  # kept by an earlier test for a reader with the same ids
    users, units = demo_org
    petition = register()
    _assign(petition, units["HOUSING"], users["clerk"])
    client = Client()
    client.force_login(users[username])
    response = client.get(f"/petitions/{petition.number}/" if path == "PETITION" else path)
    assert response.status_code == 200
    assert builds == [users[username].pk]
    if path == "/":
        assert client.get(path).status_code == 200
        assert builds == [users[username].pk]


def test_every_call_is_a_fresh_queryset(demo_org, register):
    users, _units = demo_org
    clerk = User.objects.get(username="clerk")
    first = register()
    seen = Petition.objects.visible_to(clerk)
    assert _numbers(seen) == {first.number}
    list(seen)  # evaluated: its rows are cached on that queryset only
    second = register()
    again = Petition.objects.visible_to(clerk)
    assert again is not seen
    assert {p.number for p in again} == {first.number, second.number}
    # Narrowing one leaves the next untouched.
    assert _numbers(again.filter(pk=first.pk)) == {first.number}
    assert _numbers(Petition.objects.visible_to(clerk)) == {first.number, second.number}


def test_rows_written_since_are_read(demo_org, register):
    """Nothing read from the tables is kept: an involvement added after the first read hides."""
    users, units = demo_org
    clerk = User.objects.get(username="clerk")
    petition = register()
    assert _numbers(Petition.objects.visible_to(clerk)) == {petition.number}
    InvolvedUnit.objects.create(petition=petition, unit=units["GENERAL"])
    assert _numbers(Petition.objects.visible_to(clerk)) == set()


def test_a_changed_user_object_gets_its_own_policy(demo_org, register):
    """The same user object after its unit, roles or active flag change reads what a fresh
    build reads (the kept policy is keyed by what it was built from)."""
    users, units = demo_org
    clerk = users["clerk"]
    at_housing, at_labour = register(), register()
    _assign(at_housing, units["HOUSING"], clerk)
    _assign(at_labour, units["LABOUR"], clerk)
    officer = User.objects.select_related("unit").get(username="housing")
    assert _numbers(Petition.objects.visible_to(officer)) == {at_housing.number}

    officer.unit = units["LABOUR"]  # moved to another unit
    assert _numbers(Petition.objects.visible_to(officer)) == {at_labour.number}

    UserRole.objects.create(user=officer, role=Role.CLERK)  # given an office role
    del officer.role_codes
    assert _numbers(Petition.objects.visible_to(officer)) == {at_housing.number, at_labour.number}

    UserRole.objects.create(user=officer, role=Role.SYSTEM_ADMIN)  # an administrator reads none
    del officer.role_codes
    assert _numbers(Petition.objects.visible_to(officer)) == set()

    officer.roles.filter(role=Role.SYSTEM_ADMIN).delete()
    del officer.role_codes
    officer.is_active = False
    assert _numbers(Petition.objects.visible_to(officer)) == set()
    officer.is_active = True
    assert _numbers(Petition.objects.visible_to(officer)) == {at_housing.number, at_labour.number}


def test_two_users_never_share_a_policy(demo_org, register):
    users, units = demo_org
    petition = register()
    InvolvedUnit.objects.create(petition=petition, unit=units["SECGEN"])
    secgen, chair = User.objects.get(username="secgen"), User.objects.get(username="chair")
    assert _numbers(Petition.objects.visible_to(secgen)) == set()
    assert _numbers(Petition.objects.visible_to(chair)) == {petition.number}
    assert _numbers(Petition.objects.visible_to(secgen)) == set()
