"""What the statistics page shows, built from statistics.py: sections of rows with labels,
links to the list and the data the chart script draws. Views only render it."""

from __future__ import annotations

import json

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xinfang.accounts.models import Unit
from xinfang.petitions import hooks
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.models import Category
from xinfang.petitions.selectors import petition_list
from xinfang.reports.statistics import (
    StatisticsQuery,
    clock_rates,
    comparison_period,
    list_link,
    statistics_sets,
)

# (section key, grouping, chart type); the intake section groups by the chosen interval.
SECTIONS = (
    ("intake", None, "line"),
    ("channel", "channel", "pie"),
    ("category", "category", "bar"),
    ("unit", "unit", "bar"),
    ("involved_unit", "involved_unit", "bar"),
    ("status", "status", "bar"),
)
INTERVALS = ("day", "week", "month")


def section_titles() -> dict:
    return {
        "intake": _("Intake over time"),
        "channel": _("By channel"),
        "category": _("By category"),
        "unit": _("By handling unit"),
        "involved_unit": _("By involved unit"),
        "status": _("By status"),
    }


def clock_labels() -> dict:
    return {
        "handling": _("Handling (office)"),
        "transfer": _("Transfer after instruction"),
        "reply": _("Reply to the petitioner"),
        "superior_report": _("Report to the superior"),
        "assignment": _("Units' assignments"),
    }


class Labels:
    """Display names for group keys, read once per page."""

    def __init__(self):
        english = (get_language() or "").startswith("en")
        self.channel = dict(Channel.choices)
        self.status = dict(Status.choices)
        self.category = {
            c.code: (c.name_en if english and c.name_en else c.name) for c in Category.objects.all()
        }
        self.unit = dict(Unit.objects.values_list("id", "name"))

    def of(self, key: str, value) -> str:
        if value is None:
            return _("(none)") if key != "unit" else _("(not assigned)")
        if key == "involved_unit":
            key = "unit"
        table = getattr(self, key, None)
        return str(table.get(value, value)) if isinstance(table, dict) else str(value)


def _with_query(query: StatisticsQuery, key: str) -> StatisticsQuery:
    return StatisticsQuery(query.filters, [key], query.clock, query.list_params)


def build_page(user, query: StatisticsQuery, *, interval: str, compare: str) -> dict:
    labels = Labels()
    titles = section_titles()
    previous_query = comparison_period(query, compare) if compare else None
    groupings = ["group", *[grouping or interval for _key, grouping, _chart in SECTIONS]]
    asks = [(query, groupings)]
    if previous_query:
        asks.append((previous_query, [g for g in groupings if g != interval]))
    # Both periods' sections in one go: on PostgreSQL one read of the summary for all of them.
    results, *earlier = statistics_sets(user, asks)
    overall = results["group"]
    earlier_results = earlier[0] if earlier else {}
    previous_total = earlier_results["group"]["total"] if earlier else None
    sections = []
    for key, grouping, chart in SECTIONS:
        grouping = grouping or interval
        grouped = _with_query(query, grouping)
        result = results[grouping]
        previous = {}
        if previous_query and key != "intake":
            previous = {row[grouping]: row["count"] for row in earlier_results[grouping]["rows"]}
        rows = []
        for row in result["rows"]:
            value = row[grouping]
            rows.append(
                {
                    "label": labels.of(grouping, value),
                    "count": row["count"],
                    "overdue": row["overdue"],
                    "rate": row["on_time_rate"],
                    "link": list_link(grouped, row),
                    "overdue_link": list_link(grouped, row, overdue="true"),
                    "previous": previous.get(value, 0) if previous_query and key != "intake" else None,
                }
            )
        if key not in ("intake",):
            rows.sort(key=lambda r: -r["count"])
        data = {
            "type": chart,
            "labels": [r["label"] for r in rows],
            "values": [r["count"] for r in rows],
            "series": str(_("Petitions")),
        }
        sections.append(
            {
                "key": key,
                "data_json": json.dumps(data, ensure_ascii=False),
                "title": titles[key],
                "chart": chart,
                "rows": rows,
            }
        )
    group_counts = {row["group"]: row["count"] for row in overall["rows"]}
    repeat = _repeat_count(user, query)
    rates = clock_rates(user, query)
    clock_names = clock_labels()
    return {
        "total": overall["total"],
        "overdue": overall["overdue"],
        "rate": overall["on_time_rate"],
        "group": group_counts.get(True, 0),
        "repeat": repeat,
        "previous_total": previous_total,
        "change": _change(overall["total"], previous_total),
        "links": {
            "total": list_link(query),
            "overdue": list_link(query, overdue="true"),
            "group": list_link(query, group="true"),
            "repeat": list_link(query, repeat="true"),
        },
        "sections": sections,
        "clocks": [dict(row, label=clock_names[row["clock"]]) for row in rates["clocks"]],
        "unit_rates": [dict(row, label=labels.of("unit", row["unit"])) for row in rates["units"]],
    }


def _repeat_count(user, query: StatisticsQuery) -> int:
    """The repeat petitions among those the page counts: from the summary's repeat flag where it
    answers (one statement for the stored rows, one for the firewall's), else a COUNT."""
    from xinfang.reports import summary

    repeats = _repeat_query(query)
    if summary.applies(user, repeats):
        return summary.summary_count(user, repeats)
    return petition_list(user, repeats.filters).order_by().count()


def _repeat_query(query: StatisticsQuery) -> StatisticsQuery:
    from xinfang.petitions.selectors import parse_filters

    params = {**(query.list_params or {}), "repeat": "true"}
    return StatisticsQuery(parse_filters(params), [], query.clock, params)


def _change(now: int, before: int | None) -> float | None:
    if before is None or before == 0:
        return None
    return round((now - before) / before * 100, 1)


def extra_sections(request, query: StatisticsQuery) -> list[str]:
    """Sections other capabilities add (hooks.statistics_sections, e.g. the portal's
    satisfaction), each given the same visible, filtered petitions the page counts."""
    petitions = petition_list(request.user, query.filters)
    sections = []
    for _key, render_section in hooks.statistics_sections.items():
        html = render_section(request, petitions, dict(query.list_params or {}))
        if html:
            sections.append(html)
    return sections
