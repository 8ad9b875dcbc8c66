"""Unified numbering (Rule 3.1): PREFIX-YEAR-NNNNNN, gapless per year.

`allocate_number` must run inside the transaction that inserts the petition. The
UPDATE of the sequence row takes its lock (a row lock on PostgreSQL, the write
lock on SQLite, whose transactions start IMMEDIATE) and holds it until commit, so
concurrent registrations queue one behind the other and a rollback returns the
number. The unique constraint on (year, serial) backs it up.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F

from xinfang.petitions.models import NumberSequence


def format_number(prefix: str, year: int, serial: int) -> str:
    return f"{prefix}-{year}-{serial:06d}"


def allocate_number(year: int) -> tuple[str, int]:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_number must run inside the registering transaction")
    prefix = settings.NUMBER_PREFIX
    sequences = NumberSequence.objects.filter(prefix=prefix, year=year)
    if not sequences.update(last=F("last") + 1):
        # First number of the year: create the row without racing another process.
        NumberSequence.objects.bulk_create(
            [NumberSequence(prefix=prefix, year=year, last=0)], ignore_conflicts=True
        )
        sequences.update(last=F("last") + 1)
    serial = sequences.values_list("last", flat=True).get()
    return format_number(prefix, year, serial), serial
