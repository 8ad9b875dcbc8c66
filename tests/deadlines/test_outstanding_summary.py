"""Issue 9: /outstanding/ sums both tables from one grouped pass. Oracle: each row
counted on its own with .count() over the visible open petitions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from xinfang.deadlines.selectors import outstanding
from xinfang.petitions import derived
from xinfang.petitions.choices import OPEN_STATUSES
from xinfang.petitions.models import Deadline, Petition
from xinfang.petitions.selectors import overdue_deadlines

pytestmark = pytest.mark.django_db


def test_summaries_and_listing_match_counting_each(drive, demo_org):
    users, _units = demo_org
    late = drive("assigned")
    drive("assigned")
    drive("registered")
    drive("proposed")
    drive("closed")  # not open: counted nowhere
    Deadline.objects.filter(petition=late, met_at__isnull=True).update(
        due_at=timezone.now() - timedelta(days=2)
    )
    derived.refresh([late.pk])  # a write outside the services: the writer keeps the columns
    secgen = users["secgen"]
    data = outstanding(secgen)
    visible = Petition.objects.visible_to(secgen).filter(status__in=OPEN_STATUSES)
    late_ids = set(overdue_deadlines().values_list("petition_id", flat=True))
    for row in data["by_responder"]:
        mine = visible.filter(first_responder=row["first_responder"])
        assert row["open"] == mine.count()
        assert row["overdue"] == mine.filter(pk__in=late_ids).count()
    assert sum(r["open"] for r in data["by_unit"]) == visible.count() == data["count"] == 4
    assert sum(r["overdue"] for r in data["by_unit"]) == 1
    listing = list(data["petitions"])
    assert len(listing) == 4 and listing[0].pk == late.pk  # the overdue one first
    nearest = {
        p.pk: Deadline.objects.filter(petition=p, met_at__isnull=True, paused_at__isnull=True)
        .order_by("due_at")
        .first()
        for p in listing
    }
    assert all(p.next_due == (nearest[p.pk].due_at if nearest[p.pk] else None) for p in listing)
    office = outstanding(secgen, unit_id=0)
    assert office["count"] == len(list(office["petitions"])) == 2  # registered and proposed: no lead unit yet


@pytest.mark.parametrize("extra", [0, 4])
def test_outstanding_statements_are_fixed(demo_org, drive, client_for, django_assert_num_queries, extra):
    users, _units = demo_org
    drive("assigned")
    drive("registered")
    for _ in range(extra):
        drive("registered")
    client = client_for("secgen")
    client.get("/outstanding/")
    # 1 the session with its user, the user's unit and roles, 2 the ONE grouped pass for both
    # summaries, 3 the responders' names, 4 the units' names, 5 the page of petitions (index
    # order, LIMIT), 6 the header's unread notifications.
    with django_assert_num_queries(6):
        response = client.get("/outstanding/")
    assert response.status_code == 200
    assert response.context["count"] == Petition.objects.visible_to(users["secgen"]).count() == 2 + extra


def test_page_links_keep_the_chosen_unit(drive, demo_org, client_for, monkeypatch):
    from xinfang.deadlines import views

    _users, units = demo_org
    drive("assigned")
    drive("assigned")
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    unit = units["HOUSING"].pk
    html = client_for("secgen").get(f"/outstanding/?unit={unit}").content.decode()
    assert f'href="?unit={unit}&amp;page=2"' in html  # page 2 of the same unit, not everyone's
    second = client_for("secgen").get(f"/outstanding/?unit={unit}&page=2").content.decode()
    assert f'href="?unit={unit}&amp;page=1"' in second
