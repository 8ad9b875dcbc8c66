"""The registration form's data, in three shapes.

- the *form* shape: what the page shows and posts, all strings
  (`petitioners-0-name`, `superior-unit`, `reception-notes`, …), parsed by
  `form_from_post` and rendered by the templates;
- the *data* shape of API.md, which `check_registration` validates: produced by
  `data_from_form`;
- the stored registration (`registration_as_data`), turned into the form shape by
  `form_from_data` to pre-fill the correction page.

There are no rules here: validation is check_registration's, so the page, the API
and commands refuse the same things with the same messages.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from django.utils import timezone

from xinfang.petitions.choices import RECEPTION_CHANNELS, Channel
from xinfang.petitions.deadlines import office_tz

PETITIONER_FIELDS = ("name", "id_number", "phone", "address", "work_unit", "is_representative")
PERSON_FIELDS = ("name", "unit", "user")
SUPERIOR_FIELDS = ("unit", "reference", "due_date")
RECEPTION_FIELDS = ("notes", "explained", "visitors")
TEXT_FIELDS = ("channel", "received_at", "title", "content", "requests", "category")
FLAG_FIELDS = ("important", "urgent", "anonymous")
SUPERIOR_CHANNELS = frozenset({Channel.SUPERIOR, Channel.ASSISTANCE})
# Row indexes come from the browser; far more rows than check_registration accepts is refused there.
MAX_ROW_INDEX = 1000
_ROW = re.compile(r"^(petitioners|involved_persons)-(\d{1,4})-([a-z_]+)$")


def local_input_value(value: datetime) -> str:
    """A datetime as a datetime-local input shows it, in the office's time zone."""
    return timezone.localtime(value, office_tz()).strftime("%Y-%m-%dT%H:%M")


def empty_form(now: datetime | None = None) -> dict:
    return {
        "channel": Channel.LETTER,
        "received_at": local_input_value(now or timezone.now()),
        "title": "",
        "content": "",
        "requests": "",
        "category": "",
        "important": False,
        "urgent": False,
        "anonymous": False,
        "petitioners": [dict.fromkeys(PETITIONER_FIELDS, "") | {"is_representative": False}],
        "involved_units": [],
        "involved_persons": [],
        "superior": dict.fromkeys(SUPERIOR_FIELDS, ""),
        "reception": dict.fromkeys(RECEPTION_FIELDS, ""),
    }


def _rows(post, prefix: str, fields: tuple[str, ...], flags: tuple[str, ...] = ()) -> list[dict]:
    """Repeating rows, in the order of their indexes; rows left entirely empty are
    dropped (the page always offers a blank one)."""
    indexes = set()
    for key in post:
        match = _ROW.match(key)
        if match and match.group(1) == prefix and int(match.group(2)) <= MAX_ROW_INDEX:
            indexes.add(int(match.group(2)))
    rows = []
    for index in sorted(indexes):
        row = {}
        for name in fields:
            raw = post.get(f"{prefix}-{index}-{name}", "")
            row[name] = bool(raw) if name in flags else raw.strip()
        if any(row.values()):
            rows.append(row)
    return rows


def form_from_post(post) -> dict:
    form = {name: post.get(name, "").strip() for name in TEXT_FIELDS}
    # A typed line break in the long fields is kept; only the ends are trimmed.
    for name in ("content", "requests"):
        form[name] = post.get(name, "").strip()
    form.update({name: bool(post.get(name)) for name in FLAG_FIELDS})
    form["petitioners"] = _rows(post, "petitioners", PETITIONER_FIELDS, flags=("is_representative",))
    form["involved_persons"] = _rows(post, "involved_persons", PERSON_FIELDS)
    form["involved_units"] = [v for v in post.getlist("involved_units") if v]
    form["superior"] = {name: post.get(f"superior-{name}", "").strip() for name in SUPERIOR_FIELDS}
    form["reception"] = {name: post.get(f"reception-{name}", "").strip() for name in RECEPTION_FIELDS}
    return form


