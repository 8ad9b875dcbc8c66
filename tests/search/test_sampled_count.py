"""The capped count proven from a sample of the index (search.query.more_than, docs/search.md
"The count's sample"): an office-wide reader's unfiltered search of a one-key term. Whatever
the sample holds, the list's count, order and pages are the LIKE oracle's; the sampling setting
applies to its one statement only. Expectations come from the oracle, the (received_at, id)
order written out here and PostgreSQL's own current_setting, not from the code under test."""

import pytest
from django.db import connection
from django.db.models import CharField
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from tests.factories import registration_data
from tests.search.conftest import TERM, like_oracle, newest_first
from xinfang.audit.services import Context
from xinfang.petitions import selectors
from xinfang.petitions.models import Petition
from xinfang.petitions.selectors import list_page, parse_filters
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition
from xinfang.search import query

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="a GIN index's sample")

HIDDEN = "燚"  # a character found only in petitions hidden from clerk2 (Rule 4.3)


def _analyzed() -> None:
    """The planner's statistics of the documents' keys, which decide whether a key is sampled."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE search_searchdocument")


def _walk(user, q: str, **filters) -> tuple[list[str], set[str], set[int]]:
    """Follow the list's next links: the numbers seen, the orders used, the counts shown."""
    seen, orders, counts, params = [], set(), set(), {}
    for _ in range(20):
        listed = list_page(user, parse_filters({"q": q, **filters}), params, per_page=2)
        seen += [p.number for p in listed.page.object_list]
        orders.add(listed.order)
        counts.add(listed.page.paginator.count)
        if not listed.page.has_next:
            break
        params = {"page": listed.page.next_page_number(), "after": listed.page.next_cursor}
    return seen, orders, counts


@pytest.fixture
def hidden(six):
    """Three petitions holding HIDDEN, each naming clerk2 as an involved person."""
    users, made = six
    ctx = Context(actor=users["clerk"])
    for seed in (31, 32, 33):
        data = registration_data(seed, involved_persons=[{"name": "周某", "user": "clerk2"}])
        data["title"] = f"{HIDDEN}厂噪声"
        register_petition(ctx=ctx, data=check_registration(data))
    return users, made


@pytest.mark.django_db
@pytest.mark.parametrize("entries", [1, 2, 4_000])
def test_a_one_character_term_on_the_walked_path_is_the_oracle_s(hidden, monkeypatch, entries):
    """A 1- and a 2-character term above the rank limit, for two office-wide readers, with a
    sample that keeps nearly nothing (the exact count follows) or everything (the proof)."""
    users, _made = hidden
    _analyzed()
    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 2)
    monkeypatch.setattr(query, "SAMPLE_ENTRIES", entries)
    for term in (TERM[:1], TERM):
        for name in ("clerk", "chair"):
            expected = newest_first(like_oracle(users[name], term))
            assert len(expected) == 5
            seen, orders, counts = _walk(users[name], term)
            assert seen == expected  # each match once, newest first
            assert orders == {"newest"} and counts == {3}  # "more than 2"


@pytest.mark.django_db
@pytest.mark.parametrize("entries", [1, 4_000])
def test_a_term_found_only_in_hidden_petitions_is_neither_shown_nor_counted(hidden, monkeypatch, entries):
    users, _made = hidden
    _analyzed()
    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 1)
    monkeypatch.setattr(query, "SAMPLE_ENTRIES", entries)
    assert like_oracle(users["clerk2"], HIDDEN) == set()
    seen, orders, counts = _walk(users["clerk2"], HIDDEN)
    assert seen == [] and counts == {0} and orders == {"relevance"}
    # The clerk sees the three: more than the limit, newest first.
    seen, orders, counts = _walk(users["clerk"], HIDDEN)
    assert seen == newest_first(like_oracle(users["clerk"], HIDDEN)) and len(seen) == 3
    assert orders == {"newest"} and counts == {2}


