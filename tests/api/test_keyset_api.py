"""Issue 9: the API list's next/previous links carry keys; the pages are the ones
`?page=N` gives (oracle: the whole list cut into pages in Python)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from xinfang.audit.services import Context
from xinfang.petitions.models import Petition
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition

pytestmark = pytest.mark.django_db


def test_links_walk_the_pages_and_page_numbers_agree(api, demo_org):
    users, _units = demo_org
    base = timezone.now() - timedelta(days=10)
    for i in range(23):
        data = {
            "channel": "letter",
            "received_at": (base + timedelta(hours=i // 2)).isoformat(),  # ties: the id breaks them
            "petitioners": [{"name": f"信访人{i}"}],
            "title": f"事项{i}",
            "content": "问题内容",
            "category": "urban_construction",
        }
        register_petition(ctx=Context(actor=users["clerk"]), data=check_registration(data))
    client = api("clerk")
    everything = list(Petition.objects.order_by("-received_at", "-id").values_list("number", flat=True))
    pages = [everything[i : i + 5] for i in range(0, 23, 5)]

    body = client.get("/api/v1/petitions", page_size=5).json()
    assert body["count"] == 23 and body["previous"] is None
    seen = [[r["number"] for r in body["results"]]]
    while body["next"]:
        assert "after=" in body["next"] and "page=" in body["next"]
        body = client.client.get(body["next"]).json()
        seen.append([r["number"] for r in body["results"]])
    assert seen == pages
    back = [[r["number"] for r in body["results"]]]
    while body["previous"]:
        body = client.client.get(body["previous"]).json()
        back.append([r["number"] for r in body["results"]])
    assert back[::-1] == pages
    for n, expected in enumerate(pages, start=1):
        assert [
            r["number"] for r in client.get("/api/v1/petitions", page=n, page_size=5).json()["results"]
        ] == expected
    assert client.get("/api/v1/petitions", page=9, page_size=5).status_code == 404
    broken = client.get("/api/v1/petitions", after="1.x")
    assert broken.status_code == 400 and broken["Content-Type"] == "application/problem+json"
