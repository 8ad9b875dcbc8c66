"""Where the rows of a handling officer's petition list fall, read from the statistics summary's
handling-unit rows (issue 9).

A handling officer reads the petitions with a live assignment to their unit or a unit above it,
less those Rule 4.3 hides from them (visible_to). Their unfiltered list is paged along those
assignments (selectors._handled_list_keys); a page number typed far down was an OFFSET over the
unit's keys, each key tested against the firewall: at 10⁶ petitions the housing bureau's middle
page read all its 28,500 keys, hashed its 45,000 involvements and sorted what was left, 26–50 ms
of statement alone. The summary already counts every petition once per unit with
a live assignment, per office-time month (scope "unit:all", kept by the database's triggers), so:

    visible petitions per month = Σ over the reader's units of the summary's month
                                  − the petitions assigned to two of those units, past the first
                                  − the petitions the firewall hides from the reader

The first term is stored; the other two are counted live, in the same statement, from the
assignments of the units above the reader's own (usually none) and from the firewall's
petitions among the reader's assignments. The count is the sum; the N-th row is found month by
month, and the page read from the start of the following month down, skipping only the rows of
its own month above it (a few hundred at most, along the same keys). Every row still comes from
visible_to; the summary only says where to start, as for the office's list (list_index.py).

The firewall's term still reads every involvement of the reader's units (the schema has no
"petitions a unit holds and is involved in" but the intersection): for the housing bureau at
10⁶ that is what its exact count costs, so the list reads this index only to locate a typed
page far down (selectors.list_count), never for a count alone (docs/benchmarks.md, round 14).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db import connections, router

from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.paging import PAST_END


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


class UnitListIndex:
    """A handling officer's visible petitions counted per office-time month."""

    def __init__(self, months: dict[date, int]):
        self.visible_months = months
        self.count = sum(months.values())

    def locate(self, offset: int) -> tuple[datetime, int] | str | None:
        """(bound, skip): the row at `offset` (0 = the newest) is the `skip`-th row, newest first,
        of the reader's visible petitions received before `bound`. paging.PAST_END past the last
        row; None when the months disagree with themselves (let the caller read by OFFSET)."""
        if offset >= self.count:
            return PAST_END
        above = 0
        for month in sorted(self.visible_months, reverse=True):
            n = self.visible_months[month]
            if n < 0:
                return None
            if above + n > offset:
                bound = datetime.combine(_next_month(month), time.min, tzinfo=office_tz())
                return bound, offset - above
            above += n
        return None


def unit_list_index(user, units: list[int]) -> UnitListIndex | None:
    """The index of `user`'s unfiltered list (a handling officer whose visible petitions are the
    live assignments of `units`, their own unit and the units above it), in one statement;
    None where there is no summary (it is kept on PostgreSQL only)."""
    from xinfang.petitions.querysets import PetitionQuerySet
    from xinfang.petitions.workflow_models import Assignment, AssignmentStatus
    from xinfang.reports.models import StatCount

    db = router.db_for_read(StatCount)
    connection = connections[db]
    if connection.vendor != "postgresql" or not units:
        return None
    qn = connection.ops.quote_name
    assignment = qn(Assignment._meta.db_table)
    tz = str(office_tz())
    month = "(date_trunc('month', a.received_at AT TIME ZONE %s))::date"
    firewall, firewall_params = PetitionQuerySet.firewall_ids(user).query.get_compiler(using=db).as_sql()
    parts = [
        # The stored term: every live assignment of the units, per month of its petition.
        f"SELECT 0, day, SUM(petitions) FROM {qn(StatCount._meta.db_table)} "  # noqa: S608 (names from _meta)
        "WHERE grain = 'm' AND scope = 'unit:all' AND clock = '' AND unit_id = ANY(%s) GROUP BY day",
        # The firewall's petitions among them, once each (Rule 4.3: PetitionQuerySet.
        # firewall_ids, the involvements of the user's units and of the user in person). A join
        # of the two sets, each read from its own index: as `petition_id IN (…)` PostgreSQL
        # guessed 200 firewall rows and probed the assignments once per involvement (45,000
        # probes, 0.5 s at 10⁶).
        f"SELECT 1, {month}, COUNT(DISTINCT a.petition_id) FROM {assignment} a JOIN ({firewall}) f "  # noqa: S608
        "ON f.petition_id = a.petition_id WHERE a.unit_id = ANY(%s) AND a.status <> %s GROUP BY 2",
    ]
    live = AssignmentStatus.WITHDRAWN.value
    params: list = [units, tz, *firewall_params, units, live]
    # The reader's own unit holds their work; the units above it, which hand work down, few rows.
    own = user.unit_id if user.unit_id in units else units[0]
    above = [u for u in units if u != own]
    if above:
        # A petition assigned to k of the units is stored k times: each of its live assignments
        # after the first (the reader's own unit first, then the others by id) is subtracted:
        # read from the assignments of the units above alone.
        parts.append(
            f"SELECT 2, {month}, COUNT(*) FROM {assignment} a "  # noqa: S608
            "WHERE a.unit_id = ANY(%s) AND a.status <> %s AND EXISTS ("
            f"SELECT 1 FROM {assignment} b WHERE b.petition_id = a.petition_id AND b.status <> %s "
            "AND (b.unit_id = %s OR (b.unit_id = ANY(%s) AND b.unit_id < a.unit_id))) GROUP BY 2"
        )
        params += [tz, above, live, live, own, above]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    months: dict[date, int] = defaultdict(int)
    for kind, day, n in rows:
        months[day.replace(day=1)] += n if kind == 0 else -n
    return UnitListIndex({m: n for m, n in months.items() if n})
