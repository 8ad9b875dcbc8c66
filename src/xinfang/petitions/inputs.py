"""Reading fields from plain input (JSON or forms) with messages in the user's
language. Used by the registration checks and the workflow actions' inputs."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Unit
from xinfang.core.ids import parse_id
from xinfang.core.text import line_problem
from xinfang.petitions.deadlines import office_tz


class Errors:
    def __init__(self):
        self.by_field: dict[str, list] = {}

    def add(self, path: str, message) -> None:
        self.by_field.setdefault(path, []).append(message)

    def __bool__(self):
        return bool(self.by_field)


def read_text(errors, data, key, path, *, max_length, required=False, label=None, single_line=False) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(path, _("Must be text."))
        return ""
    value = value.strip()
    if "\x00" in value:
        errors.add(path, _("Must not contain NUL characters."))
        return ""
    if single_line and (problem := line_problem(value)):
        errors.add(path, problem)
        return ""
    if required and not value:
        errors.add(path, _("This field is required."))
    elif len(value) > max_length:
        errors.add(
            path,
            _("At most %(max)d characters (this has %(count)d).") % {"max": max_length, "count": len(value)},
        )
    return value


def read_bool(errors, data, key, path) -> bool:
    value = data.get(key, False)
    if value in (None, ""):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "on", "1", "yes"}:
        return True
    if isinstance(value, str) and value.lower() in {"false", "off", "0", "no"}:
        return False
    errors.add(path, _("Must be true or false."))
    return False


def read_datetime(errors, value, path) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            errors.add(path, _("Not a valid date and time (use e.g. 2026-11-26T09:30+08:00)."))
            return None
    elif value in (None, ""):
        errors.add(path, _("This field is required."))
        return None
    else:
        errors.add(path, _("Not a valid date and time (use e.g. 2026-11-26T09:30+08:00)."))
        return None
    if timezone.is_naive(parsed):
        # Times typed on a form without an offset are the office's local time.
        parsed = parsed.replace(tzinfo=office_tz())
    return parsed


def read_date(errors, value, path) -> date | None:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsed = parse_date(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            errors.add(path, _("Not a valid date (use YYYY-MM-DD)."))
        return parsed
    if value not in (None, ""):
        errors.add(path, _("Not a valid date (use YYYY-MM-DD)."))
    return None


def read_unit_ids(errors, values, path) -> list[int]:
    if values in (None, ""):
        return []
    if not isinstance(values, (list, tuple)):
        errors.add(path, _("Must be a list of unit ids."))
        return []
    ids = []
    for value in values:
        unit_id = value.pk if isinstance(value, Unit) else parse_id(value)
        if unit_id is None:
            errors.add(path, _("“%(value)s” is not a unit id.") % {"value": str(value)[:40]})
        else:
            ids.append(unit_id)
    return ids


def require_units(errors, units: dict[int, Unit], ids, path) -> None:
    for missing in sorted(set(ids) - set(units)):
        errors.add(path, _("Unit %(id)s does not exist.") % {"id": missing})
