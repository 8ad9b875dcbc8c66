"""The list page's bounded search (docs/search.md, "Bounded searches"): relevance while the
matches are few, newest first by key beyond SEARCH_RANK_LIMIT, and every match reachable by
following the pages in both cases. Expectations come from the LIKE oracle and from the
(received_at, id) order written out here, not from the search code."""

import pytest
from django.test import Client

from tests.search.conftest import TERM, like_oracle, newest_first
from xinfang.petitions import selectors
from xinfang.petitions.selectors import list_page, parse_filters


def _walk(user, q: str) -> tuple[list[str], list[str]]:
    """Follow the list's next links from the first page; the numbers seen and the orders used."""
    filters = parse_filters({"q": q})
    seen, orders, params = [], [], {}
    for _ in range(20):
        listed = list_page(user, filters, params, per_page=2)
        seen += [p.number for p in listed.page.object_list]
        orders.append(listed.order)
        if not listed.page.has_next:
            break
        page = listed.page
        params = {"page": page.next_page_number(), "after": page.next_cursor}
    return seen, orders


@pytest.mark.django_db
def test_above_the_limit_newest_first_and_every_match_reachable(six, monkeypatch):
    users, _made = six
    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 3)
    for name in ("clerk", "chair"):
        expected = newest_first(like_oracle(users[name], TERM))
        assert len(expected) > 3
        seen, orders = _walk(users[name], TERM)
        assert seen == expected  # each match once, in (received_at, id) order
        assert set(orders) == {"newest"}


@pytest.mark.django_db
def test_at_or_below_the_limit_by_relevance(six, monkeypatch):
    users, made = six
    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 5)
    seen, orders = _walk(users["clerk"], TERM)
    expected = newest_first(like_oracle(users["clerk"], TERM))
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen)) == 5
    assert seen[0] == made[0].number  # the title match first, though the oldest
    assert set(orders) == {"relevance"}


@pytest.mark.django_db
def test_list_page_says_which_order(six, monkeypatch):
    users, _made = six
    client = Client()
    client.force_login(users["clerk"])
    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 3)
    page = client.get("/petitions/", {"q": TERM}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "More than 3 petitions" in page and "Newest first" in page
    chinese = client.get("/petitions/", {"q": TERM}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "超过 3 件" in chinese and "按登记时间从新到旧排列" in chinese
    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 10)
    page = client.get("/petitions/", {"q": TERM}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "5 petitions" in page and "Most relevant first" in page
    plain = client.get("/petitions/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Most relevant first" not in plain and "Newest first:" not in plain
