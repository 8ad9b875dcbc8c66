"""One ledger row -> the registration the API would receive, plus what only an import carries
(the original number, a closed matter's outcome and dates). Problems are collected per cell in
the user's language; nothing here writes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils.translation import gettext as _

from xinfang.accounts.models import Unit
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.models import Category
from xinfang.reports.columns import BY_KEY

EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug included)
SERIAL_RANGE = (1, 2958465)  # 1900-01-01 .. 9999-12-31
_DATE_PATTERNS = (
    re.compile(
        r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T日]+(\d{1,2})[:：](\d{2})(?:[:：]\d{2})?)?$"
    ),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?(?:\s*(\d{1,2})[:：时](\d{2})分?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_SPLIT = re.compile(r"[、,，;；/\n]+")
_FORMULA_START = ("=", "+", "@")
CLOSED_WORDS = frozenset(
    {"已办结", "办结", "已结案", "结案", "已结", "已归档", "归档", "是", "closed", "archived", "done", "yes"}
)


@dataclass
class RowResult:
    row: int  # the spreadsheet's row number, as the user sees it
    original_number: str = ""
    data: dict = field(default_factory=dict)
    closed: bool = False
    outcome: str = ""
    closed_at: datetime | None = None
    replied_at: datetime | None = None
    # The old ledger's handling units (承办单位), lead first: unit ids.
    handling_units: list[int] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def error(self, key: str, message: str) -> None:
        self.errors.append({"row": self.row, "field": str(BY_KEY[key].heading), "message": str(message)})


def cell_text(value) -> str:
    """A cell as text: whole numbers without ".0", our own export's escaping apostrophe removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    return text


def parse_day(value) -> datetime | None:
    """A date in any form offices use: a real date cell, an Excel serial number, 2026/1/5,
    2026-01-05, 2026.1.5, 2026年1月5日, 20260105 (optionally with a time). Naive, office time.
    Raises ValueError for anything else."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not SERIAL_RANGE[0] <= value <= SERIAL_RANGE[1]:
            raise ValueError
        return datetime.combine(EXCEL_EPOCH, time(0, 0)) + timedelta(days=float(value))
    text = cell_text(value)
    if text.replace(".", "", 1).isdigit() and len(text) <= 7:  # a serial number kept as text
        return parse_day(float(text))
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            y, m, d, hh, mm = (*match.groups(), None, None)[:5]
            return datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0))
    raise ValueError


class Lookups:
    """Names and codes of channels, categories, units and statuses, read once per import."""

    def __init__(self):
        self.closed = set(CLOSED_WORDS)
        self.channels = {}
        for code, label in Channel.choices:
            for name in (code, str(label), *_channel_words(code)):
                self.channels[name.lower()] = code
        from django.utils import translation

        for language in ("zh-hans", "en"):
            with translation.override(language):
                for code, label in Channel.choices:
                    self.channels[str(label).lower()] = code
                for code, label in Status.choices:
                    if code in (Status.CLOSED, Status.ARCHIVED):
                        self.closed.add(str(label).lower())
        self.categories = {}
        for c in Category.objects.all():
            for name in (c.code, c.name, c.name_en):
                if name:
                    self.categories[name.lower()] = c.code
        self.units = {}
        for unit_id, code, name in Unit.objects.values_list("id", "code", "name"):
            self.units[name] = unit_id
            self.units[code.lower()] = unit_id


def _channel_words(code: str) -> tuple[str, ...]:
    return {
        "letter": ("来信", "信件", "书信", "写信"),
        "visit": ("来访", "走访", "接访"),
        "call": ("来电", "电话", "热线"),
        "online": ("网上信访", "网信", "网络", "网上", "邮件", "电子邮件"),
        "superior": ("上级交办", "交办", "上级转办"),
        "assistance": ("协办", "请求协办"),
    }.get(code, ())


def _text(cells: dict, key: str) -> str:
    return cell_text(cells.get(key))


def map_row(row_number: int, cells: dict, lookups: Lookups, now: datetime) -> RowResult:
    """`cells`: column key -> raw cell value."""
    result = RowResult(row=row_number)
    result.original_number = _text(cells, "number")
    if not result.original_number:
        result.error("number", _("Every row needs its number in the old ledger (kept as a reference)."))
    elif len(result.original_number) > 64:
        result.error("number", _("At most 64 characters."))

    for key, raw in cells.items():
        if (
            isinstance(raw, str)
            and raw.strip().startswith(_FORMULA_START)
            and key not in ("id_number", "phone")
        ):
            result.error(key, _("This cell holds a formula; enter the value itself."))

    received = None
    if cells.get("received_at") in (None, ""):
        result.error("received_at", _("The date of receipt is missing."))
    else:
        try:
            received = parse_day(cells["received_at"])
        except (ValueError, OverflowError):
            result.error(
                "received_at",
                _("“%(value)s” is not a date (write 2026-01-05, 2026/1/5 or 2026年1月5日).")
                % {"value": _text(cells, "received_at")[:40]},
            )

    channel_text = _text(cells, "channel")
    channel = lookups.channels.get(channel_text.lower())
    if channel is None:
        result.error("channel", _("Unknown channel “%(value)s”.") % {"value": channel_text[:40]})

    category_text = _text(cells, "category")
    category = lookups.categories.get(category_text.lower())
    if category is None:
        result.error("category", _("Unknown category “%(value)s”.") % {"value": category_text[:40]})

    involved = _units(result, cells, "involved_units", lookups)
    result.handling_units = list(dict.fromkeys(_units(result, cells, "handling_units", lookups)))

    petitioners = _petitioners(result, cells)
    title = _text(cells, "title")
    content = _text(cells, "content") or title
    result.data = {
        "channel": channel or "",
        "received_at": received.replace(tzinfo=office_tz()).isoformat() if received else None,
        "petitioners": petitioners,
        "anonymous": not petitioners,
        "title": title,
        "content": content,
        "requests": _text(cells, "requests"),
        "category": category or "",
        "involved_units": sorted(set(involved)),
    }
    superior = _superior(result, cells, lookups)
    if superior is not None:
        result.data["superior"] = superior
    if channel in ("visit", "call"):
        # Rule 4.2 asks for a reception record; the old ledger kept none.
        result.data["reception"] = {"notes": _("Imported from a ledger; the conversation was not recorded.")}

    status_text = _text(cells, "status").lower()
    result.closed = status_text in lookups.closed or bool(cells.get("closed_at") not in (None, ""))
    result.outcome = _text(cells, "outcome")
    for key in ("closed_at", "replied_at"):
        if cells.get(key) not in (None, ""):
            try:
                setattr(result, key, parse_day(cells[key]).replace(tzinfo=office_tz()))
            except (ValueError, OverflowError):
                result.error(key, _("“%(value)s” is not a date.") % {"value": _text(cells, key)[:40]})
    if result.closed:
        if not result.outcome:
            result.error("outcome", _("A closed matter needs its outcome (Rule 4.4)."))
        result.closed_at = (
            result.closed_at
            or result.replied_at
            or (received.replace(tzinfo=office_tz()) if received else None)
        )
    return result


def _units(result: RowResult, cells: dict, key: str, lookups: Lookups) -> list[int]:
    """Unit names (or codes) separated by 、 , ; / or line breaks -> ids, in the cell's order."""
    ids = []
    for name in _SPLIT.split(_text(cells, key)):
        name = name.strip()
        if not name:
            continue
        unit_id = lookups.units.get(name) or lookups.units.get(name.lower())
        if unit_id is None:
            result.error(key, _("Unknown unit “%(value)s”.") % {"value": name[:40]})
        else:
            ids.append(unit_id)
    return ids


