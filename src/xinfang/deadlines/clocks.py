"""From policies and the calendar to `Deadline` rows (Rule 4.6, DESIGN.md §6).

`petitions.deadlines` (the functions the workflow services call) delegates here.
Every clock's last moment is 23:59:59 of its last day in the office's time zone.
Nothing here raises for want of data: a missing policy falls back to the seed's
built-in value, a missing calendar year to weekends (with `calendar_gap` set).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from xinfang.deadlines import engine
from xinfang.deadlines.models import CalendarDay, CalendarYear, DeadlinePolicy, PeriodUnit


def office_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=office_tz())


def local_day(moment: datetime) -> date:
    return moment.astimezone(office_tz()).date()


def office_year(moment: datetime) -> int:
    """The year a petition received or registered at `moment` is numbered in: the office's
    calendar year, so that a letter registered at 00:30 on 1 January (16:30 UTC the day before)
    opens the new year's numbering (Rule 3.1: numbered uniformly)."""
    return local_day(moment).year


@dataclass(frozen=True)
class Rule:
    """The part of a policy a computation needs (a policy row, or a built-in fallback)."""

    clock: str
    amount: int
    unit: str
    roll_forward: bool
    rule: str
    max_extension_days: int = 0
    extension_needs_notice: bool = False

    @property
    def period(self) -> engine.Period:
        unit = self.unit if self.unit in engine.UNITS else engine.DAYS
        return engine.Period(self.amount, unit, self.roll_forward)


# The seed's clocks (Rule 4.6), used only when the policy table has no row for a
# clock: a deadline computation must never fail for want of configuration.
BUILT_IN = {
    "handling": Rule("handling", 7, PeriodUnit.DAYS, True, "4.6", 30),
    "transfer": Rule("transfer", 2, PeriodUnit.DAYS, True, "4.6"),
    "reply": Rule("reply", 1, PeriodUnit.MONTHS, True, "4.6", 30),
    "superior_report": Rule("superior_report", 0, PeriodUnit.FIXED_DATE, False, "3.4"),
    "assignment": Rule("assignment", 7, PeriodUnit.FIXED_DATE, True, "2.2", 30),
    "supervision": Rule("supervision", 5, PeriodUnit.FIXED_DATE, False, "4.4", 30),
    "intake": Rule("intake", 7, PeriodUnit.DAYS, True, "4.6"),
}


def active_profile() -> str:
    return settings.DEADLINE_PROFILE


class Policies:
    """The current policies of one profile, read once (one query) per use."""

    def __init__(self, profile: str | None = None):
        self.profile = profile or active_profile()
        self._rows = {
            (p.clock, p.channel): p
            for p in DeadlinePolicy.objects.filter(profile=self.profile, superseded_at__isnull=True)
        }

    def rule(self, clock: str, channel: str = "") -> Rule:
        row = self._rows.get((clock, channel)) or self._rows.get((clock, ""))
        if row is None:
            return BUILT_IN.get(clock) or Rule(clock, 7, PeriodUnit.DAYS, True, "4.6")
        return Rule(
            row.clock,
            row.amount,
            row.unit,
            row.roll_forward,
            row.rule[:16],
            row.max_extension_days,
            row.extension_needs_notice,
        )


def load_calendar(start: date, end: date) -> engine.CalendarData:
    """The official exceptions between `start` and `end` (plus room to roll forward)."""
    end = end + timedelta(days=engine.MAX_REST_RUN + 7)
    overrides = dict(
        CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_working_day")
    )
    years = frozenset(
        CalendarYear.objects.filter(year__gte=start.year, year__lte=end.year).values_list("year", flat=True)
    )
    return engine.CalendarData(overrides, years)


def horizon(start: date, rule: Rule) -> date:
    """A day surely after the end of `rule` counted from `start` (to bound the calendar read)."""
    amount = min(rule.amount, engine.MAX_AMOUNT)
    if rule.unit == PeriodUnit.MONTHS:
        return start + timedelta(days=31 * min(amount, 120) + 1)
    if rule.unit == PeriodUnit.WORKING_DAYS:
        return start + timedelta(days=amount * 2 + 30)
    return start + timedelta(days=amount + 1)


@dataclass(frozen=True)
class Computed:
    due_at: datetime
    calendar_gap: str = ""


def _gap(years) -> str:
    return ",".join(str(y) for y in sorted(years))[:40]


def compute(start_at: datetime, rule: Rule, calendar: engine.CalendarData | None = None) -> Computed:
    """When a clock of `rule` started at `start_at` runs out."""
    start = local_day(start_at)
    if calendar is None:
        calendar = load_calendar(start, horizon(start, rule))
    due = engine.due_day(start, rule.period, calendar)
    return Computed(end_of_day(due.day), _gap(due.missing_years))


def fixed(day: date, rule: Rule, calendar: engine.CalendarData | None = None) -> Computed:
    """A clock whose last day was given (the superior's or the clerk's date)."""
    if not rule.roll_forward:
        return Computed(end_of_day(day))
    if calendar is None:
        calendar = load_calendar(day, day)
    due = engine.due_day(day, engine.Period(0, engine.DAYS, True), calendar)
    return Computed(end_of_day(due.day), _gap(due.missing_years))


def extend(due_at: datetime, days: int, unit: str = PeriodUnit.DAYS) -> Computed:
    """`due_at` moved on by `days` (an approved extension), ending on a working day."""
    day = local_day(due_at)
    unit = engine.WORKING_DAYS if unit == PeriodUnit.WORKING_DAYS else engine.DAYS
    calendar = load_calendar(day, day + timedelta(days=days * 2 + 30))
    end = engine.shift_by_days(day, days, unit, calendar)
    missing = [y for y in range(day.year, end.year + 1) if y not in calendar.known_years]
    return Computed(end_of_day(end), _gap(missing))


def calendar_status(year: int) -> bool:
    """Whether the official schedule of `year` is loaded."""
    return CalendarYear.objects.filter(year=year).exists()
