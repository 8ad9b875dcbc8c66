"""The capped count of a searched list read with more memory for the index probe's bitmap
(search.query.read_ids, docs/search.md "The count's bitmap"): the same ids as the plain read,
the larger work_mem applies to that one statement and to no later one, and it costs no
statement more. Expectations come from the LIKE oracle and from PostgreSQL's own
current_setting, not from the code under test."""

import pytest
from django.db import connection
from django.db.models import CharField
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from tests.search.conftest import TERM, like_oracle
from xinfang.petitions import selectors
from xinfang.petitions.models import Petition
from xinfang.petitions.selectors import list_page, parse_filters
from xinfang.search import query

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="work_mem is PostgreSQL's")


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('work_mem')")
        return cursor.fetchone()[0]


def _statement_setting():
    """A capped values_list whose value is the work_mem the statement itself runs with."""
    seen = RawSQL("current_setting('work_mem')", (), output_field=CharField())
    return Petition.objects.annotate(seen=seen).values_list("seen", flat=True)[:1]


@pytest.mark.django_db
def test_the_count_reads_the_oracle_s_ids(six, monkeypatch):
    """Above and below the rank limit the list's count and ids are the oracle's, for two
    office-wide readers (their count is the statement read_ids reads)."""
    users, _made = six
    for name in ("clerk", "chair"):
        expected = like_oracle(users[name], TERM)
        assert len(expected) == 5
        monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 3)
        above = list_page(users[name], parse_filters({"q": TERM}), {}, per_page=10)
        assert above.page.paginator.count == 4 and above.order == "newest"  # the limit + 1
        monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 10)
        below = list_page(users[name], parse_filters({"q": TERM}), {}, per_page=10)
        assert below.page.paginator.count == 5 and below.order == "relevance"
        assert {p.pk for p in below.page.object_list} == expected


@pytest.mark.django_db
def test_read_ids_is_the_plain_read(six):
    users, _made = six
    ids = Petition.objects.visible_to(users["clerk"]).order_by("-pk").values_list("pk", flat=True)[:3]
    assert query.read_ids(ids) == list(ids) and len(list(ids)) == 3


@postgresql_only
@pytest.mark.django_db
def test_the_memory_applies_to_the_statement_only_inside_a_transaction(six):
    before = _setting()
    assert before != query.PROBE_WORK_MEM
    with CaptureQueriesContext(connection) as sent:
        assert query.read_ids(_statement_setting()) == [query.PROBE_WORK_MEM]
    assert len(sent) == 1  # one message: no statement more in the query counts
    assert _setting() == before  # the test's transaction continues with its own setting


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_memory_applies_to_the_statement_only_in_autocommit(six):
    before = _setting()
    assert query.read_ids(_statement_setting()) == [query.PROBE_WORK_MEM]
    assert _setting() == before


@postgresql_only
@pytest.mark.django_db
def test_without_several_statements_per_message_the_setting_is_sent_alone(six, monkeypatch):
    monkeypatch.setattr(query, "several_statements", lambda cursor: False)
    before = _setting()
    assert query.read_ids(_statement_setting()) == [query.PROBE_WORK_MEM]
    assert _setting() == before
    users, _made = six
    ids = Petition.objects.visible_to(users["clerk"]).order_by("-pk").values_list("pk", flat=True)[:3]
    assert query.read_ids(ids) == list(ids)


@postgresql_only
@pytest.mark.django_db
def test_an_office_wide_count_tests_a_short_term_by_like_before_the_grams(six):
    """The order the walk plan tests them in (search.query._like_first): LIKE, then the gram
    array. The rows are the oracle's either way; a handling officer's probe is left as it was."""
    users, _made = six
    short = TERM[:2]
    with CaptureQueriesContext(connection) as sent:
        listed = list_page(users["clerk"], parse_filters({"q": short}), {}, per_page=10)
    assert {p.pk for p in listed.page.object_list} == like_oracle(users["clerk"], short)
    count = next(q["sql"] for q in sent if "grams @>" in q["sql"])
    assert "LIKE" in count and count.index("LIKE") < count.index("grams @>")
