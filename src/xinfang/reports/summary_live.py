"""The live parts of a statistics answer read from the summary (summary.py): what the stored
rows cannot hold for a given reader or moment, counted over the petitions themselves. The
firewall's petitions hidden from the reader (Rule 4.3), subtracted, and the clocks that fell due
earlier today, added (the stored running clocks stop at the days before today).
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import reduce
from operator import or_

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone

from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.models import Deadline, Petition
from xinfang.petitions.querysets import PetitionQuerySet
from xinfang.petitions.selectors import petition_list
from xinfang.reports.summary_scope import _filters_q


def _office_day(now: datetime) -> tuple[date, datetime]:
    """Today in office time and the moment it began: the summary's running clocks are stored
    for the days before it, the clocks due since it began are counted live."""
    today = timezone.localtime(now, office_tz()).date()
    return today, datetime.combine(today, time.min, tzinfo=office_tz())


def _live(qs, groups: list[str], aggregates: dict, periods: list | None = None) -> list[dict]:
    """`aggregates` of `qs` per group. With `periods` ((received after, before) pairs that share
    no day, the query's own dates left out), also per period: each row's "k_period" is the
    index of the period its petitions were received in."""
    from xinfang.reports.statistics import DIMENSIONS, _expr, with_live_assignment

    if not groups:
        return [qs.aggregate(**aggregates)]
    qs = with_live_assignment(qs, groups)
    names = {k: f"k_{k}" for k in groups}
    keys = {names[k]: _expr(DIMENSIONS[k]) for k in groups}
    if periods:
        within = [_received_q(after, before) for after, before in periods]
        qs = qs.filter(reduce(or_, within))
        keys["k_period"] = Case(
            *(When(q, then=Value(n)) for n, q in enumerate(within)), output_field=IntegerField()
        )
    rows = qs.annotate(**keys).values(*keys).annotate(**aggregates).order_by()
    out = []
    for row in rows:
        row["key"] = tuple(DIMENSIONS[k].to_value(row[names[k]]) for k in groups)
        out.append(row)
    return out


def _received_q(after: datetime | None, before: datetime | None) -> Q:
    q = Q()
    if after:
        q &= Q(received_at__gte=after)
    if before:
        q &= Q(received_at__lte=before)
    return q


def _clock_q(clock: str, prefix: str = "deadlines__") -> Q:
    if not clock:
        return Q()
    if clock == "assignment":
        return Q(**{f"{prefix}name__startswith": "assignment:"})
    return Q(**{f"{prefix}name": clock})


def _hidden_petitions(user, f):
    """Every petition the firewall hides from `user` (Rule 4.3), with the summary's filters."""
    return filtered_petitions(f).filter(PetitionQuerySet.firewalled(user))


def filtered_petitions(f):
    """All petitions, visible or not, under the filters the summary knows (not a read: the
    caller narrows them to the firewall's, whose counts it subtracts)."""
    from xinfang.petitions import hooks

    qs = Petition.objects.filter(_filters_q(f))
    for name in ("assigned_unit", "involved_unit", "repeat"):
        if name in f.extra:
            qs = hooks.petition_list_filters.get(name).apply(qs, f.extra[name])
    if f.received_after:
        qs = qs.filter(received_at__gte=f.received_after)
    if f.received_before:
        qs = qs.filter(received_at__lte=f.received_before)
    return qs.order_by()


def _running(**due) -> Q:
    """A running clock of the petition (OuterRef), due as `due` says."""
    return Q(
        Exists(
            Deadline.objects.filter(
                petition=OuterRef("pk"), met_at__isnull=True, paused_at__isnull=True, **due
            )
        )
    )


def _settled() -> Q:
    """A petition with a met clock and none met late (StatCount.settled)."""
    met = Deadline.objects.filter(petition=OuterRef("pk"), met_at__isnull=False)
    return Q(Exists(met)) & ~Q(Exists(met.filter(met_at__gt=F("due_at"))))


def _hidden(
    user, query, groups: list[str], start: datetime, *, settled: bool = False, periods: list | None = None
) -> list[dict]:
    """The petitions the firewall hides from `user`, counted like the summary counts: the
    petitions, their decided clocks, and their running clocks due before `start` (today).
    Filtered to the overdue ones: those the summary files as overdue (due before today).
    `periods`: per period too (_live)."""
    qs = _hidden_petitions(user, query.filters)
    if query.filters.overdue:
        qs = qs.filter(_running(due_at__lt=start))
    kind = _clock_q(query.clock)
    more = {}
    if settled:
        more = {
            "settled": Count("pk", distinct=True, filter=_settled()),
            "settled_overdue": Count("pk", distinct=True, filter=_settled() & _running(due_at__lt=start)),
        }
    met = Q(deadlines__met_at__isnull=False) & kind
    running = Q(
        deadlines__met_at__isnull=True, deadlines__paused_at__isnull=True, deadlines__due_at__lt=start
    )
    return _live(
        qs,
        groups,
        {
            "count": Count("pk", distinct=True),
            "on_time": Count(
                "deadlines", distinct=True, filter=met & Q(deadlines__met_at__lte=F("deadlines__due_at"))
            ),
            "late": Count(
                "deadlines", distinct=True, filter=met & Q(deadlines__met_at__gt=F("deadlines__due_at"))
            ),
            "overdue": Count("pk", distinct=True, filter=_running(due_at__lt=start)),
            "running": Count("deadlines", distinct=True, filter=running & kind),
            **more,
        },
        periods,
    )


def _today(
    user,
    query,
    groups: list[str],
    now: datetime,
    start: datetime,
    *,
    settled: bool = False,
    periods: list | None = None,
) -> list[dict]:
    """What the summary cannot know yet: visible petitions whose earliest running clock fell
    due today before `now` (earlier ones are stored), and the running clocks due so. Filtered
    to the overdue petitions, also the met clocks of those petitions (they are stored under
    today); with `settled`, how many of them are settled. `periods`: per period too (_live)."""
    qs = petition_list(user, query.filters).order_by().filter(_running(due_at__gte=start, due_at__lt=now))
    today = Q(
        deadlines__met_at__isnull=True,
        deadlines__paused_at__isnull=True,
        deadlines__due_at__gte=start,
        deadlines__due_at__lt=now,
    )
    first_today = ~_running(due_at__lt=start)
    kind = _clock_q(query.clock)
    more = {}
    if query.filters.overdue:
        met = Q(deadlines__met_at__isnull=False) & kind & first_today
        more["on_time"] = Count(
            "deadlines", distinct=True, filter=met & Q(deadlines__met_at__lte=F("deadlines__due_at"))
        )
        more["late"] = Count(
            "deadlines", distinct=True, filter=met & Q(deadlines__met_at__gt=F("deadlines__due_at"))
        )
    if settled:
        more["settled"] = Count("pk", distinct=True, filter=first_today & _settled())
    return _live(
        qs,
        groups,
        {
            "count": Count("pk", distinct=True, filter=first_today),
            "running": Count("deadlines", distinct=True, filter=today & kind),
            **more,
        },
        periods,
    )
