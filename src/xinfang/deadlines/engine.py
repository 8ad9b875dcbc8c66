"""Counting periods: calendar days, working days and calendar months (Rule 4.6,
DESIGN.md §6). Pure functions over a `CalendarData` snapshot, so they are
property-tested against a plain reference (tests/deadlines/test_engine.py) and
never touch the database.

Three facts shape every computation:
- a period counts from the day after the start event ("within 7 days" of a
  letter received on the 1st ends on the 8th);
- a period whose last day is a rest day (weekend or public holiday) ends on the
  next working day, when its policy says so (`roll_forward`);
- a computation never fails: a year with no holiday data counts weekends only
  and reports the year, so the page can say so; a run of rest days longer than
  any real holiday (bad data) stops being believed after `MAX_REST_RUN` days.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

DAYS = "days"
WORKING_DAYS = "working_days"
MONTHS = "months"
UNITS = (DAYS, WORKING_DAYS, MONTHS)

# The longest official holiday (Spring Festival with its weekends) is 9 days; a
# longer run of rest days means the data is wrong, and a clock must still end.
MAX_REST_RUN = 21
# Amounts beyond this are typing errors, not policies (ten years of days).
MAX_AMOUNT = 3660


@dataclass(frozen=True)
class CalendarData:
    """Which days are working days.

    `overrides` holds the official exceptions to "Monday to Friday": public
    holidays (False) and make-up working days on a weekend (True). `known_years`
    are the years whose official schedule is loaded; any other year is counted
    with weekends only, and `Due.missing_years` says so.
    """

    overrides: Mapping[date, bool] = field(default_factory=dict)
    known_years: frozenset[int] = frozenset()

    def is_working_day(self, day: date) -> bool:
        value = self.overrides.get(day)
        if value is not None and day.year in self.known_years:
            return value
        return day.weekday() < 5


@dataclass(frozen=True)
class Period:
    amount: int
    unit: str = DAYS
    roll_forward: bool = True


@dataclass(frozen=True)
class Due:
    day: date
    missing_years: frozenset[int] = frozenset()


def add_months(day: date, months: int) -> date:
    """Same day `months` later, or the last day of that month (Jan 31 + 1 month = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def _next_working_day(day: date, data: CalendarData) -> date:
    """`day` itself if it is a working day, else the next one (bounded, see MAX_REST_RUN)."""
    probe = day
    for _ in range(MAX_REST_RUN):
        if data.is_working_day(probe):
            return probe
        probe += timedelta(days=1)
    # Implausible data: fall back to the first weekday from `day`.
    while probe.weekday() >= 5:
        probe += timedelta(days=1)
    return probe


def _add_working_days(start: date, amount: int, data: CalendarData) -> date:
    day = start
    for _ in range(amount):
        day = _next_working_day(day + timedelta(days=1), data)
    return day


def due_day(start: date, period: Period, data: CalendarData) -> Due:
    """The last day of `period` counted from the start day `start`."""
    amount = max(0, min(int(period.amount), MAX_AMOUNT))
    if period.unit == WORKING_DAYS:
        end = _add_working_days(start, amount, data)
    elif period.unit == MONTHS:
        end = add_months(start, min(amount, 120))
    else:
        end = start + timedelta(days=amount)
    if period.roll_forward or period.unit == WORKING_DAYS:
        end = _next_working_day(end, data)
        missing = frozenset(y for y in range(start.year, end.year + 1) if y not in data.known_years)
    else:
        missing = frozenset()
    return Due(end, missing)


def shift_by_days(day: date, days: int, unit: str, data: CalendarData) -> date:
    """`day` moved on by an extension of `days` (calendar or working days), rolled to a working day."""
    if unit == WORKING_DAYS:
        return _add_working_days(day, days, data)
    return _next_working_day(day + timedelta(days=days), data)
