import pytest
from django.utils import timezone

from xinfang.audit.services import Context
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition


def letter(**overrides):
    data = {
        "channel": "letter",
        "received_at": timezone.now().isoformat(),
        "petitioners": [
            {
                "name": "王五",
                "id_number": "11010519491231002X",
                "phone": "13800138000",
                "address": "通川区朝阳路1号",
            }
        ],
        "title": "小区路灯损坏",
        "content": "小区路灯坏了三个月无人修理。",
        "requests": "尽快修复",
        "category": "urban_construction",
    }
    data.update(overrides)
    return data


@pytest.fixture
def register(demo_org):
    users, _units = demo_org

    def _register(actor="clerk", **overrides):
        petition, _created = register_petition(
            ctx=Context(actor=users[actor]), data=check_registration(letter(**overrides))
        )
        return petition

    return _register


@pytest.fixture
def tamper():
    """Run raw SQL as someone who went around the application and its triggers (on
    PostgreSQL a superuser can: session_replication_role = replica skips them)."""
    from django.db import connection

    def run(sql, params=()):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = replica")
            try:
                cursor.execute(sql, params)
            finally:
                if connection.vendor == "postgresql":
                    cursor.execute("SET session_replication_role = DEFAULT")

    return run