@pytest.mark.django_db
def test_a_sample_s_ids_are_visible_matches_and_prove_only_more_than(hidden, monkeypatch):
    """Whatever is answered is the exact capped count or more than the limit of the oracle's
    matches; nothing where no sample is taken (SQLite, several keys, a phone)."""
    users, _made = hidden
    clerk = users["clerk"]
    expected = like_oracle(clerk, TERM)
    qs = selectors.petition_list(clerk, parse_filters({"q": TERM}))
    ids = qs.order_by().values_list("pk", flat=True)[:4]
    # The exact capped count, from the oracle. Not the ids of one evaluation of `ids`: an
    # unordered LIMIT may answer any 4 of the 5 matches, and which ones follows the plan (the
    # statistics taken below, the work_mem more_than sets), so two evaluations may differ.
    capped = min(len(expected), 4)
    for analyzed in (False, True):
        if analyzed:
            _analyzed()
        for entries in (1, 2, 3, 4_000):
            monkeypatch.setattr(query, "SAMPLE_ENTRIES", entries)
            for limit in (1, 3, 5):
                found = query.more_than(ids, TERM, limit)
                if connection.vendor != "postgresql":
                    assert found is None  # no sample: the count is read as before
                elif found is not None:
                    assert set(found) <= expected and len(found) == len(set(found))
                    assert len(found) > limit or len(found) == capped
    # A key the statistics do not expect in SAMPLE_ENTRIES documents: read exactly, once.
    monkeypatch.setattr(query, "SAMPLE_ENTRIES", 4_000)
    if connection.vendor == "postgresql":
        found = query.more_than(ids, TERM, 5)
        assert set(found) <= expected and len(set(found)) == len(found) == capped
    # Not sampled: several keys (a longer term, two terms).
    assert query.more_than(ids, TERM + "问题", 1) is None
    assert query.more_than(ids, f"{TERM} 工厂", 1) is None


def _statement_setting():
    """A capped values_list whose value is the sample size the statement itself runs with."""
    seen = RawSQL("current_setting('gin_fuzzy_search_limit')", (), output_field=CharField())
    return Petition.objects.annotate(seen=seen).values_list("seen", flat=True)[:2]


@postgresql_only
@pytest.mark.django_db
def test_the_sample_applies_to_its_statement_only(six, monkeypatch):
    _analyzed()
    monkeypatch.setattr(query, "SAMPLE_ENTRIES", 2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('gin_fuzzy_search_limit')")
        before = cursor.fetchone()[0]
    with CaptureQueriesContext(connection) as sent:
        assert query.more_than(_statement_setting(), TERM, 1) == ["2", "2"]
    assert len(sent) == 1  # one message: no statement more in the query counts
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('gin_fuzzy_search_limit')")
        assert cursor.fetchone()[0] == before
    # The statistics expect the key in 5 documents: with a threshold above, no sample.
    monkeypatch.setattr(query, "SAMPLE_ENTRIES", 100)
    assert query.more_than(_statement_setting(), TERM, 1) == ["0", "0"]
    # A key the statistics do not list at all (not analysed since): no sample.
    monkeypatch.setattr(query, "SAMPLE_ENTRIES", 1)
    assert query.more_than(_statement_setting(), "龘", 1) == ["0", "0"]


@postgresql_only
@pytest.mark.django_db
def test_only_an_office_wide_unfiltered_search_of_a_common_key_is_sampled(hidden, monkeypatch):
    users, _made = hidden
    _analyzed()
    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 2)

    def statements(user, entries: int, **filters) -> list[str]:
        monkeypatch.setattr(query, "SAMPLE_ENTRIES", entries)
        return _sql(user, **filters)

    # Asked in the count's own message, whether the key is sampled (2) or not (100).
    common, rare = statements(users["clerk"], 2), statements(users["clerk"], 100)
    assert any("gin_fuzzy_search_limit" in sql for sql in common)
    assert len(common) == len(rare)  # no statement more either way
    assert any("gin_fuzzy_search_limit" in sql for sql in statements(users["chair"], 2))
    assert not any("gin_fuzzy" in sql for sql in statements(users["clerk"], 2, status="registered"))
    assert not any("gin_fuzzy" in sql for sql in statements(users["housing"], 2))


def _sql(user, **filters) -> list[str]:
    with CaptureQueriesContext(connection) as statements:
        list_page(user, parse_filters({"q": TERM, **filters}), {}, per_page=2)
    return [q["sql"] for q in statements]
