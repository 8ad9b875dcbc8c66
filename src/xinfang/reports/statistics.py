"""Counting petitions: the statistics page, the API and the standard report read from here.

Technique: SQL aggregates (GROUP BY) over the same filtered, visible queryset the petition list
shows (selectors.petition_list), so a number and the list it links to can never disagree and a
unit's counts are its own share by construction (visible_to). Counts are COUNT(DISTINCT id)
because grouping by a unit joins assignments, and on-time rates count DISTINCT deadline ids for
the same reason. Measured in docs/benchmarks.md. On PostgreSQL the summary answers the office's
roles (summary.py); on SQLite every live answer is one pass over the petitions instead
(statistics_onepass.py: the same numbers without DISTINCT, 17 s to a few hundred ms for the page
at 10⁵ petitions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote_plus

from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import Cast, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xinfang.core.errors import InvalidInput
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.models import Deadline
from xinfang.petitions.selectors import PetitionFilters, overdue_deadlines, parse_filters, petition_list
from xinfang.petitions.workflow_models import AssignmentStatus
from xinfang.reports import statistics_onepass

# The office's own clocks (Rule 4.6); per-unit clocks are named "assignment:<unit id>".
CLOCKS = ("handling", "transfer", "reply", "superior_report", "assignment")
MAX_DAYS = 3700  # about ten years: a day-by-day grouping beyond that is a mistake, not a question


@dataclass(frozen=True)
class Dimension:
    """One way of grouping petitions (CONVENTIONS 19: a registry of kinds of statistics)."""

    key: str
    label: Promise
    expression: Callable[[], object]  # a field path or an expression over Petition
    to_value: Callable[[object], object]  # database value -> JSON value (the list filter's value)
    link: Callable[[object], dict]  # JSON value -> list filter parameters


def _local(value) -> datetime:
    return timezone.localtime(value, office_tz()) if timezone.is_aware(value) else value


def _month(value):
    return _local(value).strftime("%Y-%m") if value else None


def _day(value):
    return _local(value).date().isoformat() if value else None


def _month_link(value: str) -> dict:
    start = date.fromisoformat(value + "-01")
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return {"received_after": start.isoformat(), "received_before": end.isoformat()}


def _week_link(value: str) -> dict:
    start = date.fromisoformat(value)
    return {"received_after": value, "received_before": (start + timedelta(days=6)).isoformat()}


def _same(value):
    return value


DIMENSIONS: dict[str, Dimension] = {
    d.key: d
    for d in (
        Dimension(
            "month",
            _("Month"),
            lambda: TruncMonth("received_at", tzinfo=office_tz()),
            _month,
            _month_link,
        ),
        Dimension(
            "week",
            _("Week"),
            lambda: TruncWeek("received_at", tzinfo=office_tz()),
            _day,
            _week_link,
        ),
        Dimension(
            "day",
            _("Day"),
            lambda: TruncDay("received_at", tzinfo=office_tz()),
            _day,
            lambda v: {"received_after": v, "received_before": v},
        ),
        Dimension("channel", _("Channel"), lambda: "channel", _same, lambda v: {"channel": v}),
        Dimension("category", _("Category"), lambda: "category__code", _same, lambda v: {"category": v}),
        # The handling unit: a unit with a standing assignment (a petition may have several).
        Dimension(
            "unit",
            _("Handling unit"),
            lambda: "live_assignment__unit",
            _same,
            lambda v: {"assigned_unit": v} if v is not None else {},
        ),
        Dimension(
            "involved_unit",
            _("Involved unit"),
            lambda: "involved_units__unit",
            _same,
            lambda v: {"involved_unit": v} if v is not None else {},
        ),
        Dimension("status", _("Status"), lambda: "status", _same, lambda v: {"status": v}),
        Dimension(
            "group", _("Group petition"), lambda: "is_group", _same, lambda v: {"group": str(v).lower()}
        ),
    )
}


@dataclass
class StatisticsQuery:
    filters: PetitionFilters
    group_by: list[str]
    clock: str = ""
    # The list parameters these statistics were asked with (from/to as received_after/before).
    list_params: dict | None = None


def parse_statistics_query(params) -> StatisticsQuery:
    """from/to, group_by, clock and every list filter; InvalidInput (400) on nonsense."""
    list_params = {k: v for k, v in params.items() if k not in ("from", "to", "group_by", "clock", "compare")}
    errors: dict[str, list] = {}
    for name, target in (("from", "received_after"), ("to", "received_before")):
        raw = str(params.get(name, "")).strip()
        if raw:
            try:
                date.fromisoformat(raw)
            except ValueError:
                errors[name] = [gettext("Not a valid date (use YYYY-MM-DD).")]
            list_params[target] = raw
    keys = [k.strip() for k in str(params.get("group_by", "")).split(",") if k.strip()]
    unknown = [k for k in keys if k not in DIMENSIONS]
    if unknown:
        errors["group_by"] = [
            gettext("Unknown grouping %(keys)s; use %(known)s.")
            % {"keys": ", ".join(unknown), "known": ", ".join(DIMENSIONS)}
        ]
    if len(set(keys)) > 3:
        errors.setdefault("group_by", []).append(gettext("At most three groupings at once."))
    clock = str(params.get("clock", "")).strip()
    if clock and clock not in CLOCKS:
        errors["clock"] = [gettext("Unknown clock; use %(known)s.") % {"known": ", ".join(CLOCKS)}]
    try:
        filters = parse_filters(list_params)
    except InvalidInput as exc:
        errors.update(exc.errors)
        filters = None
    bounded = filters and "day" in keys and filters.received_after and filters.received_before
    if bounded and (filters.received_before - filters.received_after).days > MAX_DAYS:
        errors["group_by"] = [gettext("Too many days to count one by one; group by week or month.")]
    if errors:
        raise InvalidInput(errors)
    return StatisticsQuery(filters, list(dict.fromkeys(keys)), clock, list_params)


def _clock_q(clock: str) -> Q:
    if not clock:
        return Q()
    if clock == "assignment":
        return Q(deadlines__name__startswith="assignment:")
    return Q(deadlines__name=clock)


def _aggregates(clock: str) -> dict:
    now = timezone.now()
    on_time = Q(deadlines__met_at__isnull=False, deadlines__met_at__lte=F("deadlines__due_at"))
    late = Q(deadlines__met_at__gt=F("deadlines__due_at")) | Q(
        deadlines__met_at__isnull=True, deadlines__paused_at__isnull=True, deadlines__due_at__lt=now
    )
    clock_q = _clock_q(clock)
    return {
        "count": Count("pk", distinct=True),
        "overdue": Count(
            "pk", distinct=True, filter=Q(Exists(overdue_deadlines().filter(petition=OuterRef("pk"))))
        ),
        "on_time": Count("deadlines", distinct=True, filter=on_time & clock_q),
        "late": Count("deadlines", distinct=True, filter=late & clock_q),
    }


def with_live_assignment(qs, group_by):
    """Grouping by handling unit joins the assignments that still stand (`live_assignment`)."""
    if "unit" in group_by:
        qs = qs.annotate(
            live_assignment=FilteredRelation(
                "assignments", condition=~Q(assignments__status=AssignmentStatus.WITHDRAWN)
            )
        )
    return qs


def _base(user, query: StatisticsQuery):
    return with_live_assignment(petition_list(user, query.filters).order_by(), query.group_by)


def _rate(on_time: int, late: int) -> float | None:
    """Share of decided clocks (met, or running past their end) that were met in time."""
    decided = on_time + late
    return round(on_time / decided, 4) if decided else None


def statistics(user, query: StatisticsQuery, *, totals: bool = True) -> dict:
    """{"total", "overdue", "on_time_rate", "rows": [{<keys>, "count", "overdue", "on_time_rate"}]}.
    Without `totals` (a page section whose totals another query gives) only the rows are read.
    On PostgreSQL, for the office's roles and the filters it knows, the summary answers
    (reports/summary.py); the live aggregates below answer everything else."""
    from xinfang.reports import summary

    if summary.applies(user, query):
        return summary.summary_statistics(user, query, totals=totals)
    if connection.vendor == "sqlite":
        return statistics_onepass.many(user, [statistics_onepass.Ask(query, totals)])[0]
    aggregates = _aggregates(query.clock)
    totals = (
        _base(user, query).aggregate(**aggregates)
        if totals
        else {"count": None, "overdue": None, "on_time": 0, "late": 0}
    )
    rows = []
    if query.group_by:
        names = {key: f"k_{key}" for key in query.group_by}
        grouped = (
            _base(user, query)
            .annotate(**{names[k]: _expr(DIMENSIONS[k]) for k in query.group_by})
            .values(*names.values())
            .annotate(**aggregates)
            .order_by(*names.values())
        )
        for row in grouped:
            out = {k: DIMENSIONS[k].to_value(row[names[k]]) for k in query.group_by}
            out.update(
                count=row["count"], overdue=row["overdue"], on_time_rate=_rate(row["on_time"], row["late"])
            )
            rows.append(out)
    return {
        "total": totals["count"],
        "overdue": totals["overdue"],
        "on_time_rate": _rate(totals["on_time"], totals["late"]),
        "rows": rows,
    }


def statistics_sets(user, asks: list[tuple[StatisticsQuery, list[str]]]) -> list[dict[str, dict]]:
    """statistics() grouped by each of `groupings` in turn, for each (query, groupings) of `asks`
    (the page's sections, for its period and the one it is compared with). Where the summary
    answers, the stored counts of all of them are one read and what they share live is read
    once per period. Totals are read for the first grouping of each only."""
    from xinfang.reports import summary

    singles = [
        {g: StatisticsQuery(query.filters, [g], query.clock, query.list_params) for g in groupings}
        for query, groupings in asks
    ]
    batched = [
        (query, [g for g in groupings if summary.applies(user, single[g])])
        for (query, groupings), single in zip(asks, singles, strict=True)
    ]
    answered = summary.summary_many(user, [ask for ask in batched if ask[1]])
    results = [answered.pop(0) if summarised else {} for (_q, summarised) in batched]
    live = [
        (i, single[g], g == groupings[0])
        for i, ((_query, groupings), single) in enumerate(zip(asks, singles, strict=True))
        for g in groupings
        if g not in results[i]
    ]
    for (i, single, _totals), result in zip(live, _live_sections(user, live), strict=True):
        results[i][single.group_by[0]] = result
    return results


_TRUNC = {"month": TruncMonth, "week": TruncWeek, "day": TruncDay}


def _no_key(key: str):
    """A NULL of the type (and with the conversion) of the grouping's key: the value the other
    sections' rows of one UNION ALL have in its column. Typed, because PostgreSQL matches a
    UNION's columns pairwise (an untyped NULL in two branches becomes text, which no date or
    number matches); a period's truncation of a NULL moment, because the first branch's column
    decides how every branch's values are read back (office time, not UTC)."""
    if key in _TRUNC:
        return _TRUNC[key](Cast(Value(None), DateTimeField()), tzinfo=office_tz())
    if key in ("unit", "involved_unit"):
        return Cast(Value(None), BigIntegerField())
    return Cast(Value(None), BooleanField() if key == "group" else CharField())


