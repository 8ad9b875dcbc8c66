"""GET /api/v1/petitions?q= bounded like the list page (docs/search.md, "Bounded searches"):
relevance and an exact count while the matches are at most SEARCH_RANK_LIMIT; beyond it the
answer says `"order": "newest"` and `"count_capped": true` (count a lower bound) and every match
is reachable by following `next`. Expectations come from the LIKE oracle and the (received_at,
id) order written out here, not from the search code."""

import pytest

from tests.search.conftest import TERM, like_oracle, newest_first
from xinfang.petitions import selectors
from xinfang.petitions.models import Petition


def _follow(client, first: dict) -> tuple[list[str], list[dict]]:
    """Every page from the first one by its `next` links: the numbers and the bodies."""
    bodies, body = [first], first
    while body["next"]:
        body = client.client.get(body["next"]).json()
        bodies.append(body)
    return [r["number"] for b in bodies for r in b["results"]], bodies


@pytest.mark.django_db
def test_above_the_limit_newest_first_capped_count_every_match_reachable(api, six, monkeypatch):
    users, _made = six
    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 3)
    for name in ("clerk", "chair"):
        expected = newest_first(like_oracle(users[name], TERM))
        assert len(expected) == 5
        client = api(name)
        first = client.get("/api/v1/petitions", q=TERM, page_size=2).json()
        assert first["order"] == "newest" and first["count_capped"] is True
        assert first["count"] == 4  # "more than 3": a lower bound, never more than there are
        seen, bodies = _follow(client, first)
        assert seen == expected  # each match once, newest first
        assert all(b["order"] == "newest" and b["count_capped"] for b in bodies)
        assert all("after=" in b["next"] for b in bodies[:-1])
        # Back from the last page by `previous`: the same pages in reverse.
        back, body = [], bodies[-1]
        while body["previous"]:
            body = client.client.get(body["previous"]).json()
            back.append([r["number"] for r in body["results"]])
        assert back[::-1] == [[r["number"] for r in b["results"]] for b in bodies[:-1]]
        # A page number without a key reads by OFFSET; past the last match it is a 404.
        third = client.get("/api/v1/petitions", q=TERM, page_size=2, page=3).json()
        assert [r["number"] for r in third["results"]] == expected[4:]
        assert client.get("/api/v1/petitions", q=TERM, page_size=2, page=4).status_code == 404


@pytest.mark.django_db
def test_at_or_below_the_limit_relevance_and_exact_count(api, six, monkeypatch):
    users, made = six
    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 5)
    client = api("clerk")
    first = client.get("/api/v1/petitions", q=TERM, page_size=2).json()
    assert first["order"] == "relevance" and first["count_capped"] is False
    assert first["count"] == 5
    seen, bodies = _follow(client, first)
    assert sorted(seen) == sorted(newest_first(like_oracle(users["clerk"], TERM)))
    assert len(seen) == len(set(seen)) == 5
    assert seen[0] == made[0].number  # the title match first, though the oldest
    assert all(b["order"] == "relevance" and "after=" not in (b["next"] or "") for b in bodies)
    assert client.get("/api/v1/petitions", q=TERM, page_size=2, page=4).status_code == 404


@pytest.mark.django_db
def test_without_a_search_newest_first_and_exact_count(api, six, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)  # the page's cap never reaches the API
    body = api("clerk").get("/api/v1/petitions", page_size=2).json()
    assert body["order"] == "newest" and body["count_capped"] is False
    assert body["count"] == Petition.objects.count() == 6


@pytest.mark.django_db
def test_the_schema_describes_the_added_fields(api, six):
    schema = api("clerk").get("/api/v1/schema/", format="json").json()
    listed = schema["components"]["schemas"]["PaginatedPetitionSummaryList"]
    assert {"count", "next", "previous", "results", "order", "count_capped"} <= set(listed["properties"])
    order = listed["properties"]["order"]
    if "allOf" in order:  # drf-spectacular names the enum as a component of its own
        order = schema["components"]["schemas"][order["allOf"][0]["$ref"].rsplit("/", 1)[-1]]
    assert order["enum"] == ["relevance", "newest"]


@pytest.mark.django_db
def test_a_handling_officer_gets_only_their_units_matches_either_way(api, six, drive, monkeypatch):
    """Among the clerk's matches, four assigned to housing: housing's answer is exactly those
    (the oracle under visible_to), ranked below the limit and newest first above it."""
    users, _made = six
    assigned = [drive("assigned", title=f"{TERM}第{n}处", content="河道异味。") for n in range(4)]
    expected = newest_first(like_oracle(users["housing"], TERM))
    assert sorted(expected) == sorted(p.number for p in assigned)
    client = api("housing")
    for limit, order in ((2, "newest"), (10, "relevance")):
        monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", limit)
        first = client.get("/api/v1/petitions", q=TERM, page_size=3).json()
        seen, bodies = _follow(client, first)
        assert {b["order"] for b in bodies} == {order}
        assert first["count"] == (3 if order == "newest" else 4)
        assert seen == expected if order == "newest" else sorted(seen) == sorted(expected)
