"""The clocks the workflow services start and stop (Rule 4.6, DESIGN.md §6).

Clocks run from `received_at`, not from when a clerk typed the letter in, and a
deadline is the last moment of its last day in the office's time zone. How long
each clock runs is policy data, counted on the official calendar: see
`xinfang.deadlines.clocks` and docs/deadlines.md. These functions keep the names
the services call.
"""

from __future__ import annotations

from datetime import datetime

from xinfang.deadlines import clock_cache, clocks
from xinfang.deadlines.engine import add_months  # noqa: F401  (kept for callers of the old module)
from xinfang.petitions.models import Deadline

office_tz = clocks.office_tz
end_of_day = clocks.end_of_day
office_year = clocks.office_year

REGISTRATION_CLOCKS = ("handling", "reply", "superior_report")


def _compute(start_at: datetime, rule: clocks.Rule) -> clocks.Computed:
    """clocks.compute with the calendar from the per-day cache (clock_cache)."""
    start = clocks.local_day(start_at)
    return clocks.compute(start_at, rule, clock_cache.calendar(start, clocks.horizon(start, rule)))


def _fixed(day, rule: clocks.Rule) -> clocks.Computed:
    return clocks.fixed(day, rule, clock_cache.calendar(day, day) if rule.roll_forward else None)


def registration_deadlines(petition, policies: clocks.Policies | None = None) -> list[Deadline]:
    policies = policies or clock_cache.policies()
    rows = []
    for name in ("handling", "reply"):
        rule = policies.rule(name, petition.channel)
        computed = _compute(petition.received_at, rule)
        rows.append(
            Deadline(
                petition=petition,
                name=name,
                rule=rule.rule,
                starts_at=petition.received_at,
                due_at=computed.due_at,
                calendar_gap=computed.calendar_gap,
            )
        )
    if petition.superior_due_date:
        rule = policies.rule("superior_report", petition.channel)
        computed = _fixed(petition.superior_due_date, rule)
        rows.append(
            Deadline(
                petition=petition,
                name="superior_report",
                rule=rule.rule,
                starts_at=petition.received_at,
                due_at=computed.due_at,
                calendar_gap=computed.calendar_gap,
            )
        )
    return rows


def start_registration_clocks(petition) -> list[Deadline]:
    return Deadline.objects.bulk_create(registration_deadlines(petition))


def restart_registration_clocks(petition) -> None:
    """After a correction of `received_at` or the superior's due date, while registered."""
    from xinfang.petitions import derived

    Deadline.objects.filter(petition=petition, name__in=REGISTRATION_CLOCKS).delete()
    start_registration_clocks(petition)
    derived.refresh([petition.pk])


def start_transfer_clock(petition, instructed_at: datetime) -> None:
    """The first instruction starts the transfer clock; later instructions do not move it."""
    if Deadline.objects.filter(petition=petition, name="transfer").exists():
        return
    rule = clock_cache.policies().rule("transfer", petition.channel)
    computed = _compute(instructed_at, rule)
    Deadline.objects.get_or_create(
        petition=petition,
        name="transfer",
        defaults={
            "rule": rule.rule,
            "starts_at": instructed_at,
            "due_at": computed.due_at,
            "calendar_gap": computed.calendar_gap,
        },
    )


def start_assignment_clock(petition, assignment, at: datetime) -> None:
    if assignment.due_date is None:
        return
    rule = clock_cache.policies().rule("assignment", petition.channel)
    computed = _fixed(assignment.due_date, rule)
    Deadline.objects.update_or_create(
        petition=petition,
        name=f"assignment:{assignment.unit_id}",
        defaults={
            "rule": rule.rule,
            "starts_at": at,
            "due_at": computed.due_at,
            "met_at": None,
            "paused_at": None,
            "unit_id": assignment.unit_id,
            "calendar_gap": computed.calendar_gap,
        },
    )


# The old name, kept for callers that start several at once.
def start_assignment_clocks(petition, assignments, at: datetime) -> None:
    for assignment in assignments:
        start_assignment_clock(petition, assignment, at)


def meet(petition, names, at: datetime) -> None:
    """Mark the named clocks met at `at` (those already met keep their time)."""
    Deadline.objects.filter(petition=petition, name__in=list(names), met_at__isnull=True).update(met_at=at)


def stop_all(petition, at: datetime) -> None:
    """A petition that left the procedure (voided, merged) has no clocks running."""
    Deadline.objects.filter(petition=petition, met_at__isnull=True).update(met_at=at)