def _live_sections(user, live: list[tuple[int, StatisticsQuery, bool]]) -> list[dict]:
    """statistics(user, query, totals=…) for each single-grouping query of `live`, read live in
    one statement: the rows of every section (and the totals asked for) joined by UNION ALL,
    each branch the very aggregate statistics() runs, tagged and with its own key column."""
    if not live:
        return []
    if connection.vendor == "sqlite":
        return statistics_onepass.many(user, [statistics_onepass.Ask(q, totals) for _i, q, totals in live])
    keys = list(dict.fromkeys(q.group_by[0] for _i, q, _t in live))
    names = {k: f"k_{k}" for k in keys}
    branches = []
    for number, (_i, query, totals) in enumerate(live):
        aggregates = _aggregates(query.clock)
        wanted = [(2 * number, None)] + ([(2 * number + 1, "")] if totals else [])
        for tag, only in wanted:
            # Totals: one row over the petitions (no key); rows: grouped by the section's key.
            grouping = query.group_by[0] if only is None else None
            columns = {names[k]: _expr(DIMENSIONS[k]) if k == grouping else _no_key(k) for k in keys}
            branch = (
                _base(user, StatisticsQuery(query.filters, [grouping] if grouping else [], query.clock))
                .annotate(section=Value(tag), **columns)
                .values("section", *names.values())
                .annotate(**aggregates)
                .order_by()
            )
            branches.append(branch)
    union = branches[0].union(*branches[1:], all=True).order_by("section", *names.values())
    rows_by_tag: dict[int, list[dict]] = {}
    for row in union:
        rows_by_tag.setdefault(row["section"], []).append(row)
    out = []
    for number, (_i, query, totals) in enumerate(live):
        g = query.group_by[0]
        rows = [
            {
                g: DIMENSIONS[g].to_value(row[names[g]]),
                "count": row["count"],
                "overdue": row["overdue"],
                "on_time_rate": _rate(row["on_time"], row["late"]),
            }
            for row in rows_by_tag.get(2 * number, [])
        ]
        # No petition at all: a grouped branch has no row where a bare aggregate had zeros.
        nothing = {"count": 0, "overdue": 0, "on_time": 0, "late": 0}
        whole = rows_by_tag.get(2 * number + 1, [nothing])[0] if totals else {}
        out.append(
            {
                "total": whole.get("count"),
                "overdue": whole.get("overdue"),
                "on_time_rate": _rate(whole.get("on_time", 0), whole.get("late", 0)),
                "rows": rows,
            }
        )
    return out


