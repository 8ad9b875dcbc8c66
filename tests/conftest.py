"""Fixtures shared by every test."""

import pytest


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
def _fresh_cache():
    """The API's throttles count in the cache; one test's requests must not limit another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
