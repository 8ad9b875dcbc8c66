"""The calendar and period arithmetic against a plain reference implementation,
plus the cases the issue names: National Day 2026, make-up working days, month
ends, a year without data."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from xinfang.deadlines import engine
from xinfang.deadlines.seed import package_calendar

YEARS, DAYS = package_calendar()
OFFICIAL = engine.CalendarData({d: w for d, (w, _n) in DAYS.items()}, frozenset(YEARS))


def reference_is_working(day, overrides, known):
    if day.year in known and day in overrides:
        return overrides[day]
    return day.isoweekday() <= 5


def reference_due(start, amount, unit, roll, overrides, known):
    """Day by day, the way a clerk counts on a wall calendar."""
    statuses = [
        (start + timedelta(days=i), reference_is_working(start + timedelta(days=i), overrides, known))
        for i in range(0, 4000)
    ]
    if unit == "working_days":
        working_after = [d for d, w in statuses[1:] if w]
        end = working_after[amount - 1] if amount else start
    elif unit == "months":
        year, month = start.year + (start.month - 1 + amount) // 12, (start.month - 1 + amount) % 12 + 1
        day = start.day
        while True:
            try:
                end = date(year, month, day)
                break
            except ValueError:
                day -= 1
    else:
        end = start + timedelta(days=amount)
    if roll or unit == "working_days":
        end = next(d for d, w in statuses if d >= end and w)
    return end


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=date(2019, 1, 1), max_value=date(2028, 12, 31)),
    amount=st.integers(min_value=0, max_value=90),
    unit=st.sampled_from(["days", "working_days", "months"]),
    roll=st.booleans(),
)
def test_matches_the_reference_on_the_official_calendar(start, amount, unit, roll):
    if unit == "months":
        amount = amount % 25
    due = engine.due_day(start, engine.Period(amount, unit, roll), OFFICIAL)
    expected = reference_due(start, amount, unit, roll, OFFICIAL.overrides, OFFICIAL.known_years)
    assert due.day == expected
    if roll or unit == "working_days":
        assert OFFICIAL.is_working_day(due.day)


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)),
    amount=st.integers(min_value=0, max_value=40),
    unit=st.sampled_from(["days", "working_days"]),
    holidays=st.sets(st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 3, 31)), max_size=40),
    makeup=st.sets(st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 3, 31)), max_size=10),
)
def test_matches_the_reference_on_random_calendars(start, amount, unit, holidays, makeup):
    overrides = dict.fromkeys(holidays, False) | dict.fromkeys(makeup, True)
    data = engine.CalendarData(overrides, frozenset({2024, 2025, 2026}))
    due = engine.due_day(start, engine.Period(amount, unit, True), data)
    assert due.day == reference_due(start, amount, unit, True, overrides, data.known_years)


def test_national_day_2026():
    # Seven calendar days from Sunday September 27 end on October 4, inside the
    # National Day holiday (October 1-7): the period ends on Thursday October 8.
    assert engine.due_day(date(2026, 9, 27), engine.Period(7), OFFICIAL).day == date(2026, 10, 8)
    # Two working days after Wednesday September 30: October 8 and 9.
    assert engine.due_day(date(2026, 9, 30), engine.Period(2, "working_days"), OFFICIAL).day == date(
        2026, 10, 9
    )


def test_make_up_working_days_count():
    # Saturday October 10, 2026 is a make-up working day: three working days after
    # Thursday October 8 are the 9th, the 10th (Saturday) and the 12th.
    assert OFFICIAL.is_working_day(date(2026, 10, 10))
    assert engine.due_day(date(2026, 10, 8), engine.Period(3, "working_days"), OFFICIAL).day == date(
        2026, 10, 12
    )
    # Sunday September 20, 2026 too: a period ending that day stays on it.
    assert engine.due_day(date(2026, 9, 13), engine.Period(7), OFFICIAL).day == date(2026, 9, 20)


def test_month_ends():
    assert engine.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert engine.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert engine.add_months(date(2026, 12, 31), 2) == date(2027, 2, 28)
    # February 28, 2026 is a Saturday but a make-up working day: no roll.
    assert engine.due_day(date(2026, 1, 31), engine.Period(1, "months"), OFFICIAL).day == date(2026, 2, 28)


def test_a_year_without_data_counts_weekends_and_says_so():
    assert 2027 not in OFFICIAL.known_years
    due = engine.due_day(date(2026, 12, 28), engine.Period(7), OFFICIAL)
    # January 4, 2027 is a Monday; 2027's holidays are unknown, and the result says so.
    assert due.day == date(2027, 1, 4) and due.missing_years == frozenset({2027})
    assert engine.due_day(date(2026, 3, 2), engine.Period(7), OFFICIAL).missing_years == frozenset()


def test_bad_data_never_hangs():
    every_day_off = engine.CalendarData(
        {date(2026, 1, 1) + timedelta(days=i): False for i in range(400)}, frozenset({2026})
    )
    due = engine.due_day(date(2026, 1, 1), engine.Period(3, "working_days"), every_day_off)
    assert due.day.weekday() < 5
