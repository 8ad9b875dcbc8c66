"""The read policy (DESIGN.md §5) as it stands for registration: office staff and
leaders see petitions unless they involve them; nobody else sees any."""

import pytest

from xinfang.accounts.models import Role, Unit, UnitKind, User, UserRole
from xinfang.petitions.models import InvolvedUnit, Petition


def visible(user):
    return set(Petition.objects.visible_to(user).values_list("number", flat=True))


def test_office_staff_and_leaders_see_petitions(register, demo_org):
    users, _units = demo_org
    petition = register()
    for name in ("clerk", "clerk2", "secgen", "chair", "deputy"):
        assert visible(users[name]) == {petition.number}, name


@pytest.mark.parametrize("name", ["housing", "labour", "police", "auditor", "admin"])
def test_others_see_nothing(register, demo_org, name):
    users, _units = demo_org
    register()
    assert visible(users[name]) == set()


def test_superuser_flag_grants_nothing(register, demo_org):
    users, _units = demo_org
    register()
    admin = users["admin"]
    admin.is_superuser = True
    admin.save()
    assert visible(User.objects.get(pk=admin.pk)) == set()


def test_involved_unit_and_units_beneath_it_never_see(register, demo_org):
    users, units = demo_org
    # A petition complaining about the whole leadership hides it from every leader beneath.
    # Registration now refuses such an involvement (services/reach.py); the row is written
    # directly, as in data from before, because the read policy must hide it all the same.
    hidden = register()
    InvolvedUnit.objects.create(petition=hidden, unit=units["CPPCC"])
    shown = register()
    for name in ("secgen", "chair", "deputy", "clerk"):
        assert visible(users[name]) == {shown.number}, name
    assert hidden.number not in visible(users["clerk2"])


def test_sibling_unit_is_not_hidden(register, demo_org):
    users, units = demo_org
    petition = register(involved_units=[units["SECGEN"].pk])
    assert petition.number not in visible(users["secgen"])
    assert petition.number in visible(users["chair"])


def test_involved_person_never_sees(register, demo_org):
    users, _units = demo_org
    petition = register(involved_persons=[{"name": "王建国", "user": "secgen"}])
    assert petition.number not in visible(users["secgen"])
    assert petition.number in visible(users["chair"])


def test_units_with_prefix_ids_are_matched_exactly(register, demo_org):
    """Unit 1 involved must not hide unit 12's users, and the other way round (AC-9)."""
    users, units = demo_org
    # Explicit ids where one is a prefix of the other, as in OTRS CVE-2009-5055.
    short = Unit.objects.create(
        pk=880001, code="P1", name="一科", kind=UnitKind.DEPARTMENT, parent=units["OFFICE"]
    )
    long = Unit.objects.create(
        pk=8800012, code="P2", name="二科", kind=UnitKind.DEPARTMENT, parent=units["OFFICE"]
    )
    clerk = User.objects.create(username="prefix-clerk", unit=long)
    UserRole.objects.create(user=clerk, role=Role.CLERK)
    hidden_from_short = register(involved_units=[short.pk])
    hidden_from_long = register(involved_units=[long.pk])
    assert visible(User.objects.get(pk=clerk.pk)) == {hidden_from_short.number}
    assert hidden_from_long.number not in visible(User.objects.get(pk=clerk.pk))


def test_moving_a_unit_moves_its_subtree(demo_org):
    _users, units = demo_org
    office, general = units["OFFICE"], units["GENERAL"]
    office.parent = units["SECGEN"]
    office.save()
    general.refresh_from_db()
    assert general.ancestor_ids == [units["CPPCC"].pk, units["SECGEN"].pk, office.pk, general.pk]
