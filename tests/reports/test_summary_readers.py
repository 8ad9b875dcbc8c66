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