def data_from_form(form: dict) -> dict:
    """The API.md shape. The superior and reception blocks are sent when filled in or
    when the channel calls for them, so that check_registration, not this module,
    says what is missing or out of place."""
    channel = form["channel"]
    data = {name: form[name] for name in TEXT_FIELDS}
    data.update({name: form[name] for name in FLAG_FIELDS})
    data["petitioners"] = [dict(row) for row in form["petitioners"]]
    data["involved_units"] = list(form["involved_units"])
    data["involved_persons"] = [
        {"name": p["name"], "unit": p["unit"] or None, "user": p["user"] or None}
        for p in form["involved_persons"]
    ]
    superior = form["superior"]
    data["superior"] = dict(superior) if channel in SUPERIOR_CHANNELS or any(superior.values()) else None
    reception = form["reception"]
    data["reception"] = dict(reception) if channel in RECEPTION_CHANNELS or any(reception.values()) else None
    return data


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_input_value(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def form_from_data(data: dict) -> dict:
    """A stored registration (registration_as_data) in the form shape."""
    form = {name: _text(data.get(name)) for name in TEXT_FIELDS}
    form.update({name: bool(data.get(name)) for name in FLAG_FIELDS})
    form["petitioners"] = [
        {
            name: (bool(p.get(name)) if name == "is_representative" else _text(p.get(name)))
            for name in PETITIONER_FIELDS
        }
        for p in data.get("petitioners") or []
    ]
    form["involved_units"] = [str(u) for u in data.get("involved_units") or []]
    form["involved_persons"] = [
        {name: _text(p.get(name)) for name in PERSON_FIELDS} for p in data.get("involved_persons") or []
    ]
    form["superior"] = {name: _text((data.get("superior") or {}).get(name)) for name in SUPERIOR_FIELDS}
    form["reception"] = {name: _text((data.get("reception") or {}).get(name)) for name in RECEPTION_FIELDS}
    return form


# Which data keys each form key feeds: a correction sends only what the clerk changed.
FORM_TO_DATA_KEY = {name: name for name in TEXT_FIELDS + FLAG_FIELDS} | {
    "petitioners": "petitioners",
    "involved_units": "involved_units",
    "involved_persons": "involved_persons",
    "superior": "superior",
    "reception": "reception",
}


def changed_data(before: dict, after: dict) -> dict:
    """The data-shape changes between two forms, compared as the page shows them, so
    that a value the clerk did not touch (a time with seconds, say) stays as stored."""
    data = data_from_form(after)
    changes = {}
    for key, data_key in FORM_TO_DATA_KEY.items():
        old, new = before[key], after[key]
        if key in ("superior", "reception"):
            # A block the channel does not use counts as absent whatever it holds.
            old = old if any(old.values()) else None
            new = data[data_key]
        if old != new:
            changes[data_key] = data[data_key]
    if "channel" in changes:
        # Moving between channels moves the blocks with it.
        changes["superior"] = data["superior"]
        changes["reception"] = data["reception"]
    return changes


def errors_by_place(errors: dict) -> tuple[dict, dict, dict, list]:
    """Split InvalidInput.errors for the page: top-level fields (dots turned into
    "__" so a template can look them up), errors per petitioner row and per person
    row, and what has no place of its own on the page."""
    fields: dict[str, list] = {}
    petitioners: dict[int, dict] = {}
    persons: dict[int, dict] = {}
    for path, messages in errors.items():
        parts = path.split(".")
        if parts[0] in ("petitioners", "involved_persons") and len(parts) >= 2 and parts[1].isdigit():
            target = petitioners if parts[0] == "petitioners" else persons
            name = parts[2] if len(parts) > 2 else "row"
            target.setdefault(int(parts[1]), {}).setdefault(name, []).extend(messages)
        else:
            fields.setdefault("__".join(parts), []).extend(messages)
    placed = {
        *TEXT_FIELDS,
        *FLAG_FIELDS,
        "petitioners",
        "involved_units",
        "involved_persons",
        "superior",
        "superior__unit",
        "superior__reference",
        "superior__due_date",
        "reception",
        "reception__notes",
        "reception__explained",
        "reception__visitors",
        "files",
    }
    elsewhere = [m for key, msgs in fields.items() if key not in placed for m in msgs]
    return fields, petitioners, persons, elsewhere
