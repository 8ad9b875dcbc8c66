"""A handling officer's count in one statement (search.query.visible_ids, docs/search.md "A
handling officer's count"): the documents of their units holding the terms, each tested against
the reader's visible, filtered list as the index probe meets it. Expectations come from the LIKE
oracle through visible_to (tests/search/conftest.py), written independently of the search code:
every id is a visible match, none is hidden by Rule 4.3, and fewer ids than the limit are all of
them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.search.conftest import like_oracle
from tests.search.test_handler_search import TERM, unit_matches  # noqa: F401 (the fixture)
from xinfang.petitions import selectors
from xinfang.petitions.models import Petition
from xinfang.petitions.selectors import list_page, parse_filters
from xinfang.search import query

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="units are kept on PostgreSQL")

# 1- and 2-character terms (decided by the index alone), a longer one (LIKE rechecked), two
# terms, a term found in one hidden petition and in visible ones, and one found in none.
TERMS = [TERM, TERM[:1], f"{TERM}回避", f"{TERM}共管", f"{TERM} 共管", "回避", "第3件", "漏 同", "无此词"]


def _listed(user, **filters):
    return selectors._filtered(user, parse_filters({"q": "x", **filters}))


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("name", ["housing", "h2"])
def test_every_id_is_a_visible_match_and_fewer_than_the_limit_are_all(unit_matches, name):  # noqa: F811
    users, _made = unit_matches
    user = users[name]
    units = Petition.objects.handler_unit_ids(user)
    for q in TERMS:
        expected = like_oracle(user, q.split()[0]) & like_oracle(user, q.split()[-1])
        for limit in (1, 2, 3, len(expected), len(expected) + 1, 50):
            if limit == 0:
                continue
            found = query.visible_ids(q, limit=limit, units=units, among=_listed(user))
            assert len(found) == len(set(found)) == min(limit, len(expected)), (q, limit)
            assert set(found) <= expected, (q, limit)


@postgresql_only
@pytest.mark.django_db
def test_the_petition_hidden_by_rule_4_3_is_never_an_id(unit_matches):  # noqa: F811
    users, made = unit_matches
    hidden = made[8].pk  # names the bureau's officer as involved
    units = Petition.objects.handler_unit_ids(users["housing"])
    assert hidden not in like_oracle(users["housing"], "回避")
    assert hidden in like_oracle(users["h2"], "回避")  # the section's officer sees it
    for q in ("回避", f"{TERM}回避", TERM):
        assert hidden not in query.visible_ids(q, limit=50, units=units, among=_listed(users["housing"]))
    assert query.visible_ids("回避", limit=50, units=units, among=_listed(users["housing"])) == []


@postgresql_only
@pytest.mark.django_db
def test_the_list_s_filters_decide_too(unit_matches):  # noqa: F811
    users, made = unit_matches
    visits = {made[5].pk, made[6].pk, made[8].pk, made[11].pk}  # the last without TERM
    Petition.objects.filter(pk__in=visits).update(channel="visit")
    user = users["housing"]
    units = Petition.objects.handler_unit_ids(user)
    found = query.visible_ids(TERM, limit=50, units=units, among=_listed(user, channel="visit"))
    assert set(found) == like_oracle(user, TERM) & visits == {made[5].pk, made[6].pk}


@pytest.mark.django_db
def test_a_phone_or_sqlite_is_left_to_matching_ids(unit_matches):  # noqa: F811
    users, _made = unit_matches
    user = users["housing"]
    units = Petition.objects.handler_unit_ids(user)
    assert query.visible_ids("13800138000", limit=5, units=units, among=_listed(user)) is None
    if connection.vendor != "postgresql":
        assert query.visible_ids(TERM, limit=5, units=units, among=_listed(user)) is None
    assert query.visible_ids(TERM, limit=5, units=None, among=_listed(users["clerk"])) is None


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("limit", [3, 20])
def test_the_count_is_one_statement(unit_matches, monkeypatch, limit):  # noqa: F811
    """Both orders (more than the limit, and ranked): the unit's documents are probed once, and
    no list of ids is sent back to be checked by visible_to in a statement of its own."""
    users, _made = unit_matches
    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", limit)
    with CaptureQueriesContext(connection) as sent:
        listed = list_page(users["housing"], parse_filters({"q": TERM}), {}, per_page=2)
    assert listed.order == ("newest" if limit == 3 else "relevance")
    assert listed.page.paginator.count == (4 if limit == 3 else 8)
    probes = [q["sql"] for q in sent if "units &&" in q["sql"]]
    assert len(probes) == 1
    assert "petitions_involvedperson" in probes[0] and "petitions_assignment" in probes[0]
