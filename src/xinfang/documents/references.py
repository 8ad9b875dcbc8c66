"""Reference numbers (文号) of official documents: one gapless series per document type and year,
printed after a configurable pattern such as 达市政协信转〔2026〕12号.

`allocate_reference` works like the petition numbers (petitions/numbering.py): it must run in
the transaction that inserts the document; the UPDATE of the sequence row holds the row lock
(PostgreSQL) or the write lock (SQLite) until commit, so concurrent generations queue, and a
rollback (a master that fails to render, say) gives the number back. The unique constraint on
(type, year, serial) backs it up.
"""

from __future__ import annotations

import string

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F

from xinfang.documents.models import ReferenceSequence

DEFAULT_PATTERNS = {
    "registration_form": "{prefix}登〔{year}〕{serial}号",
    "acceptance_notice": "{prefix}受〔{year}〕{serial}号",
    "non_acceptance_notice": "{prefix}不受〔{year}〕{serial}号",
    "transfer_letter": "{prefix}转〔{year}〕{serial}号",
    "assignment_form": "{prefix}交〔{year}〕{serial}号",
    "supervision_letter": "{prefix}督〔{year}〕{serial}号",
    "reply_opinion": "{prefix}复〔{year}〕{serial}号",
    "superior_report": "{prefix}报〔{year}〕{serial}号",
    "delivery_receipt": "{prefix}送〔{year}〕{serial}号",
}
FIELDS = {"prefix", "year", "serial"}


def check_pattern(pattern: str) -> str:
    """A usable pattern names {year} and {serial} and nothing else but {prefix}."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as exc:
        raise ImproperlyConfigured(f"XINFANG_DOCUMENT_REFERENCES: {pattern!r}: {exc}") from None
    if not {"year", "serial"} <= names or not names <= FIELDS:
        raise ImproperlyConfigured(
            f"XINFANG_DOCUMENT_REFERENCES: {pattern!r} must contain {{year}} and {{serial}}, "
            "and may contain {prefix}; nothing else in braces."
        )
    return pattern


def parse_patterns(raw: str) -> dict[str, str]:
    """ "code=pattern;code=pattern" over the defaults; a typo stops the process at start."""
    patterns = dict(DEFAULT_PATTERNS)
    for item in filter(None, (part.strip() for part in (raw or "").split(";"))):
        code, sep, pattern = item.partition("=")
        if not sep or code.strip() not in DEFAULT_PATTERNS:
            raise ImproperlyConfigured(
                f"XINFANG_DOCUMENT_REFERENCES: {item!r} is not code=pattern of a known type"
            )
        patterns[code.strip()] = check_pattern(pattern.strip())
    return patterns


def format_reference(doc_type: str, year: int, serial: int) -> str:
    pattern = parse_patterns(settings.DOCUMENT_REFERENCE_PATTERNS)[doc_type]
    return pattern.format(prefix=settings.DOCUMENT_REFERENCE_PREFIX, year=year, serial=serial)


def allocate_reference(doc_type: str, year: int) -> tuple[str, int]:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_reference must run inside the generating transaction")
    sequences = ReferenceSequence.objects.filter(doc_type=doc_type, year=year)
    if not sequences.update(last=F("last") + 1):
        ReferenceSequence.objects.bulk_create(
            [ReferenceSequence(doc_type=doc_type, year=year, last=0)], ignore_conflicts=True
        )
        sequences.update(last=F("last") + 1)
    serial = sequences.values_list("last", flat=True).get()
    return format_reference(doc_type, year, serial), serial
