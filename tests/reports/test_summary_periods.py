"""A period of the statistics summary read as signed pieces (summary_scope.period_pieces): a
year's rows less the months or days it leaves out, a month's row less its days. Checked here
against the definition, day by day: every day of the period is counted exactly once, every
other day not at all, whatever the day the pieces are chosen on; no row is in two pieces; and
only the grains the grouping allows are read. The sums themselves are compared with the SQL
oracle in test_statistics.py (test_periods_across_years_equal_the_oracle reads such pieces)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from xinfang.reports.summary_scope import period_pieces

WINDOW = (date(2022, 1, 1), date(2028, 12, 31))
days = st.dates(date(2023, 1, 1), date(2027, 12, 31))


def _unit_of(grain: str, day: date) -> date:
    """The `day` of the summary row of that grain that counts `day`."""
    if grain == "y":
        return date(day.year, 1, 1)
    if grain == "m":
        return day.replace(day=1)
    return day


def _holds(piece, day: date) -> bool:
    grain, first, last, _sign = piece
    unit = _unit_of(grain, day)
    return (first is None or first <= unit) and (last is None or unit <= last)


@settings(max_examples=400, deadline=None)
@given(
    lo=st.none() | days,
    hi=st.none() | days,
    finest=st.sampled_from(["y", "m"]),
    today=days,
)
def test_every_day_of_the_period_is_counted_once(lo, hi, finest, today):
    if lo and hi and lo > hi:
        lo, hi = hi, lo
    pieces = period_pieces(lo, hi, finest, today)
    assert {grain for grain, *_rest in pieces} <= ({"y", "m", "d"} if finest == "y" else {"m", "d"})
    day = WINDOW[0]
    while day <= WINDOW[1]:
        inside = (lo is None or lo <= day) and (hi is None or day <= hi)
        held = [piece for piece in pieces if _holds(piece, day)]
        assert sum(piece[3] for piece in held) == (1 if inside else 0), (day, pieces)
        # A row is read once, with one sign: no two pieces of a grain hold the same day.
        grains = [piece[0] for piece in held]
        assert len(grains) == len(set(grains)), (day, pieces)
        day += timedelta(days=1)


def test_the_year_to_date_reads_the_year_less_the_days_to_come():
    """The statistics page's default period (1 January to today) reads one year's rows; the
    days after today, subtracted, have none yet."""
    today = date(2026, 12, 1)
    assert period_pieces(date(2026, 1, 1), today, "y", today) == [
        ("y", date(2026, 1, 1), date(2026, 1, 1), 1),
        ("d", date(2026, 12, 2), date(2026, 12, 31), -1),
    ]
    # The same period before it (环比): the year less January, plus its last day.
    assert period_pieces(date(2025, 1, 31), date(2025, 12, 31), "y", today) == [
        ("y", date(2025, 1, 1), date(2025, 1, 1), 1),
        ("m", date(2025, 1, 1), date(2025, 1, 1), -1),
        ("d", date(2025, 1, 31), date(2025, 1, 31), 1),
    ]
    # A few days are read as days.
    assert period_pieces(date(2025, 3, 3), date(2025, 3, 9), "y", today) == [
        ("d", date(2025, 3, 3), date(2025, 3, 9), 1)
    ]
