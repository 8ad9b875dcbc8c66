"""The statistics page reads all its sections (and the comparison period's) at once: on
PostgreSQL one statement for the summary's stored rows of every section, grouped by GROUPING
SETS; read live (SQLite, a handling unit's reader, filters the summary does not know) one
UNION ALL of every section's aggregate. Each section must be what the section's own read says,
and what the SQL oracle of test_statistics.py counts, for random worlds, filters, intervals and
comparisons."""

import json
import random
import re
from datetime import date, timedelta
from html import escape, unescape
from urllib.parse import parse_qsl

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reports.test_statistics import (
    UNIT_FILTERS,
    _involve_readers,
    _start_of_today,
    after_registration,
    expected,
    filters,
    involved_units,
    keep,
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
        _assert_sets_equal_the_oracle(users, f, interval, compare)
        transaction.savepoint_rollback(sid)


def _assert_sets_equal_the_oracle(users, f: dict, interval: str, compare: str) -> None:
    """The page's sections of both periods read together, for each reader: each equal to the
    section read on its own and to the oracle's counts."""
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


@pytest.mark.parametrize(
    ("first", "last", "compare"),
    [
        ("2026-04-01", "2026-06-30", "previous"),
        ("2026-02-01", "2026-05-31", "year"),
        # Longer than a year: the year before overlaps it, so each period is read on its own.
        ("2025-03-01", "2026-06-30", "year"),
    ],
)
def test_both_periods_read_together_keep_hidden_petitions_and_todays_clocks_apart(
    world_factory, demo_org, first, last, compare
):
    """On PostgreSQL the firewall's petitions and today's clocks of both periods are one
    statement per grouping, each row labelled with its period. In each period (and in the days
    both share, when they overlap) a petition hidden from the office's unit and running clocks
    due earlier today, one of them on a hidden petition: each counted in its own period only."""
    from xinfang.petitions.models import Deadline, InvolvedUnit, Petition
    from xinfang.petitions.workflow_models import Assignment

    users, _units = demo_org
    now = timezone.now()
    world_factory(random.Random(12), 36, now)
    moved = list(Petition.objects.order_by("pk").values_list("pk", flat=True))[::3]
    for petition in Petition.objects.filter(pk__in=moved):
        petition.received_at -= timedelta(days=365)  # the year before has petitions too
        petition.save(update_fields=["received_at"])
        # With the assignments' copy of the time, as services/registration.py corrects a time:
        # a handling officer's petitions of a period are found by it.
        Assignment.objects.filter(petition=petition).update(received_at=petition.received_at)
    query = parse_statistics_query({"from": first, "to": last})
    previous = comparison_period(query, compare)
    office = users["clerk"].unit.parent or users["clerk"].unit
    for asked in (query, previous):
        lo, hi = asked.filters.received_after, asked.filters.received_before
        inside = list(Petition.objects.filter(received_at__range=(lo, hi)).order_by("pk")[:3])
        assert len(inside) == 3, (lo, hi)
        InvolvedUnit.objects.get_or_create(petition=inside[0], unit=office)
        for petition in inside[:2]:
            Deadline.objects.get_or_create(  # one petition may be in both periods
                petition=petition,
                name="superior_report",
                defaults={
                    "rule": "4.6",
                    "starts_at": now - timedelta(days=2),
                    "due_at": max(now - timedelta(minutes=1), _start_of_today(now)),
                },
            )
    f = {"from": date.fromisoformat(first), "to": date.fromisoformat(last)}
    _assert_sets_equal_the_oracle(users, f, "month", compare)


def test_every_grouping_read_live_at_once_counts_a_petition_once_per_group(api, world_factory, demo_org):
    """On PostgreSQL the firewall's petitions and today's clocks are read for every grouping in
    one statement (GROUPING SETS over the petitions joined to their handling units, involved
    units and clocks: a petition with two of each is four rows before its clocks). Counts
    written out: a hidden petition and a visible one, each with two handling and two involved
    units, the visible one with two clocks that fell due earlier today; a third with nothing."""
    from xinfang.petitions.models import Deadline, InvolvedUnit
    from xinfang.petitions.workflow_models import Assignment

    users, units = demo_org
    now = timezone.now()
    hidden, overdue, plain = world_factory(random.Random(7), 3, now)
    for model in (Assignment, InvolvedUnit, Deadline):
        model.objects.filter(petition__in=[hidden, overdue, plain]).delete()
    office = users["clerk"].unit.parent or users["clerk"].unit
    housing, labour, police = units["HOUSING"], units["LABOUR"], units["POLICE"]
    for petition, involved in ((hidden, (office, housing)), (overdue, (police, labour))):
        for k, unit in enumerate((housing, labour)):
            Assignment.objects.create(
                petition=petition,
                unit=unit,
                role="lead" if k == 0 else "assist",
                kind="transfer",
                status="received",
                assigned_by=users["clerk"],
            )
        for unit in involved:
            InvolvedUnit.objects.create(petition=petition, unit=unit)
    due_today = max(now - timedelta(minutes=1), _start_of_today(now))
    for petition, name, due, met in (
        (hidden, "handling", now - timedelta(days=3), now - timedelta(days=4)),  # met on time
        (hidden, "reply", now - timedelta(days=3), now - timedelta(days=2)),  # met late
        (hidden, "transfer", now - timedelta(days=2), None),  # overdue since before today
        (overdue, "handling", due_today, None),
        (overdue, "reply", due_today, None),
    ):
        Deadline.objects.create(
            petition=petition,
            name=name,
            rule="4.6",
            starts_at=now - timedelta(days=10),
            due_at=due,
            met_at=met,
        )
    query = parse_statistics_query({})
    (together,) = statistics_sets(users["clerk"], [(query, ["group", "channel", "unit", "involved_unit"])])
    # The clerk sees `overdue` (both clocks late, due today) and `plain` (no clock).
    assert (together["group"]["total"], together["group"]["overdue"]) == (2, 1)
    assert together["group"]["on_time_rate"] == 0.0
    counts = {
        g: sorted(((r[g], r["count"], r["overdue"], r["on_time_rate"]) for r in together[g]["rows"]), key=str)
        for g in ("channel", "unit", "involved_unit")
    }
    channels = {}
    for petition, late in ((overdue, 1), (plain, 0)):
        count, flagged = channels.get(petition.channel, (0, 0))
        channels[petition.channel] = (count + 1, flagged + late)
    assert counts["channel"] == sorted(
        ((c, n, o, 0.0 if o else None) for c, (n, o) in channels.items()), key=str
    )
    assert counts["unit"] == sorted(
        [(housing.pk, 1, 1, 0.0), (labour.pk, 1, 1, 0.0), (None, 1, 0, None)], key=str
    )
    assert counts["involved_unit"] == sorted(
        [(police.pk, 1, 1, 0.0), (labour.pk, 1, 1, 0.0), (None, 1, 0, None)], key=str
    )
    for g in ("unit", "involved_unit"):  # the API: its totals and rows read together
        body = api("clerk").get("/api/v1/statistics", group_by=g).json()
        assert (body["total"], body["overdue"], body["on_time_rate"]) == (2, 1, 0.0), g
        assert (
            sorted(((r[g], r["count"], r["overdue"], r["on_time_rate"]) for r in body["rows"]), key=str)
            == counts[g]
        )


# The statistics page's statements for the office (the clerk), after the session's user and
# roles. PostgreSQL: the summary's stored rows of every section and period (1); the category
# codes of the category section (1); the firewall's hidden petitions and the clocks due today,
# one statement each for every section (2: GROUPING SETS; before: 6, one pair for the sections
# that partition the petitions and one per kind of unit), each for both periods at once
# (before that: per period, 6 more with a comparison); the repeat number (2); the on-time rates
# per clock and unit (2: the stored rows of both tables, then the live parts, each one UNION
# ALL; before: 4); the categories
# and units, for the tables' labels and the filter form's choices alike (2: they were read
# twice, 4, before the labels gave the form its choices); the portal's satisfaction section
# (1); the notifications badge (1). Before the sections were read together: 35 and 54
# statements. SQLite (statistics_onepass): every section's rows and the totals of both periods,
# the repeat number and the clocks' rates in one statement over the petitions read once (before:
# one UNION ALL of the sections, the repeat COUNT and two clock-rate aggregates, 4; before that
# 8 and 15 statements); the same categories and units, portal section and badge.
PAGE_STATEMENTS = {
    # (vendor, compare): statements
    ("postgresql", ""): 1 + 1 + 2 + 2 + 2 + 2 + 1 + 1,
    ("postgresql", "previous"): 1 + 1 + 2 + 2 + 2 + 2 + 1 + 1,
    ("sqlite", ""): 1 + 2 + 1 + 1,
    ("sqlite", "previous"): 1 + 2 + 1 + 1,
}
SESSION = 1  # the session with its user and roles (2 before issue 9's round 13)


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


# --- The rendered page against the oracle ----------------------------------------------------
# The page is read back as a person reads it (the HTML tables, cards and links), for several
# filter sets and readers, and every number, label, rate and link is checked against the SQL
# oracle of test_statistics.py and the filters the cell stands for, worked out here.

ROW = re.compile(
    r'<tr><th scope="row">(?P<label>[^<]*)</th>\s*<td><a href="(?P<link>[^"]+)">(?P<count>\d+)</a></td>'
    r"\s*<td>(?P<overdue>.*?)</td>\s*<td>(?P<rate>[^<]*)</td>\s*(?:<td>(?P<previous>\d+)</td>)?</tr>"
)
OVERDUE_CELL = re.compile(r'<a href="(?P<link>[^"]+)">(?P<n>\d+)</a>')
SECTION = re.compile(r'<section class="panel stat-section" id="section-(\w+)">(.*?)</section>', re.S)
CARD = re.compile(
    r'<a class="card"(?: id="[^"]*")? href="([^"]+)"><span class="card__count">(\d+)</span> ([^<]+?)\s*(?:<|$)'
)
PAGE_CASES = [
    # (query string of the page, the oracle's filters, interval, the period compared with)
    ("", {}, "month", None),
    (
        "from=2026-02-10&to=2026-05-20&interval=week&compare=previous",
        {"from": date(2026, 2, 10), "to": date(2026, 5, 20)},
        "week",
        (date(2025, 10, 31), date(2026, 2, 9)),
    ),
    (
        "from=2026-03-01&to=2026-03-31&interval=day&channel=letter",
        {"from": date(2026, 3, 1), "to": date(2026, 3, 31), "channel": "letter"},
        "day",
        None,
    ),
    (
        "from=2026-01-15&to=2026-06-30&status=open&category=housing&compare=year",
        {"from": date(2026, 1, 15), "to": date(2026, 6, 30), "status": "open", "category": "housing"},
        "month",
        (date(2025, 1, 15), date(2025, 6, 30)),
    ),
    ("assigned_unit=HOUSING&interval=month", {"assigned_unit": "HOUSING"}, "month", None),
]


def _expected_label(grouping, key):
    from xinfang.accounts.models import Unit
    from xinfang.petitions.choices import Channel, Status
    from xinfang.petitions.models import Category

    if key is None:
        return "(not assigned)" if grouping == "unit" else "(none)"
    if grouping in ("unit", "involved_unit"):
        return Unit.objects.get(pk=key).name
    if grouping == "category":
        category = Category.objects.get(code=key)
        return category.name_en or category.name
    if grouping == "channel":
        return str(Channel(key).label)
    if grouping == "status":
        return str(Status(key).label)
    return key  # a month, week or day as its ISO text


def _cell_filters(page_filters: dict, grouping, key) -> dict:
    """The list parameters of a cell: the page's filters narrowed to the cell's group."""
    out = dict(page_filters)
    if grouping in ("month", "week", "day"):
        if grouping == "month":
            first = date.fromisoformat(key + "-01")
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        else:
            first = date.fromisoformat(key)
            last = first + timedelta(days=6 if grouping == "week" else 0)
        if "received_after" in out:
            first = max(first, date.fromisoformat(out["received_after"]))
        if "received_before" in out:
            last = min(last, date.fromisoformat(out["received_before"]))
        out.update(received_after=first.isoformat(), received_before=last.isoformat())
    elif grouping == "unit":
        if key is not None:
            out["assigned_unit"] = str(key)
    elif grouping == "involved_unit":
        if key is not None:
            out["involved_unit"] = str(key)
    else:
        out[grouping] = key
    return out


def _params(link: str) -> dict:
    path, _sep, query = unescape(link).partition("?")
    assert path == "/petitions/"
    pairs = parse_qsl(query)
    assert len({k for k, _v in pairs}) == len(pairs), link  # each parameter once
    return dict(pairs)


def _row_key(grouping, params: dict):
    """Which group a row stands for, from its link (checked against the oracle's keys)."""
    if grouping in ("month", "week", "day"):
        return None  # read from the label
    if grouping == "unit":
        return int(params["assigned_unit"]) if "assigned_unit" in params else None
    if grouping == "involved_unit":
        return int(params["involved_unit"]) if "involved_unit" in params else None
    return params[grouping]


@pytest.mark.parametrize("case", range(len(PAGE_CASES)))
def test_rendered_page_numbers_labels_and_links_equal_the_oracle(world_factory, demo_org, case):
    users, units = demo_org
    raw, f, interval, earlier = PAGE_CASES[case]
    if "assigned_unit" in f:
        raw = raw.replace("HOUSING", str(units["HOUSING"].pk))
        f = {**f, "assigned_unit": units["HOUSING"].pk}
    rng = random.Random(20 + case)
    world_factory(rng, 40, timezone.now())
    _involve_readers(users, rng)
    after_registration(rng, timezone.now())
    clocks = oracle_clocks(timezone.now())
    units_now, involved_now = live_units(), involved_units()
    today = timezone.localdate()
    if "from" not in f:  # the page's default period: twelve months up to today
        start = date(today.year - 1, today.month, 1) if today.month < 12 else date(today.year, 1, 1)
        f = {**f, "from": start, "to": today}
    page_filters = {"received_after": f["from"].isoformat(), "received_before": f["to"].isoformat()}
    page_filters.update({k: str(v) for k, v in f.items() if k not in ("from", "to")})
    for username, handler in READERS:
        user = users[username]
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        response = client.get("/statistics/?" + raw)
        assert response.status_code == 200
        html = response.content.decode()
        rows_of_user = oracle_rows(user, user.unit_id if handler else None)

        def oracle(grouping, period_f=f, rows_of_user=rows_of_user):
            return expected(
                rows_of_user, period_f, [grouping] if grouping else [], units_now, clocks, involved_now
            )

        # The cards: received, overdue now, repeat and group petitions, each with its list.
        total, overdue, _rows, rate, _rates = oracle(None)
        kept = [r for r in rows_of_user if keep(r, f, units_now, involved_now)]
        cards = {label.strip(): (_params(link), int(n)) for link, n, label in CARD.findall(html)}
        assert cards["petitions received"] == (page_filters, total), username
        assert cards["overdue now"] == ({**page_filters, "overdue": "true"}, overdue), username
        assert cards["repeat petitions"] == (
            {**page_filters, "repeat": "true"},
            sum(r["repeat"] for r in kept),
        ), username
        assert cards["group petitions"] == ({**page_filters, "group": "true"}, sum(r["group"] for r in kept))
        shown_rate = re.search(r"On-time rate of all clocks: <strong>([^<]+)</strong>", html).group(1)
        assert shown_rate == ("—" if rate is None else f"{round(rate * 100)}%"), username
        if earlier:
            before = {**f, "from": earlier[0], "to": earlier[1]}
            assert f"before: {oracle(None, before)[0]}" in html, username

        sections = dict(SECTION.findall(html))
        for key, grouping, _chart in SECTIONS:
            grouping = grouping or interval
            body = sections[key]
            _t, _o, want, _r, want_rates = oracle(grouping)
            got = ROW.findall(body)
            if not want:
                assert not got and "No petitions." in body, (username, key)
                continue
            seen = {}
            for label, link, count, overdue_cell, rate_text, previous in got:
                params = _params(link)
                group = label if grouping in ("month", "week", "day") else _row_key(grouping, params)
                assert label == escape(_expected_label(grouping, group)), (username, key, group)
                assert params == _cell_filters(page_filters, grouping, group), (username, key, link)
                count_want, overdue_want = want[(group if grouping != "day" else label,)]
                assert int(count) == count_want, (username, key, group)
                if overdue_want:
                    cell = OVERDUE_CELL.fullmatch(overdue_cell)
                    assert cell and int(cell.group("n")) == overdue_want, (username, key, group)
                    assert _params(cell.group("link")) == {**params, "overdue": "true"}
                else:
                    assert overdue_cell == "0", (username, key, group)
                row_rate = want_rates[(group,)]
                assert rate_text == ("—" if row_rate is None else f"{round(row_rate * 100)}%")
                if earlier and key != "intake":
                    before = {**f, "from": earlier[0], "to": earlier[1]}
                    was = oracle(grouping, before)[2].get((group,), (0, 0))[0]
                    assert previous == str(was), (username, key, group)
                else:
                    assert previous == "", (username, key)
                seen[group] = int(count)
            assert set(seen) == {k[0] for k in want}, (username, key)
            counts = list(seen.values())
            if key == "intake":  # in time order
                assert list(seen) == sorted(seen), (username, key)
            else:  # largest first
                assert counts == sorted(counts, reverse=True), (username, key)
            # The chart draws the table's numbers.
            chart = json.loads(unescape(re.search(r'data-chart="([^"]*)"', body).group(1)))
            assert chart["labels"] == [unescape(label) for label, *_rest in got]
            assert chart["values"] == counts
