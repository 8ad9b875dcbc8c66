"""Clocks started at registration (Rule 4.6, DESIGN.md §6).

Clocks run from `received_at`, not from when a clerk typed the letter in, and a
deadline is the last moment of its last day in the office's time zone. The full
deadline engine (policies, working-day calendar, extensions) builds on these rows.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from xinfang.petitions.models import Deadline

HANDLING_DAYS = 7  # Rule 4.6: ordinary letters and visits dealt with within one week
REPLY_MONTHS = 1  # Rule 4.6: a reply normally within one month


def office_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=office_tz())


def add_months(day: date, months: int) -> date:
    """Same day `months` later, or the last day of that month (Jan 31 + 1 month = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def registration_deadlines(petition) -> list[Deadline]:
    received_day = petition.received_at.astimezone(office_tz()).date()
    rows = [
        Deadline(
            petition=petition,
            name="handling",
            rule="4.6",
            starts_at=petition.received_at,
            due_at=end_of_day(received_day + timedelta(days=HANDLING_DAYS)),
        ),
        Deadline(
            petition=petition,
            name="reply",
            rule="4.6",
            starts_at=petition.received_at,
            due_at=end_of_day(add_months(received_day, REPLY_MONTHS)),
        ),
    ]
    if petition.superior_due_date:
        rows.append(
            Deadline(
                petition=petition,
                name="superior_report",
                rule="3.4",
                starts_at=petition.received_at,
                due_at=end_of_day(petition.superior_due_date),
            )
        )
    return rows


def start_registration_clocks(petition) -> None:
    Deadline.objects.bulk_create(registration_deadlines(petition))


def restart_registration_clocks(petition) -> None:
    """After a correction of `received_at` or the superior's due date, while registered."""
    Deadline.objects.filter(petition=petition, name__in=["handling", "reply", "superior_report"]).delete()
    start_registration_clocks(petition)


TRANSFER_DAYS = 2  # Rule 4.6: passed on within two days of the leader's review


def start_transfer_clock(petition, instructed_at: datetime) -> None:
    """The first instruction starts the transfer clock; later instructions do not move it."""
    day = instructed_at.astimezone(office_tz()).date()
    Deadline.objects.get_or_create(
        petition=petition,
        name="transfer",
        defaults={
            "rule": "4.6",
            "starts_at": instructed_at,
            "due_at": end_of_day(day + timedelta(days=TRANSFER_DAYS)),
        },
    )


def start_assignment_clock(petition, assignment, at: datetime) -> None:
    if assignment.due_date is None:
        return
    Deadline.objects.update_or_create(
        petition=petition,
        name=f"assignment:{assignment.unit_id}",
        defaults={"rule": "2.2", "starts_at": at, "due_at": end_of_day(assignment.due_date), "met_at": None},
    )


def meet(petition, names, at: datetime) -> None:
    """Mark the named clocks met at `at` (those already met keep their time)."""
    Deadline.objects.filter(petition=petition, name__in=list(names), met_at__isnull=True).update(met_at=at)


def stop_all(petition, at: datetime) -> None:
    """A petition that left the procedure (voided, merged) has no clocks running."""
    Deadline.objects.filter(petition=petition, met_at__isnull=True).update(met_at=at)
