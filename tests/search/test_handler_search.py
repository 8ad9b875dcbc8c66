"""A handling officer's bounded search (docs/search.md, "A handling officer's search"): the count
read from their units' documents and then filtered by visible_to, and beyond SEARCH_RANK_LIMIT
the pages read along their units' assignments. Expectations come from the LIKE oracle through
visible_to and from the (received_at, id) order written out here, not from the search code: for
the bureau's officer (one unit, one petition hidden from them by Rule 4.3) and for the officer of
a section under it (two units, one petition assigned to both)."""

import pytest

from tests.search.conftest import like_oracle, newest_first
from tests.workflow.conftest import registration
from xinfang.audit.services import Context
from xinfang.petitions import selectors
from xinfang.petitions.actions import perform
from xinfang.petitions.models import Petition
from xinfang.petitions.selectors import list_page, parse_filters
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition

TERM = "漏水"
SAME_MOMENT = "2026-11-02T09:00:00+08:00"


def _act(users, petition, actor, action, body):
    perform(Context(actor=users[actor]), Petition.objects.get(pk=petition.pk), action, body)


@pytest.fixture
def unit_matches(housing_sub_unit):
    """Eight petitions holding TERM assigned to the housing bureau (one also to its section SUB,
    one naming the bureau's officer `housing` as involved, so hidden from them and not from h2;
    two received at the same moment), one assigned to SUB only, one holding TERM assigned to
    labour, one without TERM assigned to housing."""
    users, units, officer = housing_sub_unit
    users = {**users, "h2": officer}
    plans = [(f"{TERM}{n}", ["HOUSING"], {}) for n in range(5)]
    plans += [
        (f"{TERM}共管", ["HOUSING", "SUB"], {}),
        (f"{TERM}同时", ["HOUSING"], {"received_at": SAME_MOMENT}),
        (f"{TERM}同刻", ["HOUSING"], {"received_at": SAME_MOMENT}),
        (f"{TERM}回避", ["HOUSING"], {"involved_persons": [{"name": "赵六", "user": "housing"}]}),
        (f"{TERM}物业", ["SUB"], {}),
        (f"{TERM}劳动", ["LABOUR"], {}),
        ("路灯损坏", ["HOUSING"], {}),
    ]
    made = []
    for n, (title, assigned, extra) in enumerate(plans):
        data = registration(units, title=title, content=f"第{n}件：{title}。", **extra)
        petition = register_petition(ctx=Context(actor=users["clerk"]), data=check_registration(data))[0]
        _act(users, petition, "clerk", "propose", {"opinion": "拟转办"})
        _act(users, petition, "secgen", "instruct", {"instruction": "请核实处理。"})
        roles = ["lead"] + ["assist"] * (len(assigned) - 1)
        body = [
            {"unit": units[code].pk, "role": role, "kind": "assignment"}
            for code, role in zip(assigned, roles, strict=True)
        ]
        _act(users, petition, "clerk", "assign", {"assignments": body})
        made.append(petition)
    return users, made


def _pages(user, q: str, per_page: int = 2):
    """Every page from the first by `after`, then back from the last by `before`."""
    filters = parse_filters({"q": q})
    pages, params = [], {}
    for _ in range(20):
        listed = list_page(user, filters, params, per_page=per_page)
        pages.append(listed)
        if not listed.page.has_next:
            break
        params = {"page": listed.page.next_page_number(), "after": listed.page.next_cursor}
    back, page = [], pages[-1].page
    while page.has_previous() and page.previous_cursor:
        listed = list_page(
            user, filters, {"page": page.number - 1, "before": page.previous_cursor}, per_page=2
        )
        back.append([p.number for p in listed.page.object_list])
        page = listed.page
    return pages, back


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["housing", "h2"])
def test_above_the_limit_every_match_newest_first_along_the_units(unit_matches, monkeypatch, name):
    users, _made = unit_matches
    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 3)
    expected = newest_first(like_oracle(users[name], TERM))
    assert len(expected) == (8 if name == "housing" else 10)
    pages, back = _pages(users[name], TERM)
    seen = [p.number for listed in pages for p in listed.page.object_list]
    assert seen == expected  # each match once (the doubly assigned one too), newest first
    assert {listed.order for listed in pages} == {"newest"}
    assert {listed.page.paginator.count for listed in pages} == {4}  # "more than 3"
    assert back[::-1] == [[p.number for p in listed.page.object_list] for listed in pages[:-1]]
    # A page number without a key, read by offset along the same keys.
    third = list_page(users[name], parse_filters({"q": TERM}), {"page": 3}, per_page=2)
    assert [p.number for p in third.page.object_list] == expected[4:6]


@pytest.mark.django_db
@pytest.mark.parametrize("slack", [100, 0])
def test_above_the_limit_with_a_filter(unit_matches, monkeypatch, slack):
    """With no room beyond the limit (`slack` 0) the index's first ids are mostly ones the filter
    removes: the count is then asked of the one statement, and still says "more than 2"."""
    users, made = unit_matches
    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 2)
    monkeypatch.setattr(selectors, "FOUND_SLACK", slack)
    visits = {made[5].pk, made[6].pk, made[7].pk}
    Petition.objects.filter(pk__in=visits).update(channel="visit")
    expected = newest_first(like_oracle(users["housing"], TERM) & visits)
    listed = list_page(users["housing"], parse_filters({"q": TERM, "channel": "visit"}), {}, per_page=5)
    assert (listed.order, listed.page.paginator.count) == ("newest", 3)
    assert [p.number for p in listed.page.object_list] == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("limit", "slack", "order", "count"),
    [
        (20, 100, "relevance", 8),  # every match: exact, the hidden one not counted
        (8, 0, "relevance", 8),  # the index hands over its whole limit (9 of the unit's 9
        # documents), the policy keeps 8: the count is asked of the one statement after all
        (7, 0, "newest", 8),  # "more than 7"
        (7, 100, "newest", 8),
    ],
)
def test_counts_are_exact_up_to_the_limit_and_never_count_hidden_petitions(
    unit_matches, monkeypatch, limit, slack, order, count
):
    users, _made = unit_matches
    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", limit)
    monkeypatch.setattr(selectors, "FOUND_SLACK", slack)
    expected = like_oracle(users["housing"], TERM)
    assert len(expected) == 8
    listed = list_page(users["housing"], parse_filters({"q": TERM}), {}, per_page=20)
    assert (listed.order, listed.page.paginator.count) == (order, count)
    if order == "relevance":
        assert {p.pk for p in listed.page.object_list} == expected


@pytest.mark.django_db
def test_one_and_two_character_terms_are_decided_by_the_index_alone(unit_matches, search_ids):
    """A term of one or two characters is not rechecked with LIKE (query.exact_by_keys): its
    characters present apart, in another order or in two fields must not match."""
    users, made = unit_matches
    clerk = Context(actor=users["clerk"])
    apart = register_petition(
        ctx=clerk, data=check_registration(registration(None, title="水漏了", content="漏 水"))
    )[0]
    for reader in ("clerk", "housing", "h2"):
        for term in (TERM, "漏", "水", "水漏", "共管", "%", "_"):
            assert search_ids(users[reader], term) == like_oracle(users[reader], term), (reader, term)
    assert apart.pk not in search_ids(users["clerk"], TERM)
    assert apart.pk in search_ids(users["clerk"], "水漏")
