"""The intake clock is policy data (issue 13): seeded per profile, edited by the administrator,
read by the portal when a citizen submits."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from xinfang.deadlines.models import Clock, DeadlinePolicy
from xinfang.deadlines.services import change_policy
from xinfang.portal.services.submission import intake_due

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 2 March 2026, 10:00 in the office: no public holiday in the weeks after it.
SUBMITTED = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


def local_day(moment) -> date:
    return timezone.localtime(moment, SHANGHAI).date()


def current(profile="default"):
    return DeadlinePolicy.objects.get(
        profile=profile, clock=Clock.INTAKE, channel="online", superseded_at__isnull=True
    )


def test_the_seed_has_an_intake_policy_in_both_profiles():
    assert (current("default").amount, current("default").unit, current("default").rule) == (7, "days", "4.6")
    assert (current("national").amount, current("national").rule) == (15, "NR-acceptance")


def test_an_edited_policy_changes_the_intake_due_date(demo_org, submission):
    users, _units = demo_org
    # Written out: 7 calendar days after Monday 2 March is Monday 9 March.
    assert local_day(intake_due(SUBMITTED).due_at) == date(2026, 3, 9)

    change_policy(actor=users["admin"], current=current(), changes={"amount": 10}, reason="测试")

    # 10 days after 2 March: Thursday 12 March.
    assert local_day(intake_due(SUBMITTED).due_at) == date(2026, 3, 12)
    # And a citizen submitting now gets the edited clock: at least 10 days.
    stored, _secret = submission()
    assert local_day(stored.due_at) >= local_day(stored.submitted_at) + timedelta(days=10)


def test_the_national_profile_gives_fifteen_days(settings):
    settings.DEADLINE_PROFILE = "national"
    # 2 March + 15 days = Tuesday 17 March.
    assert local_day(intake_due(SUBMITTED).due_at) == date(2026, 3, 17)
