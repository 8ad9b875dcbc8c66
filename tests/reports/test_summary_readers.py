"""Which readers' questions the statistics summary answers, and as which question
(summary_scope.summary_query): the decision written out reader by reader. Whether the answers
then equal what each reader may see is test_statistics.py's oracle, for the same readers."""

import pytest
from django.db import connection

from xinfang.accounts.models import Role, Unit, UnitKind, User, UserRole
from xinfang.reports import summary
from xinfang.reports.statistics import parse_statistics_query

pytestmark = pytest.mark.django_db


def _sub_unit_handler(units):
    """A handling officer of a section under the housing bureau: they also see the bureau's."""
    section = Unit.objects.create(
        code="HOUSING-A", name="住建局物业科", kind=UnitKind.DEPARTMENT, parent=units["HOUSING"]
    )
    user = User.objects.create(username="housing-a", name="钱进", unit=section)
    UserRole.objects.create(user=user, role=Role.HANDLER)
    return User.objects.select_related("unit").get(pk=user.pk)


def test_the_questions_each_reader_asks_of_the_summary(demo_org):
    users, units = demo_org
    housing, labour, police = (units[code].pk for code in ("HOUSING", "LABOUR", "POLICE"))
    section = _sub_unit_handler(units)
    # (reader, parameters, the filters the summary is asked with instead: None when it is not)
    office = {"clerk", "deputy"}
    matrix = [
        ("clerk", {}, {}),
        ("clerk", {"group_by": "unit"}, {}),
        ("clerk", {"assigned_unit": str(labour)}, {"assigned_unit": labour}),
        ("deputy", {"group_by": "channel", "repeat": "true"}, {"repeat": True}),
        ("housing", {}, {"assigned_unit": housing}),
        ("housing", {"group_by": "month"}, {"assigned_unit": housing}),
        ("housing", {"group_by": "category", "group": "true"}, {"group": True, "assigned_unit": housing}),
        ("housing", {"assigned_unit": str(housing)}, {"assigned_unit": housing}),
        ("housing", {"assigned_unit": str(labour)}, None),  # the units of both
        ("housing", {"group_by": "unit"}, None),  # the other units of their petitions
        ("housing", {"group_by": "involved_unit"}, None),
        ("housing", {"involved_unit": str(police)}, None),
        ("housing", {"q": "补偿"}, None),  # text search is never in the summary
        ("housing-a", {}, None),  # sees the bureau's too: a petition of both would count twice
        ("admin", {}, None),  # reads no petition at all
        ("auditor", {}, None),
    ]
    users["housing-a"] = section
    for username, params, filters in matrix:
        query = parse_statistics_query(params)
        asked = summary.summary_query(users[username], query)
        if connection.vendor != "postgresql":  # the summary is kept on PostgreSQL only
            assert asked is None, username
            continue
        if filters is None:
            assert asked is None, (username, params)
            continue
        assert asked is not None, (username, params)
        assert asked.filters.extra == filters, (username, params)
        assert asked.group_by == query.group_by
        # The office's questions are answered as asked; a handling officer's as rewritten.
        assert summary.applies(users[username], query) == (username in office)
        assert (asked is query) == (username in office)


def test_a_handling_officer_with_few_petitions_in_the_period_is_counted_live(
    world_factory, demo_org, monkeypatch, django_assert_num_queries
):
    """Below LIVE_BELOW live assignments of their unit in the period, a handling officer's
    question is counted over their petitions (the cheaper of two exact answers); at or above
    it, read from the summary. The assignments counted by hand here, the answers compared
    between both paths."""
    import random
    from datetime import date, datetime, time

    from django.utils import timezone

    from xinfang.accounts.models import User
    from xinfang.petitions.deadlines import office_tz
    from xinfang.petitions.querysets import PetitionQuerySet
    from xinfang.petitions.workflow_models import Assignment
    from xinfang.reports import summary_scope
    from xinfang.reports.statistics import statistics

    users, units = demo_org
    world_factory(random.Random(5), 40, timezone.now())
    live = Assignment.objects.filter(unit=units["HOUSING"]).exclude(status="withdrawn")
    params = {"from": "2026-01-01", "to": "2026-07-31", "group_by": "channel"}
    start = datetime.combine(date(2026, 1, 1), time.min, tzinfo=office_tz())
    end = datetime.combine(date(2026, 7, 31), time.max, tzinfo=office_tz())
    n = sum(1 for a in live if start <= a.received_at <= end)
    assert n >= 3  # the world gives the housing bureau a few
    query = parse_statistics_query(params)
    answers = {}
    for threshold, summarised in ((n + 1, False), (n, True), (0, True)):
        monkeypatch.setattr(summary_scope, "LIVE_BELOW", threshold)
        user = User.objects.select_related("unit").get(username="housing")  # nothing kept yet
        PetitionQuerySet.reader(user)  # their roles, read once for a request as on every page
        with django_assert_num_queries(0):  # whether it could answer, the size not read
            could = summary.summary_query(user, query, sized=False) is not None
        assert could == (connection.vendor == "postgresql")
        asked = summary.summary_query(user, query)
        if connection.vendor != "postgresql":
            assert asked is None
        else:
            assert (asked is not None) == summarised, threshold
            # The size is read once per period for the request's user object, at most once.
            with django_assert_num_queries(0):
                assert (summary.summary_query(user, query) is not None) == summarised
        answers[threshold] = statistics(user, query)
    assert answers[n + 1] == answers[n] == answers[0]
