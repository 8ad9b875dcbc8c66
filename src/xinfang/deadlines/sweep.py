"""The reminder and escalation sweep (Rule 4.6; CONVENTIONS #5).

One idempotent pass: clocks that run out within `REMINDER_LEAD_HOURS` get a
"due soon" reminder to the people working against them; clocks past their end
get an "overdue" notice to the same people and are escalated to the leader in
charge. It picks clocks by their state, not by when it last ran, so a worker
that was down for days catches up on its first pass.

Idempotency comes from the database, not from the worker: each reminder is a
row under a unique (deadline, kind, due_at) constraint, inserted with
`ON CONFLICT DO NOTHING … RETURNING`, and only the rows this pass inserted are
notified, in the same transaction. Two workers running at once therefore send
each reminder once between them, and a second run sends nothing. E-mail goes
out after the commit.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xinfang.accounts.models import Role, Unit, User
from xinfang.accounts.role_codes import prime, with_role_codes
from xinfang.core import inserts
from xinfang.core.lookups import among
from xinfang.deadlines.clocks import office_tz
from xinfang.deadlines.display import clock_label
from xinfang.deadlines.models import Reminder, ReminderKind
from xinfang.notifications.models import Notification
from xinfang.petitions.choices import OPEN_STATUSES
from xinfang.petitions.models import Deadline, Petition
from xinfang.petitions.workflow_models import Assignment, AssignmentRole, AssignmentStatus

logger = logging.getLogger("xinfang.deadlines")

# Clocks claimed per transaction. The transaction locks nothing but the reminder rows it adds,
# so a batch may be large: each one costs a few statements per recipient (the visibility check)
# whatever its size, and at 500 a catch-up of 10⁶ open clocks ran 56 of them.
BATCH_SIZE = 5000

# A pass that adds at least this many reminders refreshes the reminder table's statistics. The
# next pass asks, clock by clock, whether a reminder exists; planned on statistics taken while
# the table was small (a new office, or before a worker's catch-up after an outage), PostgreSQL
# reads every reminder for every candidate clock instead of probing the unique key: 12 s a pass
# at 10⁶ open clocks after a catch-up of 27,000, 0.2 s once analyzed. Autovacuum would analyze
# the table too, but only on its next round; the worker passes every minute meanwhile.
ANALYZE_AFTER = 1000


@dataclass
class SweepResult:
    due_soon: int = 0
    overdue: int = 0
    notifications: int = 0
    emails: int = 0
    recipients: set = field(default_factory=set)


def _insert_sql() -> str:
    reminder = Reminder._meta.db_table
    deadline = Deadline._meta.db_table
    petition = Petition._meta.db_table
    statuses = ", ".join(["%s"] * len(OPEN_STATUSES))
    # The WHERE in the SELECT also keeps SQLite's parser from reading ON CONFLICT as a join.
    # Only table names from the models are formatted in; every value is a parameter.
    return (
        f"INSERT INTO {reminder} (deadline_id, kind, due_at, sent_at) "  # noqa: S608
        f"SELECT d.id, %s, d.due_at, %s FROM {deadline} d JOIN {petition} p ON p.id = d.petition_id "
        f"WHERE d.met_at IS NULL AND d.paused_at IS NULL AND d.due_at >= %s AND d.due_at < %s "
        f"AND p.status IN ({statuses}) "
        f"AND NOT EXISTS (SELECT 1 FROM {reminder} r WHERE r.deadline_id = d.id AND r.kind = %s "
        f"AND r.due_at = d.due_at) "
        f"ORDER BY d.due_at, d.id LIMIT %s "
        f"ON CONFLICT (deadline_id, kind, due_at) DO NOTHING RETURNING deadline_id"
    )


def _claim(kind: str, low: datetime, high: datetime, now: datetime, limit: int) -> list[int]:
    ops = connection.ops
    params = [
        kind,
        ops.adapt_datetimefield_value(now),
        ops.adapt_datetimefield_value(low),
        ops.adapt_datetimefield_value(high),
        *sorted(OPEN_STATUSES),
        kind,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(), params)
        return [row[0] for row in cursor.fetchall()]


class _Leaders:
    """The leader in charge of a unit (nearest `leader_in_charge` above it), read once per pass;
    where the tree names none, the Secretary-General and deputies (as `actors.leaders_in_charge_of`)."""

    def __init__(self):
        self.units = {
            u.pk: (u.ancestor_ids, u.leader_in_charge_id)
            for u in Unit.objects.only("id", "path", "leader_in_charge")
        }
        self._fallback = None

    def fallback(self) -> set[int]:
        if self._fallback is None:
            self._fallback = set(
                User.objects.filter(
                    is_active=True, roles__role__in=[Role.SECRETARY_GENERAL, Role.DEPUTY_SECRETARY_GENERAL]
                ).values_list("pk", flat=True)
            )
        return self._fallback

    def of(self, unit_id) -> set[int]:
        ancestors = self.units.get(unit_id, ([], None))[0]
        for uid in reversed(ancestors):
            leader = self.units.get(uid, ([], None))[1]
            if leader:
                return {leader}
        return self.fallback()


class _Clock(NamedTuple):
    """What the notices need of a claimed clock and its petition: read as plain values, since a
    catch-up pass after a long outage claims tens of thousands of clocks and model instances
    (with the petition and its first responder joined in) were a third of its time."""

    petition_id: int
    unit_id: int | None
    name: str
    due_at: datetime
    number: str
    first_responder_id: int
    first_responder_unit_id: int | None


# A batch's ids go to PostgreSQL as one array (core.lookups.among), here and in the look-ups of
# its units and each recipient's visibility check: thousands of them as placeholders of their
# own were quoted into each statement and scanned again by the driver, a third of a 10⁶-clock
# catch-up's own CPU, profiled.
def _clocks(claimed: list[int]) -> list[_Clock]:
    return [
        _Clock(*row)
        for row in among(Deadline.objects.all(), "pk", claimed)
        .order_by("due_at", "pk")
        .values_list(
            "petition_id",
            "unit_id",
            "name",
            "due_at",
            "petition__number",
            "petition__first_responder_id",
            "petition__first_responder__unit_id",
        )
    ]


def _recipients(clocks: list[_Clock], kind: str, leaders: _Leaders) -> list[tuple[int, _Clock, str]]:
    """(user id, clock, notification kind) for each clock just claimed."""
    petition_ids = {d.petition_id for d in clocks}
    unit_clocks = {d.unit_id for d in clocks if d.unit_id}
    handlers: dict[int, list[int]] = {}
    for user_id, unit_id in (
        User.objects.filter(is_active=True, unit_id__in=unit_clocks, roles__role=Role.HANDLER)
        .values_list("pk", "unit_id")
        .distinct()
    ):
        handlers.setdefault(unit_id, []).append(user_id)
    lead_units = dict(
        among(Assignment.objects.filter(role=AssignmentRole.LEAD), "petition_id", list(petition_ids))
        .exclude(status=AssignmentStatus.WITHDRAWN)
        .values_list("petition_id", "unit_id")
    )
    out = []
    for d in clocks:
        responsible = handlers.get(d.unit_id, []) if d.unit_id else [d.first_responder_id]
        for user_id in responsible:
            out.append((user_id, d, f"deadline_{kind}"))
        if kind == ReminderKind.OVERDUE:
            unit_id = d.unit_id or lead_units.get(d.petition_id) or d.first_responder_unit_id
            for user_id in leaders.of(unit_id) - set(responsible):
                out.append((user_id, d, "deadline_escalated"))
    return out


def _deliver(claimed: list[int], kind: str, leaders: _Leaders, result: SweepResult) -> datetime:
    """Notify the people of the clocks just claimed; returns the latest end among them."""
    clocks = _clocks(claimed)
    wanted = _recipients(clocks, kind, leaders)
    # The recipients with their unit and roles in one statement (what visible_to reads of them),
    # instead of a roles and a unit query per recipient.
    users = {}
    for user in with_role_codes(
        User.objects.filter(pk__in={w[0] for w in wanted}, is_active=True).select_related("unit")
    ):
        prime(user, user.joined_role_codes)
        users[user.pk] = user
    # Only to people who can see the petition (Rule 4.3): one query per recipient, not per clock.
    by_user: dict[int, set[int]] = {}
    for user_id, d, _k in wanted:
        by_user.setdefault(user_id, set()).add(d.petition_id)
    visible: dict[int, set[int]] = {}
    for user in users.values():
        seen = among(Petition.objects.visible_to(user), "pk", list(by_user[user.pk]))
        visible[user.pk] = set(seen.values_list("pk", flat=True))
    rows, mails = [], []
    for user_id, d, note_kind in wanted:
        if user_id not in users or d.petition_id not in visible[user_id]:
            continue
        data = {"deadline": d.name, "due_at": d.due_at.isoformat()}
        rows.append((user_id, d.petition_id, note_kind, data))
        if users[user_id].email:
            mails.append((users[user_id].email, note_kind, d.number, d.name, d.due_at))
        result.recipients.add(user_id)
    _notify(rows)
    result.notifications += len(rows)
    result.emails += len(mails)
    if mails:
        transaction.on_commit(lambda: send_emails(mails))
    return max(d.due_at for d in clocks)


_NOTICE_FIELDS = ("recipient", "petition", "kind", "data", "created_at")


def _notify(rows: list[tuple[int, int, str, dict]]) -> None:
    """Insert the notices (recipient id, petition id, kind, data). The notices of a catch-up pass
    are the bulk of what it writes: on PostgreSQL their values go to one COPY as they are, with
    no model instance per notice (building 48,000 instances, and reading each value back out of
    them, was over half of a 10⁶-clock catch-up's own CPU, profiled); elsewhere through
    core/inserts.py's multi-row INSERTs."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        columns = [Notification._meta.get_field(name).column for name in _NOTICE_FIELDS]
        # `data` as JSON text: COPY's text format hands it to the jsonb column's own parser.
        values = ((user, petition, kind, json.dumps(data), now) for user, petition, kind, data in rows)
        inserts.copy_rows(connection, Notification._meta.db_table, columns, values)
        return
    inserts.insert(
        Notification,
        [
            Notification(recipient_id=u, petition_id=p, kind=k, data=data, created_at=now)
            for u, p, k, data in rows
        ],
    )


SUBJECTS = {
    "deadline_due_soon": "Deadline due soon: %(number)s",
    "deadline_overdue": "Deadline overdue: %(number)s",
    "deadline_escalated": "Overdue, for your attention: %(number)s",
}


def send_emails(mails) -> None:
    """One short message per notice: the petition number, the clock and its end. No
    petition content goes by e-mail; the reader opens the petition to see it."""
    with translation.override(settings.LANGUAGE_CODE):
        messages = []
        for address, kind, number, name, due_at in mails:
            due = timezone.localtime(due_at, office_tz()).strftime("%Y-%m-%d %H:%M")
            subject = _(SUBJECTS[kind]) % {"number": number}
            body = _("%(clock)s of petition %(number)s runs out at %(due)s.") % {
                "clock": clock_label(name),
                "number": number,
                "due": due,
            }
            messages.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]))
    try:
        get_connection(fail_silently=False).send_messages(messages)
    except Exception:  # a mail server down must not undo the reminders (they are in the inbox)
        logger.exception("sending %d deadline e-mails failed", len(messages))


