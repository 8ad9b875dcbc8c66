"""The petition list accepts every filter a statistics number links with."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def test_received_before_a_date_includes_that_whole_day(api, register):
    """Defect: "2026-03-31" was read as midnight at the start of the day, so a month's list
    (and every statistics link ending on a date) lost its last day."""
    register(received_at=datetime(2026, 3, 31, 18, 35, tzinfo=TZ).isoformat())
    register(received_at=datetime(2026, 3, 1, 0, 5, tzinfo=TZ).isoformat())
    register(received_at=datetime(2026, 4, 1, 0, 5, tzinfo=TZ).isoformat())
    got = api("clerk").get("/api/v1/petitions", received_after="2026-03-01", received_before="2026-03-31")
    assert got.json()["count"] == 2


def test_a_time_still_counts_as_given(api, register):
    register(received_at=datetime(2026, 3, 31, 18, 35, tzinfo=TZ).isoformat())
    got = api("clerk").get("/api/v1/petitions", received_before="2026-03-31T12:00:00+08:00")
    assert got.json()["count"] == 0


def test_unit_group_and_repeat_filters(api, register, demo_org):
    users, units = demo_org
    from xinfang.petitions.models import Petition
    from xinfang.petitions.workflow_models import Assignment

    first = register()
    second = register()  # the same petitioner: a repeat of the first
    group = register(
        petitioners=[{"name": f"甲{i}"} for i in range(5)],
    )
    involved = register(involved_units=[units["LABOUR"].pk])
    Assignment.objects.create(
        petition=first, unit=units["HOUSING"], role="lead", kind="transfer", assigned_by=users["clerk"]
    )
    Assignment.objects.create(
        petition=second,
        unit=units["HOUSING"],
        role="lead",
        kind="transfer",
        status="withdrawn",
        assigned_by=users["clerk"],
    )
    clerk = api("clerk")

    def numbers(**params):
        return {r["number"] for r in clerk.get("/api/v1/petitions", **params).json()["results"]}

    assert numbers(assigned_unit=units["HOUSING"].pk) == {first.number}  # a withdrawn one does not count
    assert numbers(involved_unit=units["LABOUR"].pk) == {involved.number}
    assert Petition.objects.get(pk=group.pk).is_group
    assert numbers(group="true") == {group.number}
    assert second.number in numbers(repeat="true") and first.number not in numbers(repeat="true")
    assert first.number in numbers(repeat="false")


def test_the_list_page_keeps_extra_filters(client, demo_org, register):
    users, units = demo_org
    client.force_login(users["clerk"])
    html = client.get(f"/petitions/?assigned_unit={units['HOUSING'].pk}&group=false").content.decode()
    assert 'type="hidden" name="assigned_unit"' in html and units["HOUSING"].name in html
    assert client.get("/petitions/?assigned_unit=abc").status_code == 400
