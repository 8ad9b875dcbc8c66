"""The standard 信访情况统计表: categories × channels for a month, quarter or year, with totals,
petitions handled on time, overdue ones, and the change against the period before.

The same table feeds the page, the workbook (totals as live SUM formulas, so an office can add a
row by hand and the totals follow) and the PDF (the page printed by headless Chromium).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import xlsxwriter
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xinfang.core.errors import InvalidInput
from xinfang.petitions.choices import Channel
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.models import Category
from xinfang.petitions.selectors import parse_filters

_PERIOD = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])))?$")
PDF_TIMEOUT = 60


@dataclass(frozen=True)
class Period:
    kind: str  # month, quarter, year
    first: date
    last: date
    code: str

    def label(self) -> str:
        if self.kind == "year":
            return _("%(year)d") % {"year": self.first.year}
        if self.kind == "quarter":
            return _("Q%(q)d %(year)d") % {"q": (self.first.month - 1) // 3 + 1, "year": self.first.year}
        return _("%(year)d-%(month)02d") % {"year": self.first.year, "month": self.first.month}

    def previous(self) -> Period:
        if self.kind == "year":
            return parse_period(str(self.first.year - 1))
        if self.kind == "quarter":
            before = self.first - timedelta(days=1)
            return parse_period(f"{before.year}-Q{(before.month - 1) // 3 + 1}")
        before = self.first - timedelta(days=1)
        return parse_period(f"{before.year}-{before.month:02d}")


def _month_end(year: int, month: int) -> date:
    return (date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def parse_period(raw: str) -> Period:
    """2026-11 (a month), 2026-Q4 (a quarter) or 2026 (a year)."""
    match = _PERIOD.match((raw or "").strip())
    if not match or not 1990 <= int(match.group(1)) <= 2999:
        raise InvalidInput({"period": [_("Give a month (2026-11), a quarter (2026-Q4) or a year (2026).")]})
    year, month, quarter = int(match.group(1)), match.group(2), match.group(3)
    if month:
        m = int(month)
        return Period("month", date(year, m, 1), _month_end(year, m), f"{year}-{m:02d}")
    if quarter:
        q = int(quarter)
        return Period("quarter", date(year, 3 * q - 2, 1), _month_end(year, 3 * q), f"{year}-Q{q}")
    return Period("year", date(year, 1, 1), date(year, 12, 31), str(year))


def current_month() -> str:
    today = timezone.localdate(timezone.now(), office_tz())
    return f"{today.year}-{today.month:02d}"


def _counts(user, period: Period) -> dict:
    """{(category code, channel): {"n", "on_time", "overdue"}}. A petition is on time when it
    has a decided clock (met, or running past its end) and none late; as no running clock past
    its end is then left, that is: a met clock, none met late, and not overdue now, which the
    statistics summary keeps (PostgreSQL: the office's roles, and a handling officer whose unit
    has none above it, summary_scope.summary_query)."""
    from xinfang.reports import statistics_onepass, summary
    from xinfang.reports.statistics import StatisticsQuery

    filters = parse_filters(
        {"received_after": period.first.isoformat(), "received_before": period.last.isoformat()}
    )
    query = StatisticsQuery(filters, ["category", "channel"])
    asked = summary.summary_query(user, query)
    if asked is not None:
        rows = summary.summary_statistics(user, asked, settled=True)["rows"]
        return {
            (r["category"], r["channel"]): {
                "n": r["count"],
                "on_time": r["on_time_petitions"],
                "overdue": r["overdue"],
            }
            for r in rows
        }
    # Everything else (SQLite; a handling officer under a unit above theirs): the petitions read
    # once with their clocks.
    return statistics_onepass.many(user, [statistics_onepass.Ask(query, kind="settled")])[0]


def standard_table(user, period: Period) -> dict:
    english = (get_language() or "").startswith("en")
    channels = list(Channel.choices)
    current, before = _counts(user, period), _counts(user, period.previous())
    rows = []
    for category in Category.objects.all():
        cells = [current.get((category.code, code), {}).get("n", 0) for code, _label in channels]
        total = sum(cells)
        previous = sum(before.get((category.code, code), {}).get("n", 0) for code, _label in channels)
        if not total and not previous and not category.active:
            continue
        rows.append(
            {
                "code": category.code,
                "label": category.name_en if english and category.name_en else category.name,
                "cells": cells,
                "total": total,
                "on_time": sum(current.get((category.code, c), {}).get("on_time", 0) for c, _l in channels),
                "overdue": sum(current.get((category.code, c), {}).get("overdue", 0) for c, _l in channels),
                "previous": previous,
                "change": _change(total, previous),
            }
        )
    totals = {
        "cells": [sum(r["cells"][i] for r in rows) for i in range(len(channels))],
        "total": sum(r["total"] for r in rows),
        "on_time": sum(r["on_time"] for r in rows),
        "overdue": sum(r["overdue"] for r in rows),
        "previous": sum(r["previous"] for r in rows),
    }
    totals["change"] = _change(totals["total"], totals["previous"])
    return {
        "period": period,
        "previous_period": period.previous(),
        "channels": [(code, str(label)) for code, label in channels],
        "rows": rows,
        "totals": totals,
    }


def _change(now: int, before: int) -> float | None:
    return round((now - before) / before * 100, 1) if before else None


def standard_xlsx(table: dict, title: str) -> bytes:
    """The table with live formulas for every total and change, and their values cached so that
    a viewer without a formula engine shows them too."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(_("Statistics"))
    head = book.add_format(
        {"bold": True, "border": 1, "bg_color": "#E8EEF4", "align": "center", "text_wrap": True}
    )
    cell = book.add_format({"border": 1})
    bold = book.add_format({"border": 1, "bold": True})
    pct = book.add_format({"border": 1, "num_format": "0.0%"})
    heading = book.add_format({"bold": True, "font_size": 14})
    channels = table["channels"]
    n = len(channels)
    sheet.write_string(0, 0, title, heading)
    columns = [
        _("Category"),
        *[label for _c, label in channels],
        _("Total"),
        _("On time"),
        _("Overdue"),
        _("Previous period"),
        _("Change"),
    ]
    for col, text in enumerate(columns):
        sheet.write_string(2, col, str(text), head)
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, len(columns) - 1, 10)
    first_row = 3
    for i, row in enumerate(table["rows"]):
        r = first_row + i
        sheet.write_string(r, 0, row["label"], cell)
        for j, value in enumerate(row["cells"]):
            sheet.write_number(r, 1 + j, value, cell)
        sheet.write_formula(r, 1 + n, f"=SUM({_a1(r, 1)}:{_a1(r, n)})", bold, row["total"])
        sheet.write_number(r, 2 + n, row["on_time"], cell)
        sheet.write_number(r, 3 + n, row["overdue"], cell)
        sheet.write_number(r, 4 + n, row["previous"], cell)
        total, previous = _a1(r, 1 + n), _a1(r, 4 + n)
        change = (row["total"] - row["previous"]) / row["previous"] if row["previous"] else ""
        sheet.write_formula(r, 5 + n, f'=IF({previous}=0,"",({total}-{previous})/{previous})', pct, change)
    last = first_row + len(table["rows"]) - 1
    r = last + 1
    sheet.write_string(r, 0, str(_("Total")), bold)
    totals = table["totals"]
    values = [*totals["cells"], totals["total"], totals["on_time"], totals["overdue"], totals["previous"]]
    for col, value in enumerate(values, start=1):
        formula = f"=SUM({_a1(first_row, col)}:{_a1(last, col)})" if table["rows"] else "=0"
        sheet.write_formula(r, col, formula, bold, value)
    total, previous = _a1(r, 1 + n), _a1(r, 4 + n)
    change = (totals["total"] - totals["previous"]) / totals["previous"] if totals["previous"] else ""
    sheet.write_formula(r, 5 + n, f'=IF({previous}=0,"",({total}-{previous})/{previous})', pct, change)
    book.close()
    return out.getvalue()


def _a1(row: int, col: int) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    return xl_rowcol_to_cell(row, col)


def html_to_pdf(html: str) -> bytes:
    """Print an HTML page (the report, with its print stylesheet) to PDF with headless Chromium,
    the browser CI already installs. No network: the page carries its CSS inline-free as a file
    next to it, and Chromium runs with networking features off."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise RuntimeError("chromium is not installed")
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "report.html", Path(folder) / "report.pdf"
        source.write_text(html, encoding="utf-8")
        subprocess.run(  # noqa: S603 - fixed arguments, our own file names
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-pdf-header-footer",
                f"--user-data-dir={folder}/profile",
                f"--print-to-pdf={target}",
                source.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=PDF_TIMEOUT,
        )
        return target.read_bytes()
