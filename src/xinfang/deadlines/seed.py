"""Seed data: the two policy profiles and the official holiday calendar.

Used by the app's data migration and by `manage.py sync_calendar` (which adds
the years a newer `chinesecalendar` release knows, never touching rows the
administrator entered by hand).
"""

from __future__ import annotations

from datetime import date

# (profile, clock, amount, unit, rule, max_extension_days, extension_needs_notice, roll_forward)
# Rule codes: clause numbers of the Petition Work Rules; "NR-…" for the national
# regulation (信访工作条例, 2022). docs/deadlines.md explains each.
POLICIES = [
    ("default", "handling", 7, "days", "4.6", 30, False, True),
    ("default", "transfer", 2, "days", "4.6", 0, False, True),
    ("default", "reply", 1, "months", "4.6", 30, False, True),
    ("default", "superior_report", 0, "fixed_date", "3.4", 0, False, False),
    ("default", "assignment", 7, "fixed_date", "2.2", 30, False, True),
    ("default", "supervision", 5, "fixed_date", "4.4", 30, False, False),
    ("national", "handling", 15, "days", "NR-acceptance", 0, False, True),
    ("national", "transfer", 2, "days", "4.6", 0, False, True),
    ("national", "reply", 60, "days", "NR-handling", 30, True, True),
    ("national", "superior_report", 0, "fixed_date", "3.4", 0, False, False),
    ("national", "assignment", 7, "fixed_date", "2.2", 30, False, True),
    ("national", "supervision", 5, "fixed_date", "4.4", 30, False, False),
    ("national", "review", 30, "days", "NR-review", 0, False, True),
    ("national", "re_review", 30, "days", "NR-re-review", 0, False, True),
    ("national", "objection", 5, "working_days", "NR-objection", 0, False, True),
]


# Policies of one channel only: (profile, clock, channel, amount, unit, rule, roll_forward).
# The intake clock (issue 13) runs on online submissions alone: Rule 4.6's "within one week" in
# the seed's profile; under the national regulation deciding whether to accept IS the acceptance
# decision, which has 15 days (the same limit as that profile's `handling` clock).
CHANNEL_POLICIES = [
    ("default", "intake", "online", 7, "days", "4.6", True),
    ("national", "intake", "online", 15, "days", "NR-acceptance", True),
]


def seed_channel_policies(DeadlinePolicy) -> None:
    for profile, clock, channel, amount, unit, rule, roll in CHANNEL_POLICIES:
        if not DeadlinePolicy.objects.filter(profile=profile, clock=clock, channel=channel).exists():
            DeadlinePolicy.objects.create(
                profile=profile,
                clock=clock,
                channel=channel,
                amount=amount,
                unit=unit,
                rule=rule,
                roll_forward=roll,
                reason="seed",
            )


def seed_policies(DeadlinePolicy) -> None:
    for profile, clock, amount, unit, rule, max_ext, notice, roll in POLICIES:
        if not DeadlinePolicy.objects.filter(profile=profile, clock=clock, channel="").exists():
            DeadlinePolicy.objects.create(
                profile=profile,
                clock=clock,
                channel="",
                amount=amount,
                unit=unit,
                rule=rule,
                max_extension_days=max_ext,
                extension_needs_notice=notice,
                roll_forward=roll,
                reason="seed",
            )


def package_calendar(first_year: int = 2004):
    """(known years, {date: (is_working_day, note)}) from the chinesecalendar package.

    Only exceptions to Monday-Friday are kept: holidays on weekdays and make-up
    working days on weekends (a weekend inside a holiday is a rest day anyway,
    but is kept with its note so that the calendar page names it).
    """
    try:
        from chinese_calendar import constants
    except ImportError:  # the package is a dependency; without it the calendar is manual only
        return set(), {}
    days: dict[date, tuple[bool, str]] = {}
    for day, name in constants.holidays.items():
        if day.year >= first_year:
            days[day] = (False, str(getattr(name, "value", name))[:100])
    for day, name in constants.workdays.items():
        if day.year >= first_year and day.weekday() >= 5:
            days[day] = (True, str(getattr(name, "value", name))[:100])
    years = set()
    if days:
        last = max(constants.holidays)
        years = set(range(max(first_year, min(days).year), last.year + 1))
    return years, days


def sync_calendar(CalendarYear, CalendarDay, first_year: int = 2004) -> int:
    """Add what the package knows; manual rows win. Returns the number of days written."""
    years, days = package_calendar(first_year)
    manual_years = set(CalendarYear.objects.filter(source="manual").values_list("year", flat=True))
    for year in sorted(years - manual_years):
        CalendarYear.objects.update_or_create(year=year, defaults={"source": "package"})
    manual_days = set(CalendarDay.objects.filter(source="manual").values_list("date", flat=True))
    existing = set(CalendarDay.objects.filter(source="package").values_list("date", flat=True))
    new = [
        CalendarDay(date=d, is_working_day=w, source="package", note=note)
        for d, (w, note) in sorted(days.items())
        if d not in manual_days and d not in existing and d.year not in manual_years
    ]
    CalendarDay.objects.bulk_create(new, batch_size=500)
    return len(new)