def _expr(dimension: Dimension):
    expression = dimension.expression()
    return F(expression) if isinstance(expression, str) else expression


def list_link(query: StatisticsQuery, row: dict | None = None, **extra) -> str:
    """The petition list URL showing exactly the petitions a number counts."""
    return link_maker(query, **extra)(row)


def link_maker(query: StatisticsQuery, **extra) -> Callable[[dict | None], str]:
    """list_link(query, row, **extra) for many rows of one query (a page section's ~50 rows,
    two links each): the parameters every row shares are encoded once, each row encodes only
    the ones its keys set. Same parameters in the same order as one urlencode of them all."""
    base = {k: v for k, v in (query.list_params or {}).items() if v not in ("", None)}
    encoded = {k: _pair(k, v) for k, v in base.items()}
    links = [DIMENSIONS[key].link for key in query.group_by]

    def make(row: dict | None = None) -> str:
        changed: dict = {}
        if row:
            for key, link in zip(query.group_by, links, strict=True):
                for name, value in link(row[key]).items():
                    # A month inside the asked period: the narrower of the two bounds on each side.
                    bound = changed.get(name, base.get(name))
                    if name == "received_after" and bound:
                        value = max(value, bound)
                    elif name == "received_before" and bound:
                        value = min(value, bound)
                    changed[name] = value
        changed.update(extra)
        if not changed:
            return "/petitions/?" + "&".join(encoded.values())
        pairs = [_pair(k, changed[k]) if k in changed else pair for k, pair in encoded.items()]
        pairs += [_pair(k, v) for k, v in changed.items() if k not in base]
        return "/petitions/?" + "&".join(pairs)

    return make