def _superior(result: RowResult, cells: dict, lookups: Lookups) -> dict | None:
    """The sender of a matter assigned by a superior (or sent for assistance): its organ, reference
    and due date, as the registration's `superior` object; None when the row names none. Whether
    the channel needs one, and what it must hold, is check_registration's to say."""
    keys = ("superior_unit", "superior_reference", "superior_due")
    if all(cells.get(key) in (None, "") for key in keys):
        return None
    superior: dict = {"reference": _text(cells, "superior_reference")}
    name = _text(cells, "superior_unit")
    if name:
        unit_id = lookups.units.get(name) or lookups.units.get(name.lower())
        if unit_id is None:
            result.error("superior_unit", _("Unknown unit “%(value)s”.") % {"value": name[:40]})
        superior["unit"] = unit_id
    if cells.get("superior_due") not in (None, ""):
        try:
            superior["due_date"] = parse_day(cells["superior_due"]).date().isoformat()
        except (ValueError, OverflowError):
            result.error(
                "superior_due",
                _("“%(value)s” is not a date.") % {"value": _text(cells, "superior_due")[:40]},
            )
    return superior


def _petitioners(result: RowResult, cells: dict) -> list[dict]:
    names = [n.strip() for n in _SPLIT.split(_text(cells, "petitioner")) if n.strip()]
    raw_id = cells.get("id_number")
    if isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool):
        result.error(
            "id_number",
            _(
                "The ID number was stored as a number, so its last digits are lost; format the column as text."
            ),
        )
        ids = []
    else:
        # Masked numbers (our own export shows 1101**********002X) cannot be restored: left out.
        ids = [i.strip() for i in _SPLIT.split(cell_text(raw_id)) if i.strip() and "*" not in i]
    phones = [p.strip() for p in _SPLIT.split(_text(cells, "phone")) if p.strip() and "*" not in p]
    addresses = [a.strip() for a in _SPLIT.split(_text(cells, "address")) if a.strip() and "…" not in a]
    people = []
    for i, name in enumerate(names):
        person = {"name": name}
        for key, values in (("id_number", ids), ("phone", phones), ("address", addresses)):
            if i < len(values):
                person[key] = values[i]
        people.append(person)
    return people