def sweep(now: datetime | None = None, *, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Claim and notify every clock that is due soon or overdue and not yet reminded."""
    now = now or timezone.now()
    lead = timedelta(hours=settings.REMINDER_LEAD_HOURS)
    leaders = _Leaders()
    result = SweepResult()
    long_ago = datetime(1970, 1, 2, tzinfo=timezone.get_fixed_timezone(0))
    windows = (
        (ReminderKind.OVERDUE, long_ago, now),
        (ReminderKind.DUE_SOON, now, now + lead),
    )
    for kind, low, high in windows:
        while True:
            with transaction.atomic():
                claimed = _claim(kind, low, high, now, batch_size)
                if claimed:
                    # Clocks are claimed in order of their end, so every clock ending before the
                    # latest one claimed now has its reminder: the next batch starts there instead
                    # of walking past them again (which made a long catch-up quadratic). The
                    # bound stays inclusive for the clocks that end at that same moment.
                    low = _deliver(claimed, kind, leaders, result)
            if kind == ReminderKind.OVERDUE:
                result.overdue += len(claimed)
            else:
                result.due_soon += len(claimed)
            if len(claimed) < batch_size:
                break
    if result.due_soon + result.overdue >= ANALYZE_AFTER and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Bounded: ANALYZE reads a sample of at most 30,000 rows whatever the table's size. A
            # database user that does not own the table gets a warning, not an error.
            cursor.execute(f"ANALYZE {Reminder._meta.db_table}")
    if result.due_soon or result.overdue:
        logger.info(
            "deadline sweep: %d due soon, %d overdue, %d notifications",
            result.due_soon,
            result.overdue,
            result.notifications,
        )
    return result
