"""The home page's statements ("My work"), compiled once per reader and sent on every request.

The page's numbers are one counting statement (selectors.count_all) over a dozen querysets: the
queues, "my work" and what capabilities add, each under the read policy. Putting those querysets
together and compiling them cost about 12,000–23,000 Python calls on every request (issue 9), for
a text that depends only on:

- the reader as the read policy sees them (`PetitionQuerySet.reader`: kind, user, units), their
  roles and whether they are active, which decide the queues and their conditions;
- the units whose results a leader signs (queues.signing_units), read from the unit tree on each
  request as before, so a leader named or moved since gets another statement at once;
- the capabilities' counters and queues (hooks), as registered;
- the clock (now, now + 72 hours, today + 3 days), which are slots filled on each request
  (core/statements.Clock), not part of the key.

So the statement is kept per key: the database alias and all of the above. The quick links
(a leader's first three petitions of a queue) and the office's table of their own recent open
petitions are kept likewise. Only texts are kept, never a
row: every request executes them, so a petition registered, moved or hidden by Rule 4.3 since
shows at once. Labels are kept lazy and translated when the page is rendered, in the reader's
language. A queue a capability narrowed in Python (a list, not a queryset) is counted from the
list and then nothing is kept for that reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db.models import QuerySet

from xinfang.core.statements import Kept, KeptStatements, compile_kept, kept_queryset
from xinfang.petitions import hooks
from xinfang.petitions.models import Petition
from xinfang.petitions.querysets import PetitionQuerySet
from xinfang.petitions.queues import queues_for, signing_units
from xinfang.petitions.selectors import count_statement, my_work_counts, recent_mine

# A leader's queues lead straight to the form of the step waiting for them, so that on a
# phone an instruction or a signature is two taps from "My work" (issue 8: at most three).
QUICK_ACTIONS = {
    "to_instruct": "instruct",
    "to_instruct_important": "instruct",
    "to_sign": "sign_off",
    "reports_to_approve": "approve_report",
}
QUICK_LINKS = 3


class QuickLink(NamedTuple):
    """What a quick link shows of a petition: its number (the link) and title."""

    number: str
    title: str


@dataclass(frozen=True)
class QueueSpec:
    name: str
    label: object  # lazy: translated when rendered
    action: str | None
    listed: list | None = None  # a queue narrowed in Python: its petitions


@dataclass(frozen=True)
class HomeStatements:
    """What the home page sends for one reader: the counting statement (one column per name of
    `names`, each a "queue.<i>", "work.<name>" or "<capability>.<name>"), the queues in order and
    their quick links' statements by queue name."""

    queues: tuple[QueueSpec, ...]
    names: tuple[str, ...]
    count: Kept | None
    quick: dict[str, Kept | None] = field(default_factory=dict)
    recent: Kept | None = None  # the office's "my most recent open petitions"

    def numbers(self, now: datetime) -> dict[str, int]:
        if self.count is None:
            return {}
        (row,) = self.count.execute(now)
        return dict(zip(self.names, (int(n) for n in row), strict=True))

    def first(self, spec: QueueSpec, now: datetime) -> list:
        """The queue's first QUICK_LINKS petitions, newest first (Queue.first)."""
        if spec.listed is not None:
            return spec.listed[:QUICK_LINKS]
        kept = self.quick[spec.name]
        return [] if kept is None else [QuickLink(*row) for row in kept.execute(now)]

    def recent_mine(self, now: datetime) -> list[Petition]:
        """selectors.recent_mine's petitions (the columns it reads; the others deferred)."""
        kept = self.recent
        if kept is None:  # a reader of no petition (an administrator given an office role too)
            return []
        return list(Petition.objects.db_manager(kept.using).raw(kept.sql, kept.filled(now)))


_KEPT = KeptStatements(2048)


def statements_for(user, *, office: bool, cap: int) -> HomeStatements:
    """The home page's statements for `user` (`office`: with "my work"), kept per key."""
    signing = signing_units(user)  # the unit tree, read on each request as before
    key = _key(user, signing, office, cap)
    kept = _KEPT.get(key) if key is not None else None
    if kept is None:
        kept = _build(user, signing, office=office, cap=cap)
        if key is not None and not any(spec.listed is not None for spec in kept.queues):
            _KEPT.put(key, kept)
    return kept


def _key(user, signing, office: bool, cap: int) -> tuple | None:
    reader = PetitionQuerySet.reader(user)
    if reader is None:
        return None  # reads no petition: nothing worth keeping
    return (
        Petition.objects.all().db,
        reader,
        user.is_active,
        tuple(sorted(user.role_codes)),
        signing,
        office,
        cap,
        # A capability's counters or queues registered, replaced or removed since: another key.
        hooks.home_counters.version,
        hooks.petition_queues.version,
    )


def _build(user, signing, *, office: bool, cap: int) -> HomeStatements:
    all_queues = queues_for(user, signing=signing)
    if not office and not all_queues:
        return HomeStatements((), (), None)  # no petition work: the page says so, counting nothing
    countable = counted(user, all_queues, office=office)
    count = None
    if countable:
        using = next(iter(countable.values())).db
        count = _kept_count(countable, using, cap)
    specs, quick = [], {}
    for q in all_queues:
        listed = q.countable if isinstance(q.countable, list) else None
        action = QUICK_ACTIONS.get(q.name)
        specs.append(QueueSpec(q.name, q.label, action, listed))
        if action and listed is None:
            # Only the number and title are shown: without the category and first responder the
            # queue's own page reads with each row, the statement has fewer tables to order and
            # PostgreSQL plans it in a quarter of the time (issue 9: a handling officer's "to
            # sign", 8.4 -> 2.4 ms of planning at 10^5, more than its execution).
            rows = q.first_queryset(QUICK_LINKS).values_list("number", "title")
            quick[q.name] = kept_queryset(rows, rows.db)
    recent = None
    if office:
        mine = recent_mine(user)
        recent = kept_queryset(mine, mine.db)
    return HomeStatements(tuple(specs), tuple(countable), count, quick, recent)


def counted(user, all_queues, *, office: bool) -> dict[str, QuerySet]:
    """What the counting statement counts, by name: the queues of querysets, "my work" for the
    office, and what capabilities add (hooks.home_counters), in this order."""
    countable: dict[str, QuerySet] = {
        f"queue.{i}": q.countable for i, q in enumerate(all_queues) if isinstance(q.countable, QuerySet)
    }
    if office:
        countable.update({f"work.{name}": qs for name, qs in my_work_counts(user).items()})
    for key, counter in hooks.home_counters.items():
        countable.update({f"{key}.{name}": qs for name, qs in counter(user).items()})
    return countable


def _kept_count(countable: dict[str, QuerySet], using: str, cap: int) -> Kept:
    sql, params, slots = compile_kept(lambda: count_statement(countable, cap=cap))
    return Kept(sql, using, params, slots)