def _pair(name, value) -> str:
    """One `name=value` of urlencode (quote_plus of each, non-strings as str())."""
    return quote_plus(str(name)) + "=" + quote_plus(str(value))


def clock_rates(user, query: StatisticsQuery) -> dict:
    """On-time rates per clock (the office's and the units' assignment clocks) and per unit,
    over the deadlines of the petitions the statistics count. Clocks and units with no decided
    clock are left out."""
    from xinfang.reports import summary, summary_rates

    if summary.applies(user, StatisticsQuery(query.filters, [], "", query.list_params), units=False):
        return summary_rates.summary_clock_rates(user, query)
    if connection.vendor == "sqlite":
        return statistics_onepass.many(user, [statistics_onepass.Ask(query, kind="clocks")])[0]
    petitions = petition_list(user, query.filters).order_by().values("pk")
    now = timezone.now()
    on_time = Q(met_at__isnull=False, met_at__lte=F("due_at"))
    late = Q(met_at__gt=F("due_at")) | Q(met_at__isnull=True, paused_at__isnull=True, due_at__lt=now)
    counts = {"on_time": Count("pk", filter=on_time), "late": Count("pk", filter=late)}
    deadlines = Deadline.objects.filter(petition__in=petitions)
    by_clock = {clock: {"on_time": 0, "late": 0} for clock in CLOCKS}
    for row in deadlines.values("name").annotate(**counts):
        clock = "assignment" if row["name"].startswith("assignment:") else row["name"]
        if clock in by_clock:
            by_clock[clock]["on_time"] += row["on_time"]
            by_clock[clock]["late"] += row["late"]
    per_unit = [
        {
            "unit": row["unit"],
            "on_time": row["on_time"],
            "late": row["late"],
            "rate": _rate(row["on_time"], row["late"]),
        }
        for row in deadlines.filter(unit__isnull=False).values("unit").annotate(**counts).order_by("unit")
        if row["on_time"] or row["late"]
    ]
    return {
        "clocks": [
            {"clock": clock, **values, "rate": _rate(values["on_time"], values["late"])}
            for clock, values in by_clock.items()
        ],
        "units": per_unit,
    }


