"""Counting petitions: the statistics page, the API and the standard report read from here.

Technique: every number counts the same filtered, visible petitions the petition list shows
(selectors.petition_list), so a number and the list it links to can never disagree and a unit's
counts are its own share by construction (visible_to). On PostgreSQL the summary answers the
office's roles and a handling officer's questions but by unit (summary.py, summary_scope.
summary_query); every other answer, and every answer on SQLite, is one pass over
those petitions and their clocks, each section a GROUP BY of one row per petition
(statistics_onepass.py; against the COUNT(DISTINCT …) aggregates it replaced, the office's page on
SQLite at 10⁵ and a handling officer's on PostgreSQL at 10⁶ are each about eight times faster:
docs/benchmarks.md, rounds 16 and 17).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from urllib.parse import quote_plus

from django.db.models import (
    F,
    FilteredRelation,
    Q,
)
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xinfang.core.errors import InvalidInput
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.selectors import PetitionFilters, parse_filters, petition_list
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


def with_live_assignment(qs, group_by):
    """Grouping by handling unit joins the assignments that still stand (`live_assignment`)."""
    if "unit" in group_by:
        qs = qs.annotate(
            live_assignment=FilteredRelation(
                "assignments", condition=~Q(assignments__status=AssignmentStatus.WITHDRAWN)
            )
        )
    return qs


def _rate(on_time: int, late: int) -> float | None:
    """Share of decided clocks (met, or running past their end) that were met in time."""
    decided = on_time + late
    return round(on_time / decided, 4) if decided else None


def statistics(user, query: StatisticsQuery, *, totals: bool = True) -> dict:
    """{"total", "overdue", "on_time_rate", "rows": [{<keys>, "count", "overdue", "on_time_rate"}]}.
    Without `totals` (a page section whose totals another query gives) only the rows are read.
    On PostgreSQL, for the readers and the filters it knows, the summary answers
    (reports/summary.py); one pass over the petitions answers everything else
    (statistics_onepass.py)."""
    from xinfang.reports import summary

    asked = summary.summary_query(user, query)
    if asked is not None:
        return summary.summary_statistics(user, asked, totals=totals)
    return statistics_onepass.many(user, [statistics_onepass.Ask(query, totals)])[0]


def statistics_sets(user, asks: list[tuple[StatisticsQuery, list[str]]]) -> list[dict[str, dict]]:
    """statistics() grouped by each of `groupings` in turn, for each (query, groupings) of `asks`
    (the page's sections, for its period and the one it is compared with). Where the summary
    answers, the stored counts of all of them are one read and what they share live is read
    once per period. Totals are read for the first grouping of each only."""
    results, live = _summarised_sets(user, asks)
    for (i, single, _totals), result in zip(live, _live_sections(user, live), strict=True):
        results[i][single.group_by[0]] = result
    return results


def _summarised_sets(user, asks: list[tuple[StatisticsQuery, list[str]]]) -> tuple[list[dict], list[tuple]]:
    """statistics_sets' answers the summary gives (ask -> grouping -> answer), all read together
    (summary_many), and the single-grouping questions left to count live: (ask, its question,
    whether its totals are read)."""
    from xinfang.reports import summary

    singles = [
        {g: StatisticsQuery(query.filters, [g], query.clock, query.list_params) for g in groupings}
        for query, groupings in asks
    ]
    batched = []
    for (query, groupings), single in zip(asks, singles, strict=True):
        asked = {g: summary.summary_query(user, single[g]) for g in groupings}
        answered = [g for g in groupings if asked[g] is not None]
        # Every grouping of an ask is asked with the same filters, so the question the summary
        # answers in its place (summary_query) has the same filters for each of them.
        in_place = replace(query, filters=asked[answered[0]].filters) if answered else query
        batched.append((in_place, answered))
    answered = summary.summary_many(user, [ask for ask in batched if ask[1]])
    results = [answered.pop(0) if summarised else {} for (_q, summarised) in batched]
    live = [
        (i, single[g], g == groupings[0])
        for i, ((_query, groupings), single) in enumerate(zip(asks, singles, strict=True))
        for g in groupings
        if g not in results[i]
    ]
    return results, live


def _live_sections(user, live: list[tuple[int, StatisticsQuery, bool]]) -> list[dict]:
    """statistics(user, query, totals=…) for each single-grouping query of `live`, read live in
    one statement over the petitions read once (statistics_onepass)."""
    if not live:
        return []
    return statistics_onepass.many(user, [statistics_onepass.Ask(q, totals) for _i, q, totals in live])


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
    from xinfang.reports import summary_rates

    asked = _rates_query(user, query)
    if asked is not None:
        return summary_rates.summary_clock_rates(user, asked)
    return statistics_onepass.many(user, [statistics_onepass.Ask(query, kind="clocks")])[0]


def _rates_query(user, query: StatisticsQuery) -> StatisticsQuery | None:
    """The question summary_rates answers in place of clock_rates(user, query), or None. Its
    rates per unit are per clock's unit, which only the petitions' own rows keep: not a
    handling officer's (summary_scope.summary_query)."""
    from xinfang.reports import summary

    return summary.summary_query(user, StatisticsQuery(query.filters, [], "", query.list_params), units=False)


def repeat_count(user, query: StatisticsQuery) -> int:
    """The repeat petitions among those `query` counts (its own `repeat` filter replaced): from
    the summary's repeat flag where it answers (one statement for the stored rows, one for the
    firewall's), else a COUNT."""
    from xinfang.reports import summary

    repeats = _repeat_query(query)
    asked = summary.summary_query(user, repeats)
    if asked is not None:
        return summary.summary_count(user, asked)
    return petition_list(user, repeats.filters).order_by().count()


def _repeat_query(query: StatisticsQuery) -> StatisticsQuery:
    params = {**(query.list_params or {}), "repeat": "true"}
    return StatisticsQuery(parse_filters(params), [], query.clock, params)


def page_statistics(user, asks: list[tuple[StatisticsQuery, list[str]]]) -> tuple[list[dict], int, dict]:
    """What the statistics page counts: statistics_sets(user, asks), and for the first query
    its repeat petitions (repeat_count) and its clocks' on-time rates (clock_rates). Of the
    periods it is compared with (the asks after the first), only the counts are read where they
    are counted live: their overdue numbers are 0 and their rates None (pages.build_page shows
    a compared period's counts alone).

    Where the summary answers every section (the office's readers on PostgreSQL), they are one
    read of it (summary_many), and so are the repeat petitions and the rates. Where any section
    has to be counted over the petitions (all of them on SQLite; a handling officer's sections
    by unit), all of the page is one statement over the petitions read once
    (statistics_onepass): once they are read, a section costs a GROUP BY over rows in hand, and
    the summary's parts of a handling officer's page cost more than that (their live parts
    read the firewall's petitions and today's clocks again; docs/benchmarks.md, round 19)."""
    from xinfang.reports import summary, summary_rates

    query = asks[0][0]
    Ask = statistics_onepass.Ask
    # Whether every section could be read from the summary, decided before reading anything
    # (a handling officer's page has sections by unit: no need to read their unit's size).
    summarised = all(
        summary.summary_query(user, StatisticsQuery(q.filters, [g], q.clock), sized=False) is not None
        for q, groupings in asks
        for g in groupings
    )
    if summarised:
        results, live = _summarised_sets(user, asks)
    else:
        results = [{} for _ask in asks]
        live = [
            (i, StatisticsQuery(q.filters, [g], q.clock, q.list_params), g == groupings[0])
            for i, (q, groupings) in enumerate(asks)
            for g in groupings
        ]
    rest: list = []
    repeats = rates = None
    if "repeat" in query.filters.extra:  # its own repeat filter replaced: not the onepass count
        repeats = repeat_count(user, query)
    elif summarised and (asked := summary.summary_query(user, _repeat_query(query))) is not None:
        repeats = summary.summary_count(user, asked)
    else:
        rest.append(Ask(query, kind="repeat"))
    if summarised and (asked := _rates_query(user, query)) is not None:
        rates = summary_rates.summary_clock_rates(user, asked)
    else:
        rest.append(Ask(query, kind="clocks"))
    # The periods compared with (every ask after the first): the page shows their counts alone.
    counted = [Ask(single, totals, clocks=i == 0) for i, single, totals in live]
    answers = statistics_onepass.many(user, counted + rest)
    for (i, single, _totals), result in zip(live, answers, strict=False):
        results[i][single.group_by[0]] = result
    answers = answers[len(live) :]
    if repeats is None:
        repeats = answers.pop(0)
    if rates is None:
        rates = answers.pop(0)
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
