"""The statistics page reads all its sections (and the comparison period's) at once: on
PostgreSQL one statement for the summary's stored rows of every section, grouped by GROUPING
SETS; read live (SQLite, a handling unit's reader, filters the summary does not know) one
UNION ALL of every section's aggregate. Each section must be what the section's own read says,
and what the SQL oracle of test_statistics.py counts, for random worlds, filters, intervals and
comparisons."""

import random
from datetime import date

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reports.test_statistics import (
    UNIT_FILTERS,
    _involve_readers,
    after_registration,
    expected,
    filters,
    involved_units,
    live_units,
    oracle_clocks,
    oracle_rows,
)
from xinfang.reports.pages import SECTIONS
from xinfang.reports.statistics import (
    StatisticsQuery,
    comparison_period,
    parse_statistics_query,
    statistics,
    statistics_sets,
)

pytestmark = pytest.mark.django_db
READERS = (("clerk", False), ("deputy", False), ("housing", True))


def _groupings(interval: str) -> list[str]:
    """The page's groupings in the order build_page asks them (the group flag gives the totals)."""
    return ["group", *[grouping or interval for _key, grouping, _chart in SECTIONS]]


def _oracle_filters(f: dict, query: StatisticsQuery) -> dict:
    """The oracle's filters for a query: the drawn ones with the query's own period."""
    out = {k: v for k, v in f.items() if k not in ("from", "to")}
    params = query.list_params or {}
    for name, target in (("received_after", "from"), ("received_before", "to")):
        if params.get(name):
            out[target] = date.fromisoformat(params[name])
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    size=st.integers(0, 25),
    f=filters,
    uf=UNIT_FILTERS,
    interval=st.sampled_from(["day", "week", "month"]),
    compare=st.sampled_from(["", "previous", "year"]),
)
def test_page_sections_read_together_equal_each_section_and_the_oracle(
    world_factory, demo_org, seed, size, f, uf, interval, compare
):
    users, units = demo_org
    f = {**f, **{name: units[code].pk for name, code in uf.items()}}
    if compare:  # a comparison needs both ends of the period
        f.setdefault("from", date(2026, 2, 1))
        f.setdefault("to", date(2026, 5, 31))
    if f.get("from") and f.get("to") and interval == "day" and (f["to"] - f["from"]).days > 200:
        interval = "week"  # keep the oracle's day rows few
    with transaction.atomic():
        sid = transaction.savepoint()
        world_factory(random.Random(seed), size, timezone.now())
        if random.Random(seed).random() < 0.5:
            _involve_readers(users, random.Random(seed))
        after_registration(random.Random(seed), timezone.now())
        clocks = oracle_clocks(timezone.now())
        units_now, involved_now = live_units(), involved_units()
        params = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in f.items()}
        for username, handler in READERS:
            user = users[username]
            query = parse_statistics_query(params)
            groupings = _groupings(interval)
            asks = [(query, groupings)]
            previous = comparison_period(query, compare) if compare else None
            if previous:
                asks.append((previous, [g for g in groupings if g != interval]))
            together = statistics_sets(user, asks)
            rows_of_user = oracle_rows(user, user.unit_id if handler else None)
            for (asked, asked_groupings), results in zip(asks, together, strict=True):
                oracle_f = _oracle_filters(f, asked)
                for g in asked_groupings:
                    single = StatisticsQuery(asked.filters, [g], asked.clock, asked.list_params)
                    first = g == asked_groupings[0]
                    # The section read on its own (one question at a time, as before).
                    assert results[g] == statistics(user, single, totals=first), (username, g)
                    total, overdue, rows, rate, rates = expected(
                        rows_of_user, oracle_f, [g], units_now, clocks, involved_now
                    )
                    got = {(r[g],): (r["count"], r["overdue"]) for r in results[g]["rows"]}
                    assert got == rows, (username, g, oracle_f)
                    got_rates = {(r[g],): r["on_time_rate"] for r in results[g]["rows"]}
                    assert got_rates == rates, (username, g)
                    if first:
                        assert (results[g]["total"], results[g]["overdue"]) == (total, overdue)
                        assert results[g]["on_time_rate"] == rate
        transaction.savepoint_rollback(sid)


# The statistics page's statements for the office (the clerk), after the session's user and
# roles. PostgreSQL: the summary's stored rows of every section and period (1); the category
# codes of the category section (1); per period the firewall's hidden petitions and the clocks
# due today for the sections that partition the petitions (2), and the same for each kind of
# unit (4); the repeat number (2); the on-time rates per clock and unit (4); the labels'
# categories and units (2); the page's filter choices, categories and units (2); the portal's
# satisfaction section (1); the notifications badge (1). Before the sections were read
# together: 35 and 54 statements. SQLite (live aggregates): every section's rows and the
# totals of both periods in one UNION ALL (before: 8 and 15 statements); the repeat COUNT;
# two clock-rate aggregates; the same labels, choices, portal section and badge.
PAGE_STATEMENTS = {
    # (vendor, compare): statements
    ("postgresql", ""): 1 + 1 + 6 + 2 + 4 + 2 + 2 + 1 + 1,
    ("postgresql", "previous"): 1 + 1 + 6 + 6 + 2 + 4 + 2 + 2 + 1 + 1,
    ("sqlite", ""): 1 + 1 + 2 + 2 + 2 + 1 + 1,
    ("sqlite", "previous"): 1 + 1 + 2 + 2 + 2 + 1 + 1,
}
SESSION = 2  # the session and its user with roles


@pytest.mark.parametrize("compare", ["", "previous"])
def test_statistics_page_statements_do_not_grow_with_the_data(
    world_factory, demo_org, django_assert_num_queries, compare
):
    users, _units = demo_org
    client = Client()
    client.force_login(users["clerk"])
    path = f"/statistics/?from=2026-01-01&to=2026-06-30&interval=week&compare={compare}"
    assert client.get(path).status_code == 200  # warm: the session's first write
    statements = SESSION + PAGE_STATEMENTS[(connection.vendor, compare)]
    world_factory(random.Random(3), 5, timezone.now())
    with django_assert_num_queries(statements):
        assert client.get(path).status_code == 200
    world_factory(random.Random(4), 30, timezone.now())
    with django_assert_num_queries(statements):
        assert client.get(path).status_code == 200
