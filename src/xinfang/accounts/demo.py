"""The demo organisation of API.md: created on an empty database only, on request."""

from __future__ import annotations

from django.db import transaction

from xinfang.accounts.models import Role, Unit, UnitKind, User, UserRole

DEFAULT_DEMO_PASSWORD = "demo-pass-2026"

# (code, name, kind, parent code)
DEMO_UNITS = [
    ("CPPCC", "市政协", UnitKind.LEADERSHIP, None),
    ("OFFICE", "办公室", UnitKind.DEPARTMENT, "CPPCC"),
    ("GENERAL", "办公室综合科", UnitKind.PETITION_OFFICE, "OFFICE"),
    ("SECGEN", "秘书长", UnitKind.LEADERSHIP, "CPPCC"),
    ("CHAIR", "主席", UnitKind.LEADERSHIP, "CPPCC"),
    ("DEPUTY", "副秘书长", UnitKind.LEADERSHIP, "CPPCC"),
    ("HOUSING", "市住房和城乡建设局", UnitKind.DEPARTMENT, None),
    ("LABOUR", "市人力资源和社会保障局", UnitKind.DEPARTMENT, None),
    ("POLICE", "市公安局", UnitKind.PUBLIC_SECURITY, None),
    ("SUPERIOR", "市信访局", UnitKind.SUPERIOR, None),
]

# (username, full name, role, unit code)
DEMO_USERS = [
    ("clerk", "张丽", Role.CLERK, "GENERAL"),
    ("clerk2", "李强", Role.CLERK, "GENERAL"),
    ("secgen", "王建国", Role.SECRETARY_GENERAL, "SECGEN"),
    ("chair", "陈志远", Role.PRINCIPAL_LEADER, "CHAIR"),
    ("deputy", "刘文华", Role.DEPUTY_SECRETARY_GENERAL, "DEPUTY"),
    ("housing", "赵敏", Role.HANDLER, "HOUSING"),
    ("labour", "孙磊", Role.HANDLER, "LABOUR"),
    ("police", "周涛", Role.HANDLER, "POLICE"),
    ("auditor", "吴芳", Role.AUDIT_ADMIN, "OFFICE"),
    ("admin", "郑海", Role.SYSTEM_ADMIN, "OFFICE"),
]

# Departments whose results the deputy Secretary-General signs off (Rule 3.3).
DEPUTY_IN_CHARGE_OF = ("HOUSING", "LABOUR", "POLICE")


def database_is_empty() -> bool:
    return not Unit.objects.exists() and not User.objects.exists()


@transaction.atomic
def create_demo_organisation(password: str) -> None:
    units: dict[str, Unit] = {}
    for order, (code, name, kind, parent) in enumerate(DEMO_UNITS):
        units[code] = Unit.objects.create(
            code=code, name=name, kind=kind, parent=units.get(parent) if parent else None, sort_order=order
        )
    users = {}
    for username, name, role, unit in DEMO_USERS:
        user = User(username=username, name=name, unit=units[unit])
        # The system administrator manages units and users in the admin screens.
        user.is_staff = role == Role.SYSTEM_ADMIN
        user.set_password(password)
        user.save()
        UserRole.objects.create(user=user, role=role)
        users[username] = user
    Unit.objects.filter(code__in=DEPUTY_IN_CHARGE_OF).update(leader_in_charge=users["deputy"])
