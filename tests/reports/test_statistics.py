"""Statistics equal an independent oracle: SQL COUNT queries written out here, and a small
Python reference over the raw rows for what SQL would make awkward (months in office time)."""

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinfang.reports import summary
from xinfang.reports.statistics import parse_statistics_query, statistics

TZ = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db
QUERIES_AUTH = 1  # the bearer token with its user and the user's roles


def _hidden_units(user):
    """The user's unit and every unit above it, walked by hand (the Rule 4.3 firewall)."""
    ids, unit = [], user.unit
    while unit is not None:
        ids.append(unit.pk)
        unit = unit.parent
    return ids


def oracle_rows(user, handler_unit=None):
    """Every petition `user` may see, with what the statistics group and filter by, via SQL."""
    hidden = ",".join(str(i) for i in _hidden_units(user)) or "NULL"
    sql = f"""
        SELECT p.id, p.channel, c.code, p.status, p.received_at, p.is_group,
          EXISTS (SELECT 1 FROM petitions_deadline d WHERE d.petition_id = p.id AND d.met_at IS NULL
                  AND d.paused_at IS NULL AND d.due_at < %s),
          EXISTS (SELECT 1 FROM petitions_petition_repeat_of r WHERE r.from_petition_id = p.id)
        FROM petitions_petition p JOIN petitions_category c ON c.id = p.category_id
        WHERE NOT EXISTS (SELECT 1 FROM petitions_involvedunit i WHERE i.petition_id = p.id
                          AND i.unit_id IN ({hidden}))
          AND NOT EXISTS (SELECT 1 FROM petitions_involvedperson v WHERE v.petition_id = p.id
                          AND v.user_id = %s)
    """
    params = [timezone.now(), user.pk]
    if handler_unit is not None:
        sql += """ AND EXISTS (SELECT 1 FROM petitions_assignment a WHERE a.petition_id = p.id
                   AND a.unit_id = %s AND a.status <> 'withdrawn')"""
        params.append(handler_unit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = []
    for pid, channel, category, status, received, is_group, overdue, repeat in rows:
        if isinstance(received, str):  # SQLite hands back text
            received = datetime.fromisoformat(received)
        if timezone.is_naive(received):
            received = received.replace(tzinfo=ZoneInfo("UTC"))
        out.append(
            {
                "id": pid,
                "channel": channel,
                "category": category,
                "status": status,
                "month": received.astimezone(TZ).strftime("%Y-%m"),
                "day": received.astimezone(TZ).date(),
                "week": _monday(received.astimezone(TZ).date()).isoformat(),
                "group": bool(is_group),
                "overdue": bool(overdue),
                "repeat": bool(repeat),
            }
        )
    return out


def _monday(day):
    return day.fromordinal(day.toordinal() - day.weekday())


def oracle_clocks(now):
    """petition id -> (on time, late) per clock kind, by the written-out rule: met by the due
    time is on time; met later, or running (not paused) past it, is late."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT petition_id, name, met_at, due_at, paused_at FROM petitions_deadline")
        rows = cursor.fetchall()
    out: dict[int, list] = {}
    for pid, name, met, due, paused in rows:
        met, due, paused = (_aware(v) for v in (met, due, paused))
        kind = "assignment" if name.startswith("assignment:") else name
        on_time = met is not None and met <= due
        late = (met is not None and met > due) or (met is None and paused is None and due < now)
        out.setdefault(pid, []).append((kind, on_time, late))
    return out


def _aware(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value


def live_units(sql="SELECT petition_id, unit_id FROM petitions_assignment WHERE status <> 'withdrawn'"):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        pairs = cursor.fetchall()
    units: dict[int, set] = {}
    for pid, unit in pairs:
        units.setdefault(pid, set()).add(unit)
    return units


def involved_units():
    return live_units("SELECT petition_id, unit_id FROM petitions_involvedunit")


filters = st.fixed_dictionaries(
    {},
    optional={
        "channel": st.sampled_from(["letter", "visit", "call", "online"]),
        "status": st.sampled_from(["registered", "closed", "assigned", "open"]),
        "from": st.dates(date(2026, 1, 1), date(2026, 7, 30)),
        "to": st.dates(date(2026, 1, 1), date(2026, 7, 30)),
        "overdue": st.just("true"),
        "group": st.sampled_from(["true", "false"]),
        "repeat": st.sampled_from(["true", "false"]),
        "category": st.sampled_from(["housing", "labour_social_security", "environment", "education"]),
        "clock": st.sampled_from(["handling", "reply", "transfer"]),
    },
)
UNIT_FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "assigned_unit": st.sampled_from(["HOUSING", "LABOUR"]),
        "involved_unit": st.sampled_from(["OFFICE", "POLICE"]),
    },
)
groupings = st.lists(
    st.sampled_from(
        ["channel", "category", "status", "month", "unit", "week", "day", "group", "involved_unit"]
    ),
    max_size=2,
    unique=True,
)


def keep(row, f, units, involved=None):
    if "assigned_unit" in f and f["assigned_unit"] not in units.get(row["id"], ()):
        return False
    if "involved_unit" in f and f["involved_unit"] not in (involved or {}).get(row["id"], ()):
        return False
    if "channel" in f and row["channel"] != f["channel"]:
        return False
    if "category" in f and row["category"] != f["category"]:
        return False
    if "status" in f:
        open_ = row["status"] not in (
            "closed",
            "archived",
            "persuaded",
            "referred_to_police",
            "merged",
            "void",
        )
        if (f["status"] == "open" and not open_) or (f["status"] != "open" and row["status"] != f["status"]):
            return False
    if "from" in f and row["day"] < f["from"]:
        return False
    if "to" in f and row["day"] > f["to"]:
        return False
    if f.get("overdue") and not row["overdue"]:
        return False
    if "repeat" in f and row["repeat"] != (f["repeat"] == "true"):
        return False
    return not ("group" in f and row["group"] != (f["group"] == "true"))


def _rate(on_time, late):
    return round(on_time / (on_time + late), 4) if on_time + late else None


def expected(rows, f, group_by, units, clocks=None, involved=None):
    """(total, overdue, {group key: (count, overdue)}, on-time rate, {group key: rate})."""
    kept = [r for r in rows if keep(r, f, units, involved)]
    counts, overdue = Counter(), Counter()
    on_time, late = Counter(), Counter()
    for r in kept:
        decided = [c for c in (clocks or {}).get(r["id"], []) if "clock" not in f or c[0] == f["clock"]]
        r_on_time = sum(1 for c in decided if c[1])
        r_late = sum(1 for c in decided if c[2])
        keys_per_dim = []
        for key in group_by:
            if key == "unit":
                keys_per_dim.append(sorted(units.get(r["id"], set())) or [None])
            elif key == "involved_unit":
                keys_per_dim.append(sorted((involved or {}).get(r["id"], set())) or [None])
            else:
                keys_per_dim.append([r[key].isoformat() if key == "day" else r[key]])
        combos = [()]
        for values in keys_per_dim:
            combos = [c + (v,) for c in combos for v in values]
        for combo in combos:
            counts[combo] += 1
            overdue[combo] += r["overdue"]
            on_time[combo] += r_on_time
            late[combo] += r_late
        on_time["total"] += r_on_time
        late["total"] += r_late
    return (
        len(kept),
        sum(r["overdue"] for r in kept),
        {k: (counts[k], overdue[k]) for k in counts},
        _rate(on_time["total"], late["total"]),
        {k: _rate(on_time[k], late[k]) for k in counts},
    )


# Readers: the clerk and the deputy secretary-general see everything but the firewall (on
# PostgreSQL the summary answers them, minus what the firewall hides); the housing bureau's
# handler sees its assignments only (counted live, in one pass: statistics_onepass.py).
READERS = (("clerk", False), ("deputy", False), ("housing", True))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), size=st.integers(0, 25), f=filters, uf=UNIT_FILTERS, group_by=groupings)
def test_statistics_equal_the_oracle(world_factory, demo_org, seed, size, f, uf, group_by):
    users, units = demo_org
    f = {**f, **{name: units[code].pk for name, code in uf.items()}}
    with transaction.atomic():
        sid = transaction.savepoint()
        world_factory(random.Random(seed), size, timezone.now())
        if random.Random(seed).random() < 0.5:
            _involve_readers(users, random.Random(seed))
        after_registration(random.Random(seed), timezone.now())
        clocks = oracle_clocks(timezone.now())
        for username, handler in READERS:
            user = users[username]
            params = {**f, "group_by": ",".join(group_by)}
            query = parse_statistics_query(params)
            if connection.vendor == "postgresql" and not handler:
                # The summary's own path is the one under test here, not the fallback: it answers
                # all but both kinds of unit at once and a unit filter with a grouping by the
                # same kind of unit (repeat and overdue-only lists included).
                kinds = {
                    "involved" if k.startswith("involved") else "unit" for k in (*group_by, *f) if "unit" in k
                }
                same = ("unit" in group_by and "assigned_unit" in f) or (
                    "involved_unit" in group_by and "involved_unit" in f
                )
                assert summary.applies(user, query) == (len(kinds) < 2 and not same)
            if connection.vendor == "postgresql" and handler:
                # A handling officer of a unit with none above it: the summary answers whatever
                # needs no unit of theirs but their own (summary_query), read as their unit's rows.
                own = f.get("assigned_unit", user.unit_id) == user.unit_id
                unitless = not {"unit", "involved_unit"} & set(group_by) and "involved_unit" not in f
                assert (summary.summary_query(user, query) is not None) == (own and unitless)
                assert not summary.applies(user, query)
            result = statistics(user, query)
            unit = user.unit_id if handler else None
            total, overdue, rows, rate, rates = expected(
                oracle_rows(user, unit), f, group_by, live_units(), clocks, involved_units()
            )
            assert result["total"] == total, username
            assert result["overdue"] == overdue, username
            assert result["on_time_rate"] == rate, username
            got = {tuple(r[k] for k in group_by): (r["count"], r["overdue"]) for r in result["rows"]}
            assert got == (rows if group_by else {}), username
            got_rates = {tuple(r[k] for k in group_by): r["on_time_rate"] for r in result["rows"]}
            assert got_rates == (rates if group_by else {}), username
        transaction.savepoint_rollback(sid)


def test_a_petition_sent_to_two_units_is_one_petition_in_the_totals(api, register, demo_org):
    """Grouped by unit, the petition is a row in each unit's group; the totals still count it once
    (found by the oracle test on PostgreSQL, where the summary had summed the unit rows)."""
    from xinfang.petitions.workflow_models import Assignment

    users, units = demo_org
    petition = register()
    for code, role in (("HOUSING", "lead"), ("LABOUR", "assist")):
        Assignment.objects.create(
            petition=petition, unit=units[code], role=role, kind="transfer", assigned_by=users["clerk"]
        )
    body = api("clerk").get("/api/v1/statistics", group_by="unit").json()
    assert body["total"] == 1
    assert sorted((r["unit"], r["count"]) for r in body["rows"]) == sorted(
        [(units["HOUSING"].pk, 1), (units["LABOUR"].pk, 1)]
    )


def after_registration(rng, now):
    """What happens to petitions after they were written: linked as repeats of others (the
    summary then moves all their rows), clocks met on time or late and new ones started
    (the settled petitions and the overdue ones' met clocks move with them)."""
    from xinfang.petitions.models import Deadline, Petition

    through = Petition.repeat_of.through
    ids = list(Petition.objects.values_list("id", flat=True))
    if len(ids) >= 2:
        for pid in rng.sample(ids, min(len(ids), 4)):
            other = rng.choice([i for i in ids if i != pid])
            through.objects.get_or_create(from_petition_id=pid, to_petition_id=other)
        through.objects.filter(pk__in=through.objects.values("pk")[:1]).delete()
    clocks = list(Deadline.objects.values_list("id", flat=True))
    for did in rng.sample(clocks, min(len(clocks), 4)):
        d = Deadline.objects.get(pk=did)
        d.met_at = rng.choice([None, d.due_at - timedelta(hours=2), d.due_at + timedelta(hours=2)])
        d.paused_at = None
        d.save()
    for pid in rng.sample(ids, min(len(ids), 2)):
        # A clock due earlier today: overdue now, but after the summary's last stored day.
        Deadline.objects.create(
            petition_id=pid,
            name="superior_report",
            rule="4.6",
            starts_at=now - timedelta(days=2),
            due_at=max(now - timedelta(minutes=rng.choice([1, 90])), _start_of_today(now)),
        )


def _start_of_today(now):
    return datetime.combine(now.astimezone(TZ).date(), time.min, tzinfo=TZ)


def _involve_readers(users, rng):
    """Hide a few petitions from the readers: their unit (or the unit above it) is complained
    about (Rule 4.3), or the deputy is named as an involved person."""
    from xinfang.petitions.models import InvolvedPerson, InvolvedUnit, Petition

    ids = list(Petition.objects.values_list("id", flat=True))
    for pid in rng.sample(ids, min(len(ids), 3)):
        InvolvedUnit.objects.get_or_create(
            petition_id=pid, unit=users["clerk"].unit.parent or users["clerk"].unit
        )
    for pid in rng.sample(ids, min(len(ids), 2)):
        InvolvedPerson.objects.get_or_create(
            petition_id=pid, user=users["deputy"], defaults={"name": "副秘书长"}
        )


def test_on_time_rate_counts_decided_clocks(world_factory, demo_org):
    """Oracle: met by the due time → on time; met later, or running past it → late."""
    users, _units = demo_org
    now = timezone.now()
    world_factory(random.Random(7), 30, now)
    hidden = ",".join(str(i) for i in _hidden_units(users["clerk"]))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT
                 SUM(CASE WHEN d.met_at IS NOT NULL AND d.met_at <= d.due_at THEN 1 ELSE 0 END),
                 SUM(CASE WHEN d.met_at > d.due_at OR (d.met_at IS NULL AND d.paused_at IS NULL
                          AND d.due_at < %s) THEN 1 ELSE 0 END)
               FROM petitions_deadline d WHERE d.name = 'reply' AND NOT EXISTS (
                 SELECT 1 FROM petitions_involvedunit i WHERE i.petition_id = d.petition_id AND i.unit_id IN ({hidden}))""",
            [now],
        )
        on_time, late = cursor.fetchone()
    result = statistics(users["clerk"], parse_statistics_query({"clock": "reply"}))
    assert result["on_time_rate"] == (round(on_time / (on_time + late), 4) if (on_time + late) else None)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"group_by": "colour"}, "group_by"),
        ({"group_by": "channel,category,status,month"}, "group_by"),
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"channel": "pigeon"}, "channel"),
        ({"assigned_unit": "abc"}, "assigned_unit"),
        ({"group": "maybe"}, "group"),
        ({"clock": "sundial"}, "clock"),
        ({"from": "1990-01-01", "to": "2026-01-01", "group_by": "day"}, "group_by"),
    ],
)
def test_bad_statistics_queries_are_400(api, params, field):
    response = api("clerk", language="en").get("/api/v1/statistics", **params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in response.json()["errors"]


def test_units_see_their_own_share_and_administrators_none(api, world_factory, demo_org):
    world_factory(random.Random(3), 30, timezone.now())
    clerk = api("clerk").get("/api/v1/statistics").json()["total"]
    housing = api("housing").get("/api/v1/statistics").json()["total"]
    listed = api("housing").get("/api/v1/petitions").json()["count"]
    assert housing == listed and housing < clerk
    assert api("auditor").get("/api/v1/statistics").status_code == 403
    assert api("admin").get("/api/v1/statistics").status_code == 403


def test_every_row_links_to_a_list_with_the_same_count(api, world_factory, demo_org):
    """The list accepts the group keys as filters: following a row gives the row's count."""
    world_factory(random.Random(11), 30, timezone.now())
    from xinfang.reports.statistics import list_link

    users, _ = demo_org
    query = parse_statistics_query({"group_by": "unit,month", "from": "2026-02-10", "to": "2026-05-20"})
    result = statistics(users["clerk"], query)
    assert result["rows"]
    for row in result["rows"]:
        if row["unit"] is None:
            continue
        link = list_link(query, row)
        response = api("clerk").get("/api/v1" + link.replace("/petitions/", "/petitions"))
        assert response.json()["count"] == row["count"], link


def test_time_of_day_does_not_shift_the_month(api, register, demo_org):
    """00:30 on 1 March in Beijing is still February in UTC: the office's month counts."""
    register(received_at=datetime.combine(date(2026, 3, 1), time(0, 30), TZ).isoformat())
    rows = api("clerk").get("/api/v1/statistics", group_by="month").json()["rows"]
    assert [(r["month"], r["count"]) for r in rows] == [("2026-03", 1)]


@pytest.mark.parametrize("group_by", ["", "channel", "unit,month"])
def test_query_count_does_not_grow_with_the_data(api, world_factory, django_assert_num_queries, group_by):
    """A fixed number of statements whatever the number of petitions or groups; the rest is
    authentication."""
    client = api("clerk")
    client.get("/api/v1/statistics", group_by=group_by)  # warm the token's last-used stamp
    world_factory(random.Random(1), 5, timezone.now())
    # Summary (PostgreSQL): the stored counts, the stored running
    # clocks due before today (reports_statdue: one more statement since it was added, in
    # place of the live count of every overdue petition), the firewall's hidden petitions and
    # the clocks that fell due today.
    # Live on SQLite (statistics_onepass): one statement for the totals and the rows; with a
    # period grouping over a period open at both ends (unit,month here), one more for the first
    # and last moment received, which decide the office zone's offsets to apply (before: two
    # with any grouping, the totals and the rows).
    statements = 4 if connection.vendor == "postgresql" else (2 if "month" in group_by else 1)
    if connection.vendor == "postgresql" and "unit" in group_by:
        # The totals (one petition, several units): the live parts read them with the rows, as
        # two grouping sets (before: 4). With one grouping the stored rows of the totals and the
        # groups are one statement of both tables (summary_grouped: the set (clock) beside the
        # rows'; before: two reads of two statements each); with two, two reads as before.
        statements += -1 if group_by == "unit" else 2
    statements += 1  # the portal's satisfaction (hooks.statistics_fields)
    with django_assert_num_queries(QUERIES_AUTH + statements):
        small = client.get("/api/v1/statistics", group_by=group_by)
    world_factory(random.Random(2), 40, timezone.now())
    with django_assert_num_queries(QUERIES_AUTH + statements):
        large = client.get("/api/v1/statistics", group_by=group_by)
    assert small.status_code == large.status_code == 200


def test_comparison_periods(api, register):
    """环比: the same number of days just before; 同比: the same dates a year earlier."""
    for day in ("2025-03-10", "2026-02-20", "2026-03-10", "2026-03-11"):
        register(received_at=f"{day}T10:00:00+08:00")
    previous = api("clerk").get(
        "/api/v1/statistics", **{"from": "2026-03-01", "to": "2026-03-31", "compare": "previous"}
    )
    body = previous.json()
    assert body["total"] == 2
    assert (body["compare"]["from"], body["compare"]["to"], body["compare"]["total"]) == (
        "2026-01-29",
        "2026-02-28",
        1,
    )
    year = api("clerk").get(
        "/api/v1/statistics", **{"from": "2026-03-01", "to": "2026-03-31", "compare": "year"}
    )
    assert (year.json()["compare"]["from"], year.json()["compare"]["total"]) == ("2025-03-01", 1)
    assert api("clerk").get("/api/v1/statistics", compare="year").status_code == 400


@pytest.mark.parametrize("reader", ["clerk", "deputy", "housing"])
@pytest.mark.parametrize("group_by", ["channel", "month", "unit", "involved_unit"])
def test_a_comparison_read_with_its_period_answers_as_each_period_alone(
    api, world_factory, demo_org, django_assert_num_queries, group_by, reader
):
    """With one grouping, the API reads the period and the one it is compared with together,
    as the statistics page does: each equals its own reading (itself checked against the oracle
    above), for the office (with and without the firewall's petitions) and a handling unit."""
    from xinfang.reports.statistics import comparison_period

    users, _units = demo_org
    world_factory(random.Random(8), 40, timezone.now())
    _involve_readers(users, random.Random(8))
    params = {"from": "2026-03-01", "to": "2026-05-31", "group_by": group_by}
    client = api(reader)
    client.get("/api/v1/statistics", **params)  # warm the token's last-used stamp
    # Summary (PostgreSQL, the office): the stored rows of both periods (1), the firewall's
    # petitions and today's clocks of both (2). A unit grouping reads its totals beside its
    # rows in the same statements (the set () of the live parts, (clock) of the stored rows;
    # before: each period on its own, 6 statements each, then 3). Live (SQLite, a handling
    # unit by unit): one UNION ALL of both periods' totals and rows. Then the portal's
    # satisfaction (1). Each period read alone, before: 8 (16 for a unit grouping) and 4. A
    # handling unit's channels and months are its unit's rows of the summary (summary_query).
    by_unit = reader == "housing" and group_by in ("unit", "involved_unit")
    statements = 3 if connection.vendor == "postgresql" and not by_unit else 1
    with django_assert_num_queries(QUERIES_AUTH + statements + 1):
        body = client.get("/api/v1/statistics", **params, compare="previous").json()
    query = parse_statistics_query(params)
    earlier = comparison_period(query, "previous")
    alone = statistics(users[reader], query)
    assert {k: body[k] for k in alone} == alone
    bounds = {"from": earlier.list_params["received_after"], "to": earlier.list_params["received_before"]}
    assert bounds == {"from": "2025-11-29", "to": "2026-02-28"}
    assert body["compare"] == {**bounds, **statistics(users[reader], earlier)}


@pytest.mark.parametrize(
    "period",
    [
        ("2024-03-05", "2026-02-10"),  # whole year 2025 with months and days either side
        ("2025-01-01", "2025-12-31"),  # one whole year
        ("2024-12-31", "2026-01-01"),  # a year and a day at each end
        (None, "2025-06-30"),
        ("2025-02-01", None),
        ("2025-05-20", "2025-05-20"),
    ],
)
def test_periods_across_years_equal_the_oracle(world_factory, demo_org, period):
    """On PostgreSQL a period is read as whole years, then whole months, then days from the
    summary's rows: the counts equal the oracle over four years of petitions."""
    from xinfang.petitions.models import Petition

    users, _units = demo_org
    world_factory(random.Random(21), 40, timezone.now())
    for petition in Petition.objects.all():  # spread over 2023-2026, through the triggers
        petition.received_at -= timedelta(days=400 * (petition.pk % 4))
        petition.save(update_fields=["received_at"])
    f = {name: date.fromisoformat(value) for name, value in zip(("from", "to"), period, strict=True) if value}
    clocks = oracle_clocks(timezone.now())
    for group_by in ([], ["month"], ["channel"], ["unit"]):
        params = {name: value.isoformat() for name, value in f.items()}
        result = statistics(
            users["clerk"], parse_statistics_query({**params, "group_by": ",".join(group_by)})
        )
        total, overdue, rows, rate, rates = expected(
            oracle_rows(users["clerk"]), f, group_by, live_units(), clocks, involved_units()
        )
        assert (result["total"], result["overdue"], result["on_time_rate"]) == (total, overdue, rate), (
            group_by
        )
        got = {tuple(r[k] for k in group_by): (r["count"], r["overdue"]) for r in result["rows"]}
        assert got == (rows if group_by else {}), group_by


def test_a_period_that_ends_before_it_starts_counts_nothing(api, register):
    """from after to: no day is in the period, on every path (found by the oracle test on
    PostgreSQL, where the summary added the days up to `to` after skipping the months)."""
    register(received_at="2026-01-01T09:59:00+08:00")
    register(received_at="2026-02-01T10:00:00+08:00")
    clerk = api("clerk")
    reversed_period = {"from": "2026-02-01", "to": "2026-01-01"}
    assert clerk.get("/api/v1/statistics", **reversed_period).json()["total"] == 0
    assert clerk.get("/api/v1/statistics", group_by="month", **reversed_period).json()["rows"] == []
    listed = clerk.get("/api/v1/petitions", received_after="2026-02-01", received_before="2026-01-01")
    assert listed.json()["count"] == 0
    # The same days the right way round: both.
    assert clerk.get("/api/v1/statistics", **{"from": "2026-01-01", "to": "2026-02-01"}).json()["total"] == 2


def oracle_standard(user, first: date, last: date, handler_unit=None) -> dict:
    """The standard report's cells by its own words, in SQL: per category and channel the
    petitions received in the period, those with a decided clock (met, or running past its end)
    and none late (met late, or running past its end), and those with a running clock past its
    end; over what `user` may see (the firewall written out as in oracle_rows). The period is
    applied in Python, in office time (SQLite compares the stored text)."""
    hidden = ",".join(str(i) for i in _hidden_units(user)) or "NULL"
    now = timezone.now()
    assigned = ""
    if handler_unit is not None:  # a handling officer's: their unit's live assignments
        assigned = """AND EXISTS (SELECT 1 FROM petitions_assignment a WHERE a.petition_id = p.id
                   AND a.unit_id = %s AND a.status <> 'withdrawn')"""
    late = """(d.met_at > d.due_at OR (d.met_at IS NULL AND d.paused_at IS NULL AND d.due_at < %s))"""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT c.code, p.channel, p.received_at,
                  EXISTS (SELECT 1 FROM petitions_deadline d
                      WHERE d.petition_id = p.id AND (d.met_at IS NOT NULL
                          OR (d.paused_at IS NULL AND d.due_at < %s)))
                    AND NOT EXISTS (SELECT 1 FROM petitions_deadline d WHERE d.petition_id = p.id
                      AND {late}),
                  EXISTS (SELECT 1 FROM petitions_deadline d
                      WHERE d.petition_id = p.id AND d.met_at IS NULL AND d.paused_at IS NULL
                      AND d.due_at < %s)
                FROM petitions_petition p JOIN petitions_category c ON c.id = p.category_id
                WHERE NOT EXISTS (SELECT 1 FROM petitions_involvedunit i WHERE i.petition_id = p.id
                                  AND i.unit_id IN ({hidden}))
                  AND NOT EXISTS (SELECT 1 FROM petitions_involvedperson v WHERE v.petition_id = p.id
                                  AND v.user_id = %s) {assigned}""",  # noqa: S608
            [now, now, now, user.pk, *([] if handler_unit is None else [handler_unit])],
        )
        rows = cursor.fetchall()
    out: dict[tuple, dict] = {}
    for code, channel, received, on_time, overdue in rows:
        if not first <= _aware(received).astimezone(TZ).date() <= last:
            continue
        cell = out.setdefault((code, channel), {"n": 0, "on_time": 0, "overdue": 0})
        cell["n"] += 1
        cell["on_time"] += bool(on_time)
        cell["overdue"] += bool(overdue)
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    size=st.integers(0, 25),
    period=st.sampled_from(["2026", "2026-03", "2026-Q2"]),
)
def test_standard_report_equals_the_oracle(world_factory, demo_org, seed, size, period):
    """The standard report's counts, on time and overdue per category and channel, for the
    office's readers (on PostgreSQL from the summary: settled petitions less the overdue ones)
    and a handling unit (live), after repeats linked, clocks met and started since."""
    from xinfang.reports.standard import _counts, parse_period

    users, _units = demo_org
    with transaction.atomic():
        sid = transaction.savepoint()
        rng = random.Random(seed)
        world_factory(rng, size, timezone.now())
        if rng.random() < 0.5:
            _involve_readers(users, rng)
        after_registration(rng, timezone.now())
        chosen = parse_period(period)
        for username, handler in READERS:
            user = users[username]
            got = {
                k: {n: v[n] for n in ("n", "on_time", "overdue")} for k, v in _counts(user, chosen).items()
            }
            unit = user.unit_id if handler else None
            assert got == oracle_standard(user, chosen.first, chosen.last, unit), username
        transaction.savepoint_rollback(sid)


@pytest.mark.parametrize("seed", [3, 11])
def test_repeat_overdue_and_standard_follow_changes_after_registration(world_factory, demo_org, seed):
    """The same oracles over one fixed world, every filter and grouping the summary now answers
    (repeat, overdue now, both), the page's repeat number and the standard report: links and
    clock changes made after the petitions were written must have moved the summary's rows."""
    from xinfang.reports.pages import build_page
    from xinfang.reports.standard import _counts, parse_period
    from xinfang.reports.statistics import clock_rates

    users, _units = demo_org
    rng = random.Random(seed)
    world_factory(rng, 30, timezone.now())
    _involve_readers(users, rng)
    after_registration(rng, timezone.now())
    clocks = oracle_clocks(timezone.now())
    checked = 0
    for username, handler in READERS:
        user = users[username]
        unit = user.unit_id if handler else None
        rows_of_user = oracle_rows(user, unit)
        for f in (
            {"repeat": "true"},
            {"repeat": "false"},
            {"overdue": "true"},
            {"overdue": "true", "repeat": "true"},
        ):
            for group_by in ([], ["unit"], ["month"], ["involved_unit"], ["category", "channel"]):
                for clock in ("", "reply"):
                    params = {**f, "group_by": ",".join(group_by), **({"clock": clock} if clock else {})}
                    query = parse_statistics_query(params)
                    # A handling officer's by unit: their petitions' other units, counted live.
                    by_unit = bool({"unit", "involved_unit"} & set(group_by))
                    summarised = connection.vendor == "postgresql" and not (handler and by_unit)
                    assert (summary.summary_query(user, query) is not None) == summarised
                    result = statistics(user, query)
                    oracle_f = {**f, **({"clock": clock} if clock else {})}
                    total, overdue, rows, rate, rates = expected(
                        rows_of_user, oracle_f, group_by, live_units(), clocks, involved_units()
                    )
                    assert (result["total"], result["overdue"], result["on_time_rate"]) == (
                        total,
                        overdue,
                        rate,
                    ), (
                        username,
                        params,
                    )
                    got = {tuple(r[k] for k in group_by): (r["count"], r["overdue"]) for r in result["rows"]}
                    assert got == (rows if group_by else {}), (username, params)
                    got_rates = {tuple(r[k] for k in group_by): r["on_time_rate"] for r in result["rows"]}
                    assert got_rates == (rates if group_by else {}), (username, params)
                    checked += bool(total)
        for f in ({}, {"repeat": "true"}, {"overdue": "true"}):
            # The on-time rates per clock over the same petitions (the page's clock table).
            kept = [r for r in rows_of_user if keep(r, f, live_units())]
            want = Counter()
            for r in kept:
                for kind, on_time, late in clocks.get(r["id"], []):
                    want[(kind, "on_time")] += on_time
                    want[(kind, "late")] += late
            got_clocks = clock_rates(user, parse_statistics_query(f))["clocks"]
            assert {(c["clock"], n): c[n] for c in got_clocks for n in ("on_time", "late")} == {
                (c["clock"], n): want[(c["clock"], n)] for c in got_clocks for n in ("on_time", "late")
            }, (username, f)
        repeats = sum(1 for r in rows_of_user if r["repeat"])
        page = build_page(user, parse_statistics_query({}), interval="month", compare="")
        assert page["repeat"] == repeats
        assert page["overdue"] == sum(1 for r in rows_of_user if r["overdue"])
        period = parse_period("2026")
        got = {k: {n: v[n] for n in ("n", "on_time", "overdue")} for k, v in _counts(user, period).items()}
        assert got == oracle_standard(user, period.first, period.last, unit), username
    assert checked > 40  # the world has repeat and overdue petitions to count
