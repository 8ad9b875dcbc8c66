"""Supervision, the lists and the outstanding page, through the API and the pages."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from xinfang.audit.models import Event
from xinfang.notifications.models import Notification

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
def test_supervision_through_the_api(drive, api, demo_org, django_capture_on_commit_callbacks):
    _users, units = demo_org
    petition = drive("assigned", involved_units=[units["POLICE"].pk])
    url = f"/api/v1/petitions/{petition.number}/supervisions"
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    refused = api("clerk").post(
        url, {"unit": units["POLICE"].pk, "kind": "supervision", "message": "请加快", "due_date": due}
    )
    assert refused.status_code == 409  # never to an involved unit (Rule 4.3)
    assert (
        api("clerk")
        .post(url, {"unit": units["HOUSING"].pk, "kind": "x", "message": "m", "due_date": due})
        .status_code
        == 400
    )
    assert (
        api("housing")
        .post(url, {"unit": units["HOUSING"].pk, "kind": "reminder", "message": "m", "due_date": due})
        .status_code
        == 403
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = api("clerk").post(
            url,
            {
                "unit": units["HOUSING"].pk,
                "kind": "supervision",
                "message": "请于三日内反馈",
                "due_date": due,
            },
        )
    assert created.status_code == 201, created.json()
    sid = created.json()["id"]
    assert Notification.objects.filter(kind="supervision", recipient__username="housing").exists()
    assert api("labour").post(f"{url}/{sid}/response", {"response": "x"}).status_code == 403
    answered = api("housing").post(f"{url}/{sid}/response", {"response": "已督促落实"})
    assert answered.status_code == 200 and answered.json()["response"] == "已督促落实"
    assert api("housing").post(f"{url}/{sid}/response", {"response": "again"}).status_code == 409
    assert set(Event.objects.filter(petition=petition).values_list("action", flat=True)) >= {
        "supervision.issued",
        "supervision.responded",
    }
    assert petition.deadlines.get(name=f"supervision:{sid}").met_at is not None


@pytest.mark.django_db
def test_deadline_list_api_and_actions(drive, api):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        petition = drive("registered")
    with time_machine.travel(datetime(2026, 3, 12, 9, 0, tzinfo=SH), tick=False):
        mine = api("clerk").get("/api/v1/deadlines", state="overdue").json()
        assert [(r["petition"], r["name"], r["overdue"]) for r in mine["results"]] == [
            (petition.number, "handling", True)
        ]
        assert api("clerk2").get("/api/v1/deadlines").json()["count"] == 0
        assert api("clerk2").get("/api/v1/deadlines", scope="all").json()["count"] == 1
        assert api("clerk").get("/api/v1/deadlines", state="later").status_code == 400
        assert api("housing").get("/api/v1/deadlines", scope="all").json()["count"] == 0  # cannot see it
        assert api("clerk").get("/api/v1/petitions", overdue="true").json()["count"] == 1
        url = f"/api/v1/petitions/{petition.number}/deadlines/handling/pause"
        assert api("clerk").post(url, {"reason": "x"}).status_code == 403
        assert api("secgen").post(url, {"reason": "等待鉴定"}).status_code == 200
        # Paused: no longer overdue anywhere.
        assert api("clerk").get("/api/v1/petitions", overdue="true").json()["count"] == 0
        detail = api("clerk").get(f"/api/v1/petitions/{petition.number}").json()
        assert {d["name"]: (d["overdue"], d["paused"]) for d in detail["deadlines"]}["handling"] == (
            False,
            True,
        )
        assert (
            api("secgen")
            .post(f"/api/v1/petitions/{petition.number}/deadlines/nope/extend", {"days": 3, "reason": "x"})
            .status_code
            == 400
        )
        assert (
            api("secgen")
            .post(
                f"/api/v1/petitions/{petition.number}/deadlines/reply/extend", {"days": "many", "reason": "x"}
            )
            .status_code
            == 400
        )


@pytest.mark.django_db
def test_pages(drive, client_for, demo_org):
    _users, units = demo_org
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        petition = drive("assigned")
    with time_machine.travel(datetime(2026, 3, 12, 9, 0, tzinfo=SH), tick=True):
        clerk = client_for("clerk", HTTP_ACCEPT_LANGUAGE="en")
        home = clerk.get("/").content.decode()
        assert "My deadlines overdue" in home
        listing = clerk.get("/deadlines/?state=overdue&scope=all").content.decode()
        assert petition.number in listing and "badge--overdue" in listing
        assert clerk.get("/deadlines/?state=bogus").status_code == 400
        outstanding = clerk.get("/outstanding/").content.decode()
        assert petition.number in outstanding and units["HOUSING"].name in outstanding
        assert client_for("housing").get("/outstanding/").status_code == 403
        handler_list = client_for("housing").get("/deadlines/?state=overdue").content.decode()
        assert petition.number in handler_list
        # A leader extends from the petition page; a clerk is refused with a 403 page.
        page = (
            client_for("secgen", HTTP_ACCEPT_LANGUAGE="en")
            .get(f"/petitions/{petition.number}/")
            .content.decode()
        )
        assert "Approve the extension" in page and "Press a unit" in page
        url = f"/petitions/{petition.number}/deadlines/assignment:{units['HOUSING'].pk}/extend/"
        assert clerk.post(url, {"days": "3", "reason": "x"}).status_code == 403
        assert client_for("secgen").post(url, {"days": "3", "reason": "补充调查"}).status_code == 302
        assert client_for("secgen").post(url, {"days": "", "reason": "x"}).status_code == 400
        due = (timezone.localdate() + timedelta(days=2)).isoformat()
        posted = clerk.post(
            f"/petitions/{petition.number}/supervisions/",
            {"unit": units["HOUSING"].pk, "kind": "reminder", "message": "请尽快", "due_date": due},
        )
        assert posted.status_code == 302
        housing_page = client_for("housing", HTTP_ACCEPT_LANGUAGE="en").get(f"/petitions/{petition.number}/")
        assert "Record the response" in housing_page.content.decode()


@pytest.mark.django_db
def test_deadline_list_count_is_exact_up_to_the_cap(drive, client_for, demo_org, monkeypatch):
    # Issue 9: the overdue list counts up to COUNT_CAP and says "more than" beyond; the
    # oracle is the number of overdue clocks the list shows over every page.
    from xinfang.deadlines import views
    from xinfang.petitions.models import Deadline

    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        for _ in range(3):
            drive("assigned")
    with time_machine.travel(datetime(2026, 3, 12, 9, 0, tzinfo=SH), tick=True):
        overdue = Deadline.objects.filter(
            met_at__isnull=True, paused_at__isnull=True, due_at__lt=timezone.now()
        ).count()
        assert overdue >= 3
        clerk = client_for("clerk", HTTP_ACCEPT_LANGUAGE="en")
        monkeypatch.setattr(views, "COUNT_CAP", overdue)
        exact = clerk.get("/deadlines/?state=overdue&scope=all").content.decode()
        assert f"{overdue} deadlines" in exact and "More than" not in exact
        monkeypatch.setattr(views, "COUNT_CAP", overdue - 1)
        capped = clerk.get("/deadlines/?state=overdue&scope=all").content.decode()
        assert f"More than {overdue - 1} deadlines" in capped
        monkeypatch.setattr(views, "PAGE_SIZE", 2)
        shown = 0
        for number in range(1, overdue + 2):
            page = clerk.get(f"/deadlines/?state=overdue&scope=all&page={number}")
            shown += page.content.decode().count("badge--overdue")
            if "page=" + str(number + 1) not in page.content.decode():
                break
        assert shown == overdue
