"""Issue 9: the petition list pages by key. Oracle: the same list read whole and cut
into pages of 25 in Python; following "next" links (keys) and "previous" links must
give exactly those pages, and a typed page number (OFFSET) too."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from xinfang.petitions.models import Petition
from xinfang.petitions.paging import COUNT_CAP

pytestmark = pytest.mark.django_db
SIZE = 25


def _numbers(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"XF-\d{4}-\d{6}", html)))  # each row links its number


def _link(html: str, rel: str) -> str | None:
    match = re.search(r'<a href="([^"]+)"[^>]*rel="' + rel + '"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_next_and_previous_links_walk_the_same_pages(client_for, make_petition):
    base = timezone.now() - timedelta(days=30)
    for i in range(60):
        # Ties in received_at on purpose: the id breaks them, as in the ordering.
        make_petition(received_at=(base + timedelta(hours=i // 3)).isoformat())
    clerk = client_for("clerk")
    everything = list(Petition.objects.order_by("-received_at", "-id").values_list("number", flat=True))
    pages = [everything[i : i + SIZE] for i in range(0, len(everything), SIZE)]

    html = clerk.get("/petitions/").content.decode()
    seen = [_numbers(html)]
    while (link := _link(html, "next")) is not None:
        assert "after=" in link
        html = clerk.get("/petitions/" + link).content.decode()
        seen.append(_numbers(html))
    assert seen == pages
    assert "第 3 页，共 3 页" in html

    back = [_numbers(html)]
    while (link := _link(html, "prev")) is not None:
        assert "before=" in link
        html = clerk.get("/petitions/" + link).content.decode()
        back.append(_numbers(html))
    assert back[::-1] == pages

    for number, expected in enumerate(pages, start=1):  # typed page numbers: OFFSET
        assert _numbers(clerk.get("/petitions/", {"page": number}).content.decode()) == expected
    assert _numbers(clerk.get("/petitions/", {"page": 99}).content.decode()) == pages[-1]


def test_a_broken_page_link_is_a_clear_400(client_for, make_petition):
    make_petition()
    response = client_for("clerk", HTTP_ACCEPT_LANGUAGE="en").get("/petitions/", {"after": "x.y"})
    assert response.status_code == 400
    assert "Not a valid page link" in response.content.decode()
    chinese = client_for("clerk").get("/petitions/", {"before": "12.-3"})
    assert chinese.status_code == 400 and "分页链接无效" in chinese.content.decode()


def test_counts_past_the_cap_say_more_than(client_for, make_petition, monkeypatch):
    from xinfang.petitions import selectors

    for _ in range(4):
        make_petition()
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)  # list_page reads it there
    html = client_for("clerk", HTTP_ACCEPT_LANGUAGE="en").get("/petitions/").content.decode()
    assert "More than 3 petitions" in html
    assert COUNT_CAP == 10_000
