"""The statistics read in one pass (reports/statistics_onepass.py) against the SQL
oracle of test_statistics.py: three groupings at once (both kinds of unit with a period),
the page's repeat number and clocks' rates per clock and per unit, for the office's readers
(with petitions the firewall hides from them) and a handling unit's; and office time in a zone
with daylight saving time, written out by hand. On PostgreSQL the same expectations hold for
the summary, which answers the office's readers, and the one pass, which answers the
handling unit's."""

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reports.test_statistics import (
    READERS,
    UNIT_FILTERS,
    _aware,
    _involve_readers,
    after_registration,
    expected,
    filters,
    involved_units,
    keep,
    live_units,
    oracle_clocks,
    oracle_rows,
)
from xinfang.reports.statistics import (
    comparison_period,
    page_statistics,
    parse_statistics_query,
    statistics,
)

pytestmark = pytest.mark.django_db
KEYS = ["channel", "category", "status", "month", "week", "day", "group", "unit", "involved_unit"]


def _reassign_and_involve(users, units, rng):
    """What the random world lacks: a unit whose assignment was withdrawn and then made again
    (one live pair, one withdrawn: the unit counts the petition once), and petitions that
    involve two units (a row in each)."""
    from xinfang.petitions.models import InvolvedUnit, Petition
    from xinfang.petitions.workflow_models import Assignment

    ids = list(Petition.objects.values_list("id", flat=True))
    for pid in rng.sample(ids, min(len(ids), 3)):
        unit = units[rng.choice(["HOUSING", "LABOUR"])]
        Assignment.objects.filter(petition_id=pid, unit=unit).update(status="withdrawn")
        for status in ("withdrawn", "received"):
            Assignment.objects.create(
                petition_id=pid, unit=unit, role="assist", kind="transfer", status=status,
                assigned_by=users["clerk"],
            )  # fmt: skip
    for pid in rng.sample(ids, min(len(ids), 3)):
        for code in ("POLICE", "LABOUR"):
            InvolvedUnit.objects.get_or_create(petition_id=pid, unit=units[code])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    size=st.integers(0, 25),
    f=filters,
    uf=UNIT_FILTERS,
    group_by=st.lists(st.sampled_from(KEYS), min_size=3, max_size=3, unique=True),
)
def test_three_groupings_equal_the_oracle(world_factory, demo_org, seed, size, f, uf, group_by):
    """Every combination of three keys (a petition of two units is a row of each, in every
    combination with the other keys), with the list's filters, for every kind of reader."""
    users, units = demo_org
    f = {**f, **{name: units[code].pk for name, code in uf.items()}}
    with transaction.atomic():
        sid = transaction.savepoint()
        rng = random.Random(seed)
        world_factory(rng, size, timezone.now())
        _reassign_and_involve(users, units, rng)
        if rng.random() < 0.5:
            _involve_readers(users, rng)
        after_registration(rng, timezone.now())
        clocks = oracle_clocks(timezone.now())
        for username, handler in READERS:
            user = users[username]
            result = statistics(user, parse_statistics_query({**f, "group_by": ",".join(group_by)}))
            total, overdue, rows, rate, rates = expected(
                oracle_rows(user, user.unit_id if handler else None),
                f,
                group_by,
                live_units(),
                clocks,
                involved_units(),
            )
            assert (result["total"], result["overdue"], result["on_time_rate"]) == (total, overdue, rate)
            got = {tuple(r[k] for k in group_by): (r["count"], r["overdue"]) for r in result["rows"]}
            assert got == rows, (username, group_by)
            got_rates = {tuple(r[k] for k in group_by): r["on_time_rate"] for r in result["rows"]}
            assert got_rates == rates, (username, group_by)
        transaction.savepoint_rollback(sid)


