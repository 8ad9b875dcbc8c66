"""Clocks started by the workflow, computed from policies on the official calendar,
under frozen time; extensions, pauses, policy changes."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from xinfang.audit.models import Event
from xinfang.audit.services import Context
from xinfang.core.errors import Conflict, Forbidden, InvalidInput
from xinfang.deadlines import services
from xinfang.deadlines.models import DeadlinePolicy
from xinfang.petitions.models import Deadline

SH = ZoneInfo("Asia/Shanghai")


def due(petition, name):
    return Deadline.objects.get(petition=petition, name=name).due_at.astimezone(SH)


@pytest.mark.django_db
def test_national_day_2026_moves_the_handling_clock(drive):
    with time_machine.travel(datetime(2026, 9, 27, 9, 0, tzinfo=SH), tick=False):
        petition = drive("registered")
    # Sept 27 + 7 days = Oct 4, a National Day holiday: the clock ends on Thursday Oct 8.
    assert due(petition, "handling") == datetime(2026, 10, 8, 23, 59, 59, tzinfo=SH)
    assert due(petition, "reply") == datetime(2026, 10, 27, 23, 59, 59, tzinfo=SH)


@pytest.mark.django_db
def test_transfer_clock_across_the_holiday(drive):
    with time_machine.travel(datetime(2026, 9, 29, 10, 0, tzinfo=SH), tick=True):
        petition = drive("instructed")
    # Sept 29 + 2 days = Oct 1 (holiday) → Oct 8.
    assert due(petition, "transfer") == datetime(2026, 10, 8, 23, 59, 59, tzinfo=SH)


@pytest.mark.django_db
def test_time_zone_decides_the_start_day(drive):
    late_evening = datetime(2026, 3, 1, 23, 30, tzinfo=SH)  # 15:30 UTC, still March 1 in the office
    after_midnight = datetime(2026, 3, 2, 0, 30, tzinfo=SH)  # 16:30 UTC on March 1
    with time_machine.travel(datetime(2026, 3, 3, 9, 0, tzinfo=SH), tick=False):
        a = drive("registered", received_at=late_evening.isoformat())
        b = drive("registered", received_at=after_midnight.astimezone(ZoneInfo("UTC")).isoformat())
    # March 8 is a Sunday → March 9 for both; a day later start gives the same end here,
    assert due(a, "handling") == datetime(2026, 3, 9, 23, 59, 59, tzinfo=SH)
    assert due(b, "handling") == datetime(2026, 3, 9, 23, 59, 59, tzinfo=SH)
    # but the reply month differs: April 1 vs April 2.
    assert due(a, "reply").date().isoformat() == "2026-04-01"
    assert due(b, "reply").date().isoformat() == "2026-04-02"


@pytest.mark.django_db
def test_a_year_without_calendar_data_is_flagged(drive, client_for):
    with time_machine.travel(datetime(2026, 12, 28, 9, 0, tzinfo=SH), tick=True):
        petition = drive("registered", received_at=datetime(2026, 12, 28, 9, 0, tzinfo=SH).isoformat())
        handling = Deadline.objects.get(petition=petition, name="handling")
        assert handling.calendar_gap == "2027"
        assert due(petition, "handling") == datetime(2027, 1, 4, 23, 59, 59, tzinfo=SH)
        html = (
            client_for("clerk", HTTP_ACCEPT_LANGUAGE="en")
            .get(f"/petitions/{petition.number}/")
            .content.decode()
        )
    assert "No official holiday calendar for 2027" in html


@pytest.mark.django_db
def test_extension_needs_a_leader_and_stays_within_the_policy(drive, demo_org):
    users, _units = demo_org
    petition = drive("registered")
    before = due(petition, "reply")
    with pytest.raises(Forbidden):
        services.extend_deadline(
            ctx=Context(actor=users["clerk"]), petition=petition, name="reply", days=5, reason="待鉴定"
        )
    with pytest.raises(InvalidInput):
        services.extend_deadline(
            ctx=Context(actor=users["secgen"]), petition=petition, name="reply", days=31, reason="待鉴定"
        )
    with pytest.raises(InvalidInput):
        services.extend_deadline(
            ctx=Context(actor=users["secgen"]), petition=petition, name="reply", days=5, reason="  "
        )
    services.extend_deadline(
        ctx=Context(actor=users["secgen"]), petition=petition, name="reply", days=10, reason="需要外部鉴定"
    )
    assert (due(petition, "reply") - before).days >= 10
    event = Event.objects.filter(petition=petition, action="deadline.extended").get()
    assert event.data["days"] == 10 and event.actor == users["secgen"]


@pytest.mark.django_db
def test_pause_stops_overdue_and_resume_moves_the_end(drive, demo_org):
    users, _units = demo_org
    leader = Context(actor=users["secgen"])
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        petition = drive("registered")
        services.pause_deadline(ctx=leader, petition=petition, name="handling", reason="等待信访人补充材料")
        with pytest.raises(Conflict):
            services.pause_deadline(ctx=leader, petition=petition, name="handling", reason="again")
    original = due(petition, "handling")
    with time_machine.travel(datetime(2026, 3, 20, 9, 0, tzinfo=SH), tick=False):
        handling = Deadline.objects.get(petition=petition, name="handling")
        assert handling.due_at < datetime(2026, 3, 20, tzinfo=SH) and not handling.is_overdue(
            datetime(2026, 3, 20, tzinfo=SH)
        )
        services.resume_deadline(ctx=leader, petition=petition, name="handling")
    assert (due(petition, "handling") - original).days >= 18
    assert list(Event.objects.filter(petition=petition).values_list("action", flat=True))[-2:] == [
        "deadline.paused",
        "deadline.resumed",
    ]


@pytest.mark.django_db
def test_policy_change_keeps_running_clocks_unless_asked(drive, demo_org):
    users, _units = demo_org
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        first = drive("registered")
        policy = DeadlinePolicy.objects.get(profile="default", clock="handling", superseded_at__isnull=True)
        with pytest.raises(Forbidden):
            services.change_policy(actor=users["clerk"], current=policy, changes={"amount": 5}, reason="x")
        new = services.change_policy(
            actor=users["admin"], current=policy, changes={"amount": 3}, reason="office decision"
        )
        second = drive("registered")
    assert (
        new.version == 2 and DeadlinePolicy.objects.filter(clock="handling", profile="default").count() == 2
    )
    assert due(first, "handling").date().isoformat() == "2026-03-09"
    assert due(second, "handling").date().isoformat() == "2026-03-05"
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=SH), tick=False):
        services.change_policy(
            actor=users["admin"], current=new, changes={"amount": 4}, reason="again", recompute_running=True
        )
    assert due(first, "handling").date().isoformat() == "2026-03-06"


@pytest.mark.django_db
def test_national_profile(drive, settings):
    settings.DEADLINE_PROFILE = "national"
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        petition = drive("registered")
    assert due(petition, "handling").date().isoformat() == "2026-03-17"  # 15 days
    assert due(petition, "reply").date().isoformat() == "2026-05-06"  # 60 days: May 1, a holiday → May 6
    handling = Deadline.objects.get(petition=petition, name="reply")
    assert handling.rule == "NR-handling"
