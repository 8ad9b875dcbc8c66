"""What the audit chain seals of a petition (audit/state.py): the rows its events
describe, read in a few queries for many petitions at once.

Only what changes solely through a service that appends an event belongs here:
the petition's registration and procedure fields, its petitioners' names, and its
involved units and persons (the Rule 4.3 firewall). Left out: `updated_at`, the
sealed personal data (re-sealed by key rotation without an event; its ciphertext
is authenticated by its own key instead), deadlines and notifications.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from xinfang.petitions.models import InvolvedPerson, InvolvedUnit, Petition, Petitioner

FIELDS = (
    "number",
    "year",
    "serial",
    "channel",
    "status",
    "received_at",
    "anonymous",
    "title",
    "content",
    "requests",
    "category_id",
    "important",
    "urgent",
    "is_group",
    "superior_unit_id",
    "superior_reference",
    "superior_due_date",
    "first_responder_id",
    "outcome",
    "closed_at",
    "archive_number",
    "archived_at",
    "void_reason",
    "merged_into_id",
)


def _iso(value):
    # Both databases hand aware datetimes back in UTC; a value still in memory may carry
    # the office's zone. The same instant must describe the same way either way.
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        value = value.astimezone(datetime.UTC)
    return value.isoformat() if hasattr(value, "isoformat") else value


def _sort(described: dict) -> dict:
    for key in ("involved_units", "involved_persons", "petitioners"):
        described[key].sort(key=lambda item: [str(x) for x in item] if isinstance(item, list) else item)
    return described


def describe_written(petition: Petition, *, petitioners, involved_units, involved_persons) -> dict:
    """The description `describe` would read back, built from rows a service has just
    written and still holds (registration): no query. verify_audit compares the sealed
    digest with `describe` of the stored rows, and tests/audit/test_state_in_memory.py
    checks both agree for every shape of registration."""
    return _sort(
        {
            "petition": {k: _iso(getattr(petition, k)) for k in FIELDS},
            "involved_units": [u.unit_id for u in involved_units],
            "involved_persons": [[p.name, p.unit_id, p.user_id] for p in involved_persons],
            "petitioners": [[p.position, p.name, p.work_unit, p.is_representative] for p in petitioners],
        }
    )


def describe(petition_ids: Iterable[int]) -> dict[int, dict]:
    ids = list(petition_ids)
    out: dict[int, dict] = {}
    for row in Petition.objects.filter(pk__in=ids).values("pk", *FIELDS):
        pk = row.pop("pk")
        out[pk] = {
            "petition": {k: _iso(v) for k, v in row.items()},
            "involved_units": [],
            "involved_persons": [],
            "petitioners": [],
        }
    for pk, unit_id in InvolvedUnit.objects.filter(petition_id__in=ids).values_list("petition_id", "unit_id"):
        out[pk]["involved_units"].append(unit_id)
    for pk, *person in InvolvedPerson.objects.filter(petition_id__in=ids).values_list(
        "petition_id", "name", "unit_id", "user_id"
    ):
        out[pk]["involved_persons"].append(person)
    for pk, *petitioner in Petitioner.objects.filter(petition_id__in=ids).values_list(
        "petition_id", "position", "name", "work_unit", "is_representative"
    ):
        out[pk]["petitioners"].append(petitioner)
    for described in out.values():
        _sort(described)
    return out
