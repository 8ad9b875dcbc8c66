"""On-time rates per clock and per unit from the statistics summary (summary.py): the stored
decided clocks and running clocks due before today, less the firewall's petitions' clocks, plus
the clocks that fell due earlier today."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, F, Q, Sum, Value
from django.utils import timezone

from xinfang.petitions.models import Deadline
from xinfang.petitions.selectors import overdue_deadlines, petition_list
from xinfang.reports.summary_live import _hidden_petitions, _office_day, _running
from xinfang.reports.summary_rollup_sql import ROLLUP
from xinfang.reports.summary_scope import _filters_q, _flags_q, _period_q, _whole_days, keyless


def summary_clock_rates(user, query) -> dict:
    """statistics.clock_rates() from the summary: per clock and per unit. Filtered to the
    petitions overdue now, their met clocks are read where StatDue files them (under the
    petition's first running due day) instead of StatCount."""
    from xinfang.reports.models import StatCount, StatDue
    from xinfang.reports.statistics import CLOCKS, _rate

    now = timezone.now()
    day, start = _office_day(now)
    f = query.filters
    lo, hi = _whole_days(f)
    pairs: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    if f.overdue:
        sources = [
            (StatDue, {"on_time": Sum("on_time"), "late": Sum("late") + Sum("clocks")}, Q(due__lt=day))
        ]
    else:
        sources = [
            (StatCount, {"on_time": Sum("on_time"), "late": Sum("late")}, Q()),
            # Running, due before today: late, none on time.
            (StatDue, {"on_time": Value(0), "late": Sum("clocks")}, Q(due__lt=day)),
        ]
    # Both tables' rows in one statement (UNION ALL; the same columns in the same order).
    stored = [
        model.objects.filter(scope=ROLLUP[""] if keyless(f) else "")
        .filter(_period_q(lo, hi, "y"), _filters_q(f), _flags_q(f), extra)
        .exclude(clock="")
        .values("clock", "unit_id")
        .annotate(**sums)
        .order_by()
        for model, sums, extra in sources
    ]
    for row in stored[0].union(*stored[1:], all=True):
        pair = pairs[(row["clock"], row["unit_id"])]
        pair[0] += row["on_time"]
        pair[1] += row["late"]

    hidden = _hidden_petitions(user, f)
    if f.overdue:
        hidden = hidden.filter(_running(due_at__lt=start))
    visible = petition_list(user, f).order_by()
    running_before = Q(met_at__isnull=True, paused_at__isnull=True, due_at__lt=start)
    today = []
    if f.overdue:  # the met clocks of the petitions whose first running clock fell due today
        first_today = visible.filter(_running(due_at__gte=start, due_at__lt=now)).exclude(
            _running(due_at__lt=start)
        )
        today.append(
            (1, Deadline.objects.filter(met_at__isnull=False, petition__in=first_today.values("pk")))
        )
    signed = (
        # The firewall's petitions: their decided clocks and those running since before today.
        (
            -1,
            Deadline.objects.filter(
                Q(met_at__isnull=False) | running_before, petition__in=hidden.values("pk")
            ),
        ),
        # Today's: running clocks that fell due since the day began.
        (
            1,
            overdue_deadlines().filter(due_at__gte=start, due_at__lt=now, petition__in=visible.values("pk")),
        ),
        *today,
    )
    # Every live part in one statement (UNION ALL), each row with the sign it is counted with.
    live = [
        deadlines.values("name", "unit_id")
        .annotate(
            on_time=Count("pk", filter=Q(met_at__lte=F("due_at"))),
            late=Count("pk", filter=Q(met_at__gt=F("due_at")) | Q(met_at__isnull=True)),
            sign=Value(sign),
        )
        .order_by()
        for sign, deadlines in signed
    ]
    for row in live[0].union(*live[1:], all=True):
        clock = "assignment" if row["name"].startswith("assignment:") else row["name"]
        pair = pairs[(clock, row["unit_id"])]
        pair[0] += row["sign"] * row["on_time"]
        pair[1] += row["sign"] * row["late"]
    by_clock = {clock: [0, 0] for clock in CLOCKS}
    by_unit: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (clock, unit), (on_time, late) in pairs.items():
        if clock in by_clock:
            by_clock[clock][0] += on_time
            by_clock[clock][1] += late
        if unit is not None and (on_time or late):
            by_unit[unit][0] += on_time
            by_unit[unit][1] += late
    return {
        "clocks": [
            {"clock": c, "on_time": v[0], "late": v[1], "rate": _rate(v[0], v[1])}
            for c, v in by_clock.items()
        ],
        "units": [
            {"unit": u, "on_time": v[0], "late": v[1], "rate": _rate(v[0], v[1])}
            for u, v in sorted(by_unit.items())
        ],
    }