def repeat_count(user, query: StatisticsQuery) -> int:
    """The repeat petitions among those `query` counts (its own `repeat` filter replaced): from
    the summary's repeat flag where it answers (one statement for the stored rows, one for the
    firewall's), else a COUNT."""
    from xinfang.reports import summary

    repeats = _repeat_query(query)
    if summary.applies(user, repeats):
        return summary.summary_count(user, repeats)
    return petition_list(user, repeats.filters).order_by().count()


def _repeat_query(query: StatisticsQuery) -> StatisticsQuery:
    params = {**(query.list_params or {}), "repeat": "true"}
    return StatisticsQuery(parse_filters(params), [], query.clock, params)


def page_statistics(user, asks: list[tuple[StatisticsQuery, list[str]]]) -> tuple[list[dict], int, dict]:
    """What the statistics page counts: statistics_sets(user, asks), and for the first query
    its repeat petitions (repeat_count) and its clocks' on-time rates (clock_rates). On SQLite
    all of it is one statement over the petitions read once (statistics_onepass)."""
    query = asks[0][0]
    if connection.vendor != "sqlite" or "repeat" in query.filters.extra:
        return statistics_sets(user, asks), repeat_count(user, query), clock_rates(user, query)
    Ask = statistics_onepass.Ask
    singles = [
        [Ask(StatisticsQuery(q.filters, [g], q.clock, q.list_params), g == groupings[0]) for g in groupings]
        for q, groupings in asks
    ]
    flat = [ask for asked in singles for ask in asked]
    *answers, repeats, rates = statistics_onepass.many(
        user, [*flat, Ask(query, kind="repeat"), Ask(query, kind="clocks")]
    )
    results = []
    for (_query, groupings), asked in zip(asks, singles, strict=True):
        results.append(dict(zip(groupings, answers[: len(asked)], strict=True)))
        answers = answers[len(asked) :]
    return results, repeats, rates


def comparison_period(query: StatisticsQuery, mode: str) -> StatisticsQuery | None:
    """The same question for the period before (环比, "previous") or a year earlier (同比, "year").
    Needs both ends of the period; None otherwise."""
    params = dict(query.list_params or {})
    start, end = params.get("received_after"), params.get("received_before")
    if mode not in ("previous", "year") or not start or not end:
        return None
    first, last = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
    if mode == "year":
        first, last = _year_before(first), _year_before(last)
    else:
        length = (last - first).days + 1
        first, last = first - timedelta(days=length), last - timedelta(days=length)
    params.update(received_after=first.isoformat(), received_before=last.isoformat())
    return StatisticsQuery(parse_filters(params), query.group_by, query.clock, params)


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)
