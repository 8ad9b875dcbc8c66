"""Checks for personal identifiers as they are written in China."""

from __future__ import annotations

import re
from datetime import date
from operator import mul

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ZEROS = ord("0") * sum(_ID_WEIGHTS)  # what the digits' codes add beyond their values
_ID_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")
# Mobile numbers, or landlines with an area code (0xx/0xxx) and an optional extension.
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def normalize_id_number(value: str) -> str:
    return value.strip().replace(" ", "").upper()


def id_number_problem(value: str, today: date | None = None) -> str | None:
    """Why an 18-character resident ID number (GB 11643-1999) is wrong, or None.

    Returns a short code the caller turns into a translated message:
    "shape", "birth_date" or "checksum".
    """
    if not _ID_SHAPE.match(value):
        return "shape"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "birth_date"
    today = today or date.today()
    if born > today or born.year < 1880:
        return "birth_date"
    if _ID_CHECK[_weighted(value[:17]) % 11] != value[17]:
        return "checksum"
    return None


def _weighted(first17: str) -> int:
    """The weighted sum of 17 digits. ASCII digits (every real ID number) as their codes, in one
    pass in C (a ledger import checks one number a row); other decimal digits, which the shape's
    \\d also lets through, digit by digit."""
    if first17.isascii():
        return sum(map(mul, first17.encode(), _ID_WEIGHTS)) - _ZEROS
    return sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))


def id_check_character(first17: str) -> str:
    """The check character for 17 digits (used by generators and tests)."""
    return _ID_CHECK[_weighted(first17) % 11]


def normalize_phone(value: str) -> str:
    cleaned = re.sub(r"[\s()]", "", value.strip())
    if cleaned.startswith("+86"):
        cleaned = cleaned[3:]
    elif cleaned.startswith("0086"):
        cleaned = cleaned[4:]
    return cleaned


def is_valid_phone(value: str) -> bool:
    return bool(_MOBILE.match(value) or _LANDLINE.match(value))