def oracle_unit_clocks(now) -> dict[int, dict[int, list]]:
    """petition id -> unit -> [(on time, late)] of the clocks a unit runs, by the written rule."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT petition_id, unit_id, met_at, due_at, paused_at FROM petitions_deadline "
            "WHERE unit_id IS NOT NULL"
        )
        rows = cursor.fetchall()
    out: dict[int, dict[int, list]] = {}
    for pid, unit, met, due, paused in rows:
        met, due, paused = (_aware(v) for v in (met, due, paused))
        on_time = met is not None and met <= due
        late = (met is not None and met > due) or (met is None and paused is None and due < now)
        out.setdefault(pid, {}).setdefault(unit, []).append((on_time, late))
    return out


@pytest.mark.parametrize("seed", [5, 17, 29])
def test_page_numbers_read_together_equal_the_oracle(world_factory, demo_org, seed):
    """The page's every section of both periods, its repeat number and its clocks' rates (per
    clock kind and per unit), read together, for each kind of reader. Of the period compared
    with, the page shows the counts alone, and only those are read where it is counted live."""
    from xinfang.petitions.models import Deadline, Petition

    users, units = demo_org
    rng = random.Random(seed)
    world_factory(rng, 40, timezone.now())
    _reassign_and_involve(users, units, rng)
    _involve_readers(users, rng)
    after_registration(rng, timezone.now())
    # Clocks a unit runs (its assignment clock), met in time, late and running past their end.
    for k, pid in enumerate(Petition.objects.values_list("id", flat=True)[:9]):
        unit = units[("HOUSING", "LABOUR", "POLICE")[k % 3]]
        due = timezone.now() - timedelta(days=2)
        Deadline.objects.create(
            petition_id=pid, name=f"assignment:{unit.pk}", rule="2.2", unit=unit,
            starts_at=due - timedelta(days=15), due_at=due,
            met_at=(due - timedelta(hours=1), due + timedelta(hours=1), None)[k % 3],
        )  # fmt: skip
    clocks, unit_clocks = oracle_clocks(timezone.now()), oracle_unit_clocks(timezone.now())
    query = parse_statistics_query({"from": "2026-03-01", "to": "2026-06-30"})
    earlier = comparison_period(query, "previous")
    groupings = ["group", "week", "channel", "category", "unit", "involved_unit", "status"]
    unit_rates = 0
    for username, handler in READERS:
        user = users[username]
        rows_of_user = oracle_rows(user, user.unit_id if handler else None)
        (now, before), repeats, rates = page_statistics(user, [(query, groupings), (earlier, groupings[1:])])
        for result, period, asked in ((now, query, groupings), (before, earlier, groupings[1:])):
            bounds = {
                "from": date.fromisoformat(period.list_params["received_after"]),
                "to": date.fromisoformat(period.list_params["received_before"]),
            }
            for g in asked:
                total, overdue, rows, rate, _rates = expected(
                    rows_of_user, bounds, [g], live_units(), clocks, involved_units()
                )
                got = {(r[g],): (r["count"], r["overdue"]) for r in result[g]["rows"]}
                if result is before:
                    got, rows = {k: n for k, (n, _o) in got.items()}, {k: n for k, (n, _o) in rows.items()}
                    overdue, rate = result[g]["overdue"], result[g]["on_time_rate"]  # not read live
                assert got == rows, (username, g)
                if g == asked[0]:  # the totals come with the first grouping
                    assert (result[g]["total"], result[g]["overdue"], result[g]["on_time_rate"]) == (
                        total,
                        overdue,
                        rate,
                    ), username
        kept = [r for r in rows_of_user if keep(r, {"from": date(2026, 3, 1), "to": date(2026, 6, 30)}, {})]
        assert repeats == sum(r["repeat"] for r in kept), username
        want_clocks, want_units = Counter(), {}
        for r in kept:
            for kind, on_time, late in clocks.get(r["id"], []):
                want_clocks[(kind, "on_time")] += on_time
                want_clocks[(kind, "late")] += late
            for unit, pairs in unit_clocks.get(r["id"], {}).items():
                counts = want_units.setdefault(unit, Counter())
                counts["on_time"] += sum(on_time for on_time, _late in pairs)
                counts["late"] += sum(late for _on_time, late in pairs)
        assert {(c["clock"], n): c[n] for c in rates["clocks"] for n in ("on_time", "late")} == {
            (c["clock"], n): want_clocks[(c["clock"], n)]
            for c in rates["clocks"]
            for n in ("on_time", "late")
        }, username
        assert [(u["unit"], u["on_time"], u["late"]) for u in rates["units"]] == [
            (unit, c["on_time"], c["late"])
            for unit, c in sorted(want_units.items())
            if c["on_time"] or c["late"]
        ], username
        unit_rates += len(rates["units"])
        for clock in ("assignment", "handling"):  # one clock kind's rates, per unit
            params = {"from": "2026-03-01", "to": "2026-06-30", "clock": clock}
            result = statistics(user, parse_statistics_query({**params, "group_by": "unit"}))
            oracle_f = {"from": date(2026, 3, 1), "to": date(2026, 6, 30), "clock": clock}
            _total, _overdue, _rows, rate, rates_by_unit = expected(
                rows_of_user, oracle_f, ["unit"], live_units(), clocks, involved_units()
            )
            assert result["on_time_rate"] == rate, (username, clock)
            assert {(r["unit"],): r["on_time_rate"] for r in result["rows"]} == rates_by_unit, (
                username,
                clock,
            )
    assert unit_rates  # the world has unit clocks to count


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite joins the clocks twice: faster there")
def test_a_live_page_reads_each_clock_once(world_factory, demo_org):
    """A page counted live (a handling officer's) counts its petitions' clocks per petition and
    per clock and unit: on PostgreSQL the clocks table appears once in its statement, read into
    a table expression both take from (the rates joined it again before). The answers
    themselves are held to the oracle above."""
    from django.test.utils import CaptureQueriesContext

    from xinfang.petitions.models import Deadline

    users, _units = demo_org
    world_factory(random.Random(3), 12, timezone.now())
    query = parse_statistics_query({"from": "2026-01-01", "to": "2026-12-31"})
    groupings = ["group", "month", "unit", "involved_unit"]
    with CaptureQueriesContext(connection) as queries:
        page_statistics(
            users["housing"], [(query, groupings), (comparison_period(query, "previous"), groupings[1:])]
        )
    table = connection.ops.quote_name(Deadline._meta.db_table)
    (live,) = [q["sql"] for q in queries.captured_queries if "facts_0" in q["sql"]]
    assert live.count(table) == 1, live
    assert "clocks_0" in live


# --- Office time with daylight saving time -------------------------------------------------
# Europe/Berlin: UTC+1, and UTC+2 from 29 March 2026 01:00 UTC to 25 October 2026 01:00 UTC.
BERLIN = ZoneInfo("Europe/Berlin")
# (moment received, in UTC) -> the office day it belongs to, worked out by hand.
MOMENTS = [
    (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), date(2026, 3, 29)),  # 00:30 CET
    (datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC), date(2026, 3, 29)),  # 01:59:59 CET
    (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), date(2026, 3, 29)),  # 03:00 CEST
    (datetime(2026, 3, 31, 22, 30, tzinfo=UTC), date(2026, 4, 1)),  # 00:30 CEST: April, not March
    (datetime(2026, 4, 5, 22, 15, tzinfo=UTC), date(2026, 4, 6)),  # a Monday from its first hour
    (datetime(2026, 10, 24, 22, 30, tzinfo=UTC), date(2026, 10, 25)),  # 00:30 CEST
    (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), date(2026, 10, 25)),  # 02:30 CEST
    (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), date(2026, 10, 25)),  # 02:30 CET, the hour again
    (datetime(2026, 10, 31, 23, 30, tzinfo=UTC), date(2026, 11, 1)),  # 00:30 CET: November
    (datetime(2026, 1, 31, 23, 0, tzinfo=UTC), date(2026, 2, 1)),  # midnight CET: February
]


def test_the_office_zones_changes_of_offset_are_found_to_the_second():
    from xinfang.reports.statistics_onepass import offsets

    with override_settings(TIME_ZONE="Europe/Berlin"):
        found = offsets(datetime(2026, 1, 1, tzinfo=BERLIN), datetime(2026, 12, 31, 23, 59, tzinfo=BERLIN))
    assert found == [
        (None, timedelta(hours=1)),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), timedelta(hours=2)),
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), timedelta(hours=1)),
    ]
    with override_settings(TIME_ZONE="Asia/Shanghai"):
        assert offsets(datetime(2020, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)) == [
            (None, timedelta(hours=8))
        ]


@pytest.mark.parametrize(
    "period", [{}, {"from": "2026-03-29", "to": "2026-11-01"}, {"from": "2026-01-15", "to": "2026-12-31"}]
)
def test_days_weeks_and_months_follow_a_zone_with_daylight_saving_time(register, demo_org, period):
    """Each petition falls in the office day, Monday's week and month of its moment in office
    time, on both sides of each change of offset, with and without a period (without one, the
    first and last moment received bound the changes looked for). On PostgreSQL, with a filter
    the summary does not keep (`mine`: the clerk registered them all), so that the live pass
    answers: the summary fixes its zone when its functions are created (summary_sql.py)."""
    users, _units = demo_org
    live = {"mine": "true"} if connection.vendor == "postgresql" else {}
    with override_settings(TIME_ZONE="Europe/Berlin"):
        for moment, _day in MOMENTS:
            register(received_at=moment.isoformat())
        lo = date.fromisoformat(period["from"]) if period else date.min
        hi = date.fromisoformat(period["to"]) if period else date.max
        days = [day for _moment, day in MOMENTS if lo <= day <= hi]
        for key, of in (
            ("day", date.isoformat),
            ("week", lambda d: (d - timedelta(days=d.weekday())).isoformat()),
            ("month", lambda d: d.strftime("%Y-%m")),
        ):
            result = statistics(users["clerk"], parse_statistics_query({**period, **live, "group_by": key}))
            assert {r[key]: r["count"] for r in result["rows"]} == dict(Counter(of(d) for d in days)), key
            assert result["total"] == len(days)


def test_rows_come_in_their_keys_order_with_no_key_last(register, demo_org):
    """Rows grouped by handling unit and by month, read live (`mine`: a filter the summary does
    not keep), come in their keys' own order with the petitions of no unit last, on both
    databases: unit ids of different lengths among them, which PostgreSQL's shared text columns would sort
    as "10…" < "9…"."""
    from xinfang.accounts.models import Unit, UnitKind
    from xinfang.petitions.workflow_models import Assignment

    users, _units = demo_org
    # Ids of seven and eight digits, past any the sequences gave: text would sort 10… before 9….
    ids = [9_000_000 + n for n in range(5)] + [10_000_000 + n for n in range(6)]
    extra = [
        Unit.objects.create(pk=pk, code=f"ORDER{pk}", name=f"Order {pk}", kind=UnitKind.DEPARTMENT)
        for pk in ids
    ]
    petitions = [register(received_at=f"2026-0{m}-10T10:00:00+08:00") for m in (5, 3, 4)]
    for k, unit in enumerate(extra):
        Assignment.objects.create(
            petition=petitions[k % 2], unit=unit, role="assist", kind="transfer", status="received",
            assigned_by=users["clerk"],
        )  # fmt: skip
    unassigned = Assignment.objects.filter(petition=petitions[2]).count() == 0
    params = {"mine": "true", "from": "2026-01-01", "to": "2026-12-31"}
    result = statistics(users["clerk"], parse_statistics_query({**params, "group_by": "unit"}))
    units = [r["unit"] for r in result["rows"]]
    want = sorted(
        {u.pk for u in extra}
        | set(Assignment.objects.filter(petition__in=petitions).values_list("unit_id", flat=True))
    )
    assert units == want + ([None] if unassigned else [])
    months = statistics(users["clerk"], parse_statistics_query({**params, "group_by": "month"}))["rows"]
    assert [r["month"] for r in months] == ["2026-03", "2026-04", "2026-05"]
