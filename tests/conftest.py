"""Fixtures shared by every test."""

import pytest
from django.utils import timezone

from xinfang.audit.services import Context
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition


@pytest.fixture
def demo_org(db):
    """The demo organisation of API.md, returned as {username: user} and {code: unit}."""
    from xinfang.accounts.demo import create_demo_organisation
    from xinfang.accounts.models import Unit, User
    from xinfang.petitions.categories import seed_categories
    from xinfang.petitions.models import Category

    # Transactional tests flush the database afterwards, seeded rows included.
    seed_categories(Category)
    from xinfang.deadlines.models import CalendarDay, CalendarYear, DeadlinePolicy
    from xinfang.deadlines.seed import seed_policies, sync_calendar

    if not DeadlinePolicy.objects.exists():
        seed_policies(DeadlinePolicy)
        sync_calendar(CalendarYear, CalendarDay)
    create_demo_organisation("demo-pass-2026")
    users = {u.username: u for u in User.objects.select_related("unit")}
    units = {u.code: u for u in Unit.objects.all()}
    return users, units


@pytest.fixture(autouse=True)
def _default_language():
    """Django's locale middleware activates the request's language in the thread and leaves it
    there; a test that asked in English left the next test's lazy messages in English."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The API's throttles count in the cache; one test's requests must not limit another's."""
    from django.core.cache import cache

    from xinfang.deadlines import clock_cache

    # The clocks' per-day memo outlives a test's rolled-back calendar and policies.
    clock_cache.clear_local()
    cache.clear()
    yield
    cache.clear()
    clock_cache.clear_local()


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
def housing_sub_unit(demo_org):
    """A section under the housing bureau (code SUB) with a handling officer of its own, h2:
    demo_org's users, its units with SUB added, and h2 (for the read policy's "a unit above")."""
    from xinfang.accounts.models import Role, Unit, User, UserRole

    users, units = demo_org
    sub = Unit.objects.create(
        code="SUB", name="住建局物业科", kind=units["HOUSING"].kind, parent=units["HOUSING"]
    )
    officer = User.objects.create(username="h2", name="钱七", unit=sub)
    UserRole.objects.create(user=officer, role=Role.HANDLER)
    return users, {**units, "SUB": sub}, officer


@pytest.fixture
def register(demo_org):
    users, _units = demo_org

    def _register(actor="clerk", **overrides):
        petition, _created = register_petition(
            ctx=Context(actor=users[actor]), data=check_registration(letter(**overrides))
        )
        return petition

    return _register
