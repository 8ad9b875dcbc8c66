"""The system administrator manages units, users and categories in the admin
screens; nobody else gets in, and a superuser flag opens nothing."""

import pytest

from xinfang.accounts.models import RoleRequest, Unit, User
from xinfang.petitions.models import Category


@pytest.fixture
def admin_client(client, demo_org):
    users, _units = demo_org
    client.force_login(users["admin"])
    return client


def test_system_admin_sees_units_users_and_categories(admin_client):
    index = admin_client.get("/admin/")
    assert index.status_code == 200
    for path in ("/admin/accounts/unit/", "/admin/accounts/user/", "/admin/petitions/category/"):
        assert admin_client.get(path).status_code == 200, path
    # No petition content in the administrator's screens (三员分立).
    assert b"/admin/petitions/petition/" not in index.content
    assert admin_client.get("/admin/petitions/petition/").status_code == 404


def test_system_admin_creates_a_unit_beneath_another(admin_client, demo_org):
    _users, units = demo_org
    response = admin_client.post(
        "/admin/accounts/unit/add/",
        {
            "code": "EDU",
            "name": "市教育局",
            "kind": "department",
            "parent": units["CPPCC"].pk,
            "active": "on",
            "sort_order": 20,
        },
    )
    assert response.status_code == 302, response.content[:500]
    unit = Unit.objects.get(code="EDU")
    assert unit.ancestor_ids == [units["CPPCC"].pk, unit.pk]


def test_system_admin_creates_a_user_with_a_role(admin_client, demo_org):
    _users, units = demo_org
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "clerk3",
            "name": "何静",
            "unit": units["GENERAL"].pk,
            "password1": "Xf-strong-pass-9",
            "password2": "Xf-strong-pass-9",
            "roles-TOTAL_FORMS": "1",
            "roles-INITIAL_FORMS": "0",
            "roles-MIN_NUM_FORMS": "0",
            "roles-MAX_NUM_FORMS": "1000",
            "roles-0-role": "clerk",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    user = User.objects.get(username="clerk3")
    # A petition role waits for a second administrator (test_separation_of_duties.py).
    assert user.unit == units["GENERAL"] and not user.has_role("clerk")
    assert RoleRequest.objects.filter(user=user, role="clerk", approved__isnull=True).exists()
    assert user.check_password("Xf-strong-pass-9")


def test_nothing_can_be_deleted(admin_client, demo_org):
    users, units = demo_org
    assert admin_client.get(f"/admin/accounts/unit/{units['HOUSING'].pk}/delete/").status_code == 403
    assert admin_client.get(f"/admin/accounts/user/{users['clerk'].pk}/delete/").status_code == 403
    category = Category.objects.first()
    assert admin_client.get(f"/admin/petitions/category/{category.pk}/delete/").status_code == 403


def test_a_unit_cannot_move_beneath_itself(admin_client, demo_org):
    _users, units = demo_org
    office = units["OFFICE"]
    response = admin_client.post(
        f"/admin/accounts/unit/{office.pk}/change/",
        {
            "code": "OFFICE",
            "name": "办公室",
            "kind": "department",
            "parent": units["GENERAL"].pk,
            "active": "on",
            "sort_order": 1,
        },
    )
    assert response.status_code == 200  # the form again, with the error
    office.refresh_from_db()
    assert office.parent == units["CPPCC"]


@pytest.mark.parametrize("name", ["clerk", "secgen", "housing", "auditor"])
def test_other_roles_are_kept_out(client, demo_org, name):
    users, _units = demo_org
    client.force_login(users[name])
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_superuser_flag_alone_opens_nothing(client, demo_org):
    users, _units = demo_org
    clerk = users["clerk"]
    clerk.is_superuser = clerk.is_staff = True
    clerk.save()
    client.force_login(clerk)
    assert client.get("/admin/accounts/user/").status_code == 302


def test_signed_in_without_the_role_is_refused_not_looped(client, demo_org):
    client.force_login(demo_org[0]["clerk"])
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403


@pytest.mark.parametrize("name", ["市教育局\u202egpj.exe", "市教育局\n伪造", "\u2066市教育局"])
def test_unit_names_refuse_control_and_direction_characters(admin_client, demo_org, name):
    _users, units = demo_org
    response = admin_client.post(
        "/admin/accounts/unit/add/",
        {"code": "EDU", "name": name, "kind": "department", "parent": units["CPPCC"].pk, "sort_order": 20},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "U+" in response.content.decode()
    assert not Unit.objects.filter(code="EDU").exists()
