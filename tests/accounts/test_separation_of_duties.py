"""Role changes obey separation of duties (三员分立; issue 8, item 2). The system
administrator gave itself the clerk role in the admin and then read every petition.
Now: nobody changes their own roles, administrators hold no petition role, a petition
role takes effect only when a second system administrator approves it, and every
grant, revocation, password reset and two-factor reset reaches the access log."""

import pytest
from django.test import Client

from xinfang.accounts.models import Role, RoleRequest, User, UserRole
from xinfang.audit.models import AccessLog
from xinfang.petitions.models import Petition

PASSWORD = "demo-pass-2026"


def inline(*roles, existing=()):
    data = {
        "roles-TOTAL_FORMS": str(len(existing) + len(roles)),
        "roles-INITIAL_FORMS": str(len(existing)),
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
    }
    for i, (pk, role) in enumerate(existing):
        data.update({f"roles-{i}-id": str(pk), f"roles-{i}-role": role, f"roles-{i}-user": ""})
    for j, role in enumerate(roles, start=len(existing)):
        data[f"roles-{j}-role"] = role
    return data


def change_user(client, user, *roles):
    existing = [(r.pk, r.role) for r in UserRole.objects.filter(user=user)]
    data = {
        "username": user.username,
        "name": user.name,
        "unit": user.unit_id or "",
        "is_active": "on",
        "last_login_0": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        **inline(*roles, existing=existing),
    }
    for i, (_pk, _role) in enumerate(existing):
        data[f"roles-{i}-user"] = str(user.pk)
    return client.post(f"/admin/accounts/user/{user.pk}/change/", data)


@pytest.fixture
def second_admin(demo_org):
    users, units = demo_org
    other = User.objects.create(username="admin2", name="赵敏", unit=users["admin"].unit)
    other.set_password(PASSWORD)
    other.save()
    UserRole.objects.create(user=other, role=Role.SYSTEM_ADMIN)
    return other


def admin_client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_system_administrator_cannot_give_itself_a_role(demo_org, register):
    users, _units = demo_org
    register()
    admin = users["admin"]
    response = change_user(admin_client(admin), admin, Role.CLERK)
    assert response.status_code == 200  # the form again, with the refusal
    assert set(UserRole.objects.filter(user=admin).values_list("role", flat=True)) == {Role.SYSTEM_ADMIN}
    assert not RoleRequest.objects.exists()
    assert not Petition.objects.visible_to(User.objects.get(pk=admin.pk)).exists()


def test_an_administrator_holds_no_petition_role_even_with_a_second_person(demo_org, second_admin):
    users, _units = demo_org
    response = change_user(admin_client(second_admin), users["admin"], Role.CLERK)
    assert response.status_code == 200
    assert not UserRole.objects.filter(user=users["admin"], role=Role.CLERK).exists()
    response = change_user(admin_client(second_admin), users["auditor"], Role.SYSTEM_ADMIN)
    assert response.status_code == 200, "audit and system administration are two people"


def test_a_petition_role_waits_for_a_second_administrator(demo_org, second_admin, register):
    users, _units = demo_org
    register()
    teacher = User.objects.create(username="clerk3", name="何静", unit=users["clerk"].unit)
    response = change_user(admin_client(users["admin"]), teacher, Role.CLERK)
    assert response.status_code == 302, response.content[:1000]
    assert not UserRole.objects.filter(user=teacher).exists(), "not effective before approval"
    grant = RoleRequest.objects.get(user=teacher)
    # The requester cannot approve its own request…
    admin_client(users["admin"]).post(
        "/admin/accounts/rolerequest/", {"action": "approve", "_selected_action": [grant.pk]}
    )
    assert not UserRole.objects.filter(user=teacher).exists()
    # …a second administrator can.
    admin_client(second_admin).post(
        "/admin/accounts/rolerequest/", {"action": "approve", "_selected_action": [grant.pk]}
    )
    assert set(UserRole.objects.filter(user=teacher).values_list("role", flat=True)) == {Role.CLERK}
    assert Petition.objects.visible_to(User.objects.get(pk=teacher.pk)).exists()
    logged = list(AccessLog.objects.filter(object_ref="clerk3").values_list("action", "user__username"))
    assert ("account.role_requested", "admin") in logged
    assert ("account.role_granted", "admin2") in logged


def test_revocations_and_resets_reach_the_access_log(demo_org, second_admin):
    users, _units = demo_org
    client = admin_client(second_admin)
    clerk = users["clerk2"]
    role = UserRole.objects.get(user=clerk)
    data = {
        "username": clerk.username,
        "name": clerk.name,
        "unit": clerk.unit_id,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        **inline(existing=[(role.pk, role.role)]),
        "roles-0-user": str(clerk.pk),
        "roles-0-DELETE": "on",
    }
    assert client.post(f"/admin/accounts/user/{clerk.pk}/change/", data).status_code == 302
    assert not UserRole.objects.filter(user=clerk).exists()
    client.post(
        f"/admin/accounts/user/{clerk.pk}/password/",
        {"password1": "Xf-strong-pass-9", "password2": "Xf-strong-pass-9", "usable_password": "true"},
    )
    client.post("/admin/accounts/user/", {"action": "reset_two_factor", "_selected_action": [clerk.pk]})
    actions = set(AccessLog.objects.filter(object_ref="clerk2").values_list("action", flat=True))
    assert {"account.role_revoked", "account.password_reset", "account.2fa_reset"} <= actions
