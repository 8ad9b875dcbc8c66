"""What the statistics page shows, built from statistics.py: sections of rows with labels,
links to the list and the data the chart script draws. Views only render it."""

from __future__ import annotations

import json

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xinfang.accounts.models import Unit
from xinfang.petitions import hooks
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.models import Category
from xinfang.petitions.selectors import petition_list
from xinfang.reports.statistics import (
    StatisticsQuery,
    comparison_period,
    link_maker,
    list_link,
    page_statistics,
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
HANDLING_KINDS = ("department", "public_security")


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
    """Display names for group keys, read once per page (one statement for the categories, one
    for the units), with the filter form's choices taken from the same rows."""

    def __init__(self):
        english = (get_language() or "").startswith("en")
        self.channel = dict(Channel.choices)
        self.status = dict(Status.choices)
        categories = [
            (code, name_en if english and name_en else name, active)
            for code, name, name_en, active in Category.objects.values_list(
                "code", "name", "name_en", "active"
            )
        ]
        self.category = {code: name for code, name, _active in categories}
        self.active_categories = [(code, name) for code, name, active in categories if active]
        units = list(Unit.objects.values_list("id", "name", "kind"))
        self.unit = {pk: name for pk, name, _kind in units}
        # The units a petition is assigned to (the form's handling-unit filter).
        self.handling_units = [(pk, name) for pk, name, kind in units if kind in HANDLING_KINDS]

    def of(self, key: str, value) -> str:
        if value is None:
            return _("(none)") if key != "unit" else _("(not assigned)")
        if key == "involved_unit":
            key = "unit"
        table = getattr(self, key, None)
        return str(table.get(value, value)) if isinstance(table, dict) else str(value)


def _with_query(query: StatisticsQuery, key: str) -> StatisticsQuery:
    return StatisticsQuery(query.filters, [key], query.clock, query.list_params)


def build_page(
    user, query: StatisticsQuery, *, interval: str, compare: str, labels: Labels | None = None
) -> dict:
    labels = labels or Labels()
    titles = section_titles()
    previous_query = comparison_period(query, compare) if compare else None
    groupings = ["group", *[grouping or interval for _key, grouping, _chart in SECTIONS]]
    asks = [(query, groupings)]
    if previous_query:
        asks.append((previous_query, [g for g in groupings if g != interval]))
    # Both periods' sections in one go: on PostgreSQL one read of the summary for all of them;
    # on SQLite one statement for them, the repeat petitions and the clocks' rates.
    (results, *earlier), repeat, rates = page_statistics(user, asks)
    overall = results["group"]
    earlier_results = earlier[0] if earlier else {}
    previous_total = earlier_results["group"]["total"] if earlier else None
    series = str(_("Petitions"))
    sections = []
    for key, grouping, chart in SECTIONS:
        grouping = grouping or interval
        grouped = _with_query(query, grouping)
        link, overdue_link = link_maker(grouped), link_maker(grouped, overdue="true")
        result = results[grouping]
        compared = bool(previous_query) and key != "intake"
        previous = {}
        if compared:
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
                    "link": link(row),
                    "overdue_link": overdue_link(row),
                    "previous": previous.get(value, 0) if compared else None,
                }
            )
        if key not in ("intake",):
            rows.sort(key=lambda r: -r["count"])
        data = {
            "type": chart,
            "labels": [r["label"] for r in rows],
            "values": [r["count"] for r in rows],
            "series": series,
        }
        sections.append(
            {
                "key": key,
                "data_json": json.dumps(data, ensure_ascii=False),
                "title": titles[key],
                "chart": chart,
                "rows": rows,
                "rows_html": _rows_html(rows),
            }
        )
    group_counts = {row["group"]: row["count"] for row in overall["rows"]}
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


# A section's table rows, written here rather than by the template: a page has 6 sections of up
# to ~100 rows (days, weeks) with 5 cells each, and the template engine's per-cell variables,
# conditions and {% widthratio %} were most of the template's time. The same markup, byte for
# byte, as the loop it replaces (tests/reports/test_statistics_page.py reads it back).
_ROW = (
    '\n          <tr><th scope="row">{label}</th>\n            <td><a href="{link}">{count}</a></td>'
    "\n            <td>{overdue}</td>\n            <td>{rate}</td>\n            {previous}</tr>\n        "
)


def _rows_html(rows: list[dict]) -> SafeString:
    """The <tr> of each row: label and links escaped; counts are integers."""
    out = []
    for row in rows:
        overdue = row["overdue"]
        rate = row["rate"]
        previous = row["previous"]
        out.append(
            _ROW.format(
                label=escape(row["label"]),
                link=escape(row["link"]),
                count=row["count"],
                overdue=f'<a href="{escape(row["overdue_link"])}">{overdue}</a>' if overdue else "0",
                # {% widthratio rate 1 100 %}: the rate in per cent, rounded half to even.
                rate="—" if rate is None else f"{round(float(rate) * 100)}%",
                previous="" if previous is None else f"<td>{previous}</td>",
            )
        )
    return mark_safe("".join(out))  # noqa: S308 (every value escaped or an integer above)


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
