"""Validation of registration input, shared by the web form, the API and commands.

`check_registration` takes plain data (strings, numbers, lists and dicts as they
come from JSON or a form, or already-typed values) and returns a typed
`RegistrationInput`, or raises InvalidInput with every problem at once, keyed by
field path ("petitioners.1.id_number"). It reads the database (categories,
units, users) but changes nothing. Permission checks are the caller's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Unit, UnitKind
from xinfang.core.errors import InvalidInput
from xinfang.core.statements import Arg, KeptModels, first_of
from xinfang.petitions.choices import GROUP_PETITION_SIZE, RECEPTION_CHANNELS, Channel
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.inputs import (
    Errors,
    read_bool,
    read_date,
    read_datetime,
    read_text,
    read_unit_ids,
    require_units,
)
from xinfang.petitions.models import Category, InvolvedPerson, Petition, Petitioner, ReceptionRecord
from xinfang.petitions.validators import (
    id_number_problem,
    is_valid_phone,
    normalize_id_number,
    normalize_phone,
)

MAX_PETITIONERS = 200
MAX_INVOLVED = 50
# Letters are dated when they reach the office; a little clock skew is tolerated.
FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST_RECEIVED = date(1990, 1, 1)
# The channels' codes, for the membership test of every check: `Channel.values` builds its list
# anew from the enum's members on every access (about a fifth of a ledger row's check).
_CHANNELS = frozenset(Channel.values)


# The active category by code, as `Category.objects.filter(code=…, active=True).first()` reads it,
# compiled once (core/statements.py): one look-up per registration.
_CATEGORY = KeptModels(
    lambda: first_of(Category.objects.filter(code=Arg("code", Category._meta.get_field("code")), active=True))
)


def _max_length(model, name):
    return model._meta.get_field(name).max_length


@dataclass
class PetitionerInput:
    name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""
    work_unit: str = ""
    is_representative: bool = False


@dataclass
class InvolvedPersonInput:
    name: str
    unit: Unit | None = None
    user: object | None = None


@dataclass
class ReceptionInput:
    notes: str
    explained: str = ""
    visitors: int | None = None


@dataclass
class RegistrationInput:
    channel: str
    received_at: datetime
    title: str
    content: str
    category: Category
    requests: str = ""
    anonymous: bool = False
    important: bool = False
    urgent: bool = False
    petitioners: list[PetitionerInput] = field(default_factory=list)
    involved_units: list[Unit] = field(default_factory=list)
    involved_persons: list[InvolvedPersonInput] = field(default_factory=list)
    superior_unit: Unit | None = None
    superior_reference: str = ""
    superior_due_date: date | None = None
    reception: ReceptionInput | None = None

    @property
    def is_group(self) -> bool:
        return len(self.petitioners) >= GROUP_PETITION_SIZE


def _known_channel(channel) -> bool:
    try:
        return channel in _CHANNELS
    except TypeError:  # unhashable (a list or an object from JSON): no channel's code
        return False


def _petitioners(errors, raw, anonymous, today: date | None = None) -> list[PetitionerInput]:
    if raw in (None, ""):
        raw = []
    if not isinstance(raw, (list, tuple)):
        errors.add("petitioners", _("Must be a list of petitioners."))
        return []
    if len(raw) > MAX_PETITIONERS:
        errors.add("petitioners", _("At most %(max)d petitioners.") % {"max": MAX_PETITIONERS})
        return []
    if not raw and not anonymous:
        errors.add("petitioners", _("Register at least one petitioner, or mark the petition anonymous."))
    result = []
    seen_ids: dict[str, int] = {}
    for i, item in enumerate(raw):
        path = f"petitioners.{i}"
        if isinstance(item, PetitionerInput):
            result.append(item)
            continue
        if not isinstance(item, Mapping):
            errors.add(path, _("Must be an object with the petitioner's details."))
            continue
        name = read_text(
            errors,
            item,
            "name",
            f"{path}.name",
            max_length=_max_length(Petitioner, "name"),
            required=True,
            single_line=True,
        )
        id_number = normalize_id_number(
            read_text(errors, item, "id_number", f"{path}.id_number", max_length=30)
        )
        if id_number:
            # The office's date, read once per check (timezone.localdate reads the active
            # time zone from a context-local: tens of µs, for every row of a ledger).
            today = today or timezone.localdate()
            problem = id_number_problem(id_number, today=today)
            if problem == "shape":
                errors.add(f"{path}.id_number", _("An ID number has 17 digits followed by a digit or X."))
            elif problem == "birth_date":
                errors.add(f"{path}.id_number", _("The birth date in this ID number is impossible."))
            elif problem == "checksum":
                errors.add(f"{path}.id_number", _("This ID number's check digit is wrong; please check it."))
            elif id_number in seen_ids:
                errors.add(
                    f"{path}.id_number",
                    _("Same ID number as petitioner %(n)d.") % {"n": seen_ids[id_number] + 1},
                )
            else:
                seen_ids[id_number] = i
        phone = normalize_phone(read_text(errors, item, "phone", f"{path}.phone", max_length=30))
        if phone and not is_valid_phone(phone):
            errors.add(
                f"{path}.phone",
                _("Not a phone number: give an 11-digit mobile or a landline with its area code."),
            )
        address = read_text(
            errors,
            item,
            "address",
            f"{path}.address",
            max_length=_max_length(Petitioner, "address"),
            single_line=True,
        )
        work_unit = read_text(
            errors,
            item,
            "work_unit",
            f"{path}.work_unit",
            max_length=_max_length(Petitioner, "work_unit"),
            single_line=True,
        )
        rep = read_bool(errors, item, "is_representative", f"{path}.is_representative")
        result.append(PetitionerInput(name, id_number, phone, address, work_unit, rep))
    return result


def check_registration(
    data: Mapping,
    *,
    now: datetime | None = None,
    active_units: Mapping[int, Unit] | None = None,
    active_categories: Mapping[str, Category] | None = None,
    today: date | None = None,
) -> RegistrationInput:
    """`active_units` (id -> Unit) and `active_categories` (code -> Category): every ACTIVE unit
    and category, read once by a caller that checks many registrations (a ledger import), so
    that each check reads no row; the answers are the same as with the queries. `today`: the
    current date in the active time zone (timezone.localdate(), which an ID number's birth date
    may not pass), from such a caller too."""
    if not isinstance(data, Mapping):
        raise InvalidInput({"non_field_errors": [_("Expected an object with the petition's fields.")]})
    now = now or timezone.now()
    errors = Errors()

    channel = data.get("channel")
    if not _known_channel(channel):
        errors.add("channel", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Channel.values)})
        channel = None

    received_at = read_datetime(errors, data.get("received_at"), "received_at")
    if received_at is not None:
        if received_at > now + FUTURE_TOLERANCE:
            errors.add("received_at", _("The time of receipt cannot be in the future."))
        elif received_at.astimezone(office_tz()).date() < EARLIEST_RECEIVED:
            errors.add("received_at", _("The time of receipt is implausibly early."))

    anonymous = read_bool(errors, data, "anonymous", "anonymous")
    title = read_text(
        errors,
        data,
        "title",
        "title",
        max_length=_max_length(Petition, "title"),
        required=True,
        single_line=True,
    )
    content = read_text(
        errors, data, "content", "content", max_length=_max_length(Petition, "content"), required=True
    )
    requests = read_text(errors, data, "requests", "requests", max_length=_max_length(Petition, "requests"))
    important = read_bool(errors, data, "important", "important")
    urgent = read_bool(errors, data, "urgent", "urgent")

    category = data.get("category")
    if isinstance(category, Category):
        pass
    elif not isinstance(category, str) or not category.strip():
        errors.add("category", _("Choose a category."))
        category = None
    else:
        found = (
            active_categories.get(category.strip())
            if active_categories is not None
            else next(iter(_CATEGORY.get(code=category.strip())), None)
        )
        if found is None:
            errors.add("category", _("Unknown category “%(code)s”.") % {"code": category.strip()[:40]})
        category = found

    petitioners = _petitioners(errors, data.get("petitioners"), anonymous, today)

    # Involved (complained-about) units and persons: the Rule 4.3 firewall.
    unit_ids = read_unit_ids(errors, data.get("involved_units"), "involved_units")
    if len(unit_ids) > MAX_INVOLVED:
        errors.add("involved_units", _("At most %(max)d units.") % {"max": MAX_INVOLVED})
        unit_ids = []
    raw_persons = data.get("involved_persons") or []
    if not isinstance(raw_persons, (list, tuple)):
        errors.add("involved_persons", _("Must be a list of persons."))
        raw_persons = []
    if len(raw_persons) > MAX_INVOLVED:
        errors.add("involved_persons", _("At most %(max)d persons.") % {"max": MAX_INVOLVED})
        raw_persons = []
    person_unit_ids: dict[int, list[int]] = {}
    for i, person in enumerate(raw_persons):
        if isinstance(person, Mapping) and person.get("unit") not in (None, ""):
            person_unit_ids[i] = read_unit_ids(errors, [person.get("unit")], f"involved_persons.{i}.unit")
    superior = data.get("superior") or {}
    if not isinstance(superior, Mapping):
        errors.add("superior", _("Must be an object with unit, reference and due_date."))
        superior = {}
    superior_ids = read_unit_ids(errors, [superior["unit"]], "superior.unit") if superior.get("unit") else []

    wanted = set(unit_ids + superior_ids + [i for ids in person_unit_ids.values() for i in ids])
    if active_units is not None:
        units = {pk: active_units[pk] for pk in wanted if pk in active_units}
    elif wanted:
        units = {u.pk: u for u in Unit.objects.filter(pk__in=wanted, active=True)}
    else:  # no statement either way (an empty IN matches nothing), but its compilation is saved
        units = {}
    require_units(errors, units, unit_ids, "involved_units")
    for i, ids in person_unit_ids.items():
        require_units(errors, units, ids, f"involved_persons.{i}.unit")
    require_units(
        errors,
        units,
        superior_ids if channel in (Channel.SUPERIOR, Channel.ASSISTANCE) else [],
        "superior.unit",
    )
    involved_units = [units[i] for i in dict.fromkeys(unit_ids) if i in units]

    usernames = [p.get("user") for p in raw_persons if isinstance(p, Mapping) and p.get("user")]
    # No names, no query: even an empty IN list costs Django a compiled statement.
    users = (
        {u.username: u for u in get_user_model().objects.filter(username__in=[str(n) for n in usernames])}
        if usernames
        else {}
    )
    involved_persons = []
    for i, person in enumerate(raw_persons):
        path = f"involved_persons.{i}"
        if isinstance(person, InvolvedPersonInput):
            involved_persons.append(person)
            continue
        if not isinstance(person, Mapping):
            errors.add(path, _("Must be an object with the person's name."))
            continue
        name = read_text(
            errors,
            person,
            "name",
            f"{path}.name",
            max_length=_max_length(InvolvedPerson, "name"),
            required=True,
            single_line=True,
        )
        unit_ids_here = person_unit_ids.get(i, [])
        unit = units.get(unit_ids_here[0]) if unit_ids_here else None
        user = None
        if person.get("user"):
            user = users.get(str(person["user"]))
            if user is None:
                errors.add(f"{path}.user", _("No user “%(name)s”.") % {"name": str(person["user"])[:40]})
        involved_persons.append(InvolvedPersonInput(name, unit, user))

    superior_unit = superior_reference = None
    superior_due_date = None
    if channel in (Channel.SUPERIOR, Channel.ASSISTANCE):
        allowed = (
            {UnitKind.SUPERIOR}
            if channel == Channel.SUPERIOR
            else {UnitKind.SUPERIOR, UnitKind.EXTERNAL, UnitKind.PUBLIC_SECURITY}
        )
        if not superior.get("unit"):
            errors.add("superior.unit", _("Name the organ that sent this matter."))
        elif superior_ids and superior_ids[0] in units:
            superior_unit = units[superior_ids[0]]
            if superior_unit.kind not in allowed:
                errors.add("superior.unit", _("This unit is not a superior or outside organ."))
        superior_reference = read_text(
            errors,
            superior,
            "reference",
            "superior.reference",
            max_length=64,
            required=channel == Channel.SUPERIOR,
            single_line=True,
        )
        superior_due_date = read_date(errors, superior.get("due_date"), "superior.due_date")
        if (
            channel == Channel.SUPERIOR
            and superior_due_date is None
            and "superior.due_date" not in errors.by_field
        ):
            errors.add("superior.due_date", _("Give the due date the superior set (Rule 4.6)."))
        if (
            superior_due_date
            and received_at
            and superior_due_date < received_at.astimezone(office_tz()).date()
        ):
            errors.add("superior.due_date", _("The due date cannot be before the petition was received."))
    elif superior:
        errors.add("superior", _("Only matters assigned by a superior or assistance requests have a sender."))

    reception = None
    raw_reception = data.get("reception")
    if channel in RECEPTION_CHANNELS:
        if not isinstance(raw_reception, Mapping) and not isinstance(raw_reception, ReceptionInput):
            if raw_reception not in (None, ""):
                errors.add("reception", _("Must be an object with notes and what was explained."))
            raw_reception = {}
        if isinstance(raw_reception, ReceptionInput):
            reception = raw_reception
        else:
            notes = read_text(
                errors,
                raw_reception,
                "notes",
                "reception.notes",
                max_length=_max_length(ReceptionRecord, "notes"),
                required=True,
            )
            explained = read_text(
                errors,
                raw_reception,
                "explained",
                "reception.explained",
                max_length=_max_length(ReceptionRecord, "explained"),
            )
            visitors = raw_reception.get("visitors")
            if visitors in (None, ""):
                visitors = None
            else:
                try:
                    visitors = int(visitors)
                    if not 1 <= visitors <= 10000:
                        raise ValueError
                except (TypeError, ValueError):
                    errors.add("reception.visitors", _("Give the number of visitors as a whole number."))
                    visitors = None
            reception = ReceptionInput(notes, explained, visitors)
    elif raw_reception not in (None, "", {}):
        errors.add("reception", _("Only visits and calls have a reception record."))

    if errors:
        raise InvalidInput(errors.by_field)
    return RegistrationInput(
        channel=channel,
        received_at=received_at,
        title=title,
        content=content,
        requests=requests,
        category=category,
        anonymous=anonymous,
        important=important,
        urgent=urgent,
        petitioners=petitioners,
        involved_units=involved_units,
        involved_persons=involved_persons,
        superior_unit=superior_unit,
        superior_reference=superior_reference or "",
        superior_due_date=superior_due_date,
        reception=reception,
    )
