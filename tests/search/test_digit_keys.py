"""Digit trigrams (issue 10, "part of a number"): a term's runs of three or more ASCII digits are
asked by their trigrams, which every document holding the term holds too. Recall against the
LIKE oracle for digit-heavy terms; the candidates of a digit term are the documents holding its
digit trigrams, not the many holding its digit pairs; migration search/0009 and
`rebuild_search_index` leave exactly the keys registration writes."""

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import registration_data
from tests.search.conftest import like_oracle
from xinfang.audit.services import Context
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition
from xinfang.search import index
from xinfang.search.models import SearchDocument
from xinfang.search.query import index_candidates

MIGRATION = importlib.import_module("xinfang.search.migrations.0009_digit_trigram_keys")

# A term every one of whose digit pairs is in every SHARED_PAIRS document, while none of them
# holds three of its digits in a row; three documents hold the term itself.
TERM = "040209"
SHARED_PAIRS = "费用04元、40元、02元、20元、09元，共计〇次"

DIGIT_TEXTS = (
    f"编号A{TERM}的收据",
    f"合同0402与0209两份，发票{TERM[:4]}-{TERM[2:]}",  # every trigram of TERM, never TERM itself
    f"第{TERM}号，２０２６年，٣٣٣",
    "欠薪１２３４５元（全角），12345元（半角），1234元",
    f"电话尾号{TERM}9，楼号04-02-09",
)


@pytest.fixture
def digits(demo_org):
    """Petitions with digit pairs but no digit trigram of TERM, TERM itself, its trigrams
    apart, fullwidth and Arabic-Indic digits, amounts and dates."""
    users, _units = demo_org
    clerk = Context(actor=users["clerk"])
    made = []
    texts = [SHARED_PAIRS] * 8 + list(DIGIT_TEXTS)
    for seed, text in enumerate(texts, start=1):
        data = registration_data(seed, content=text, title=f"事项{seed:02d}")
        made.append(register_petition(ctx=clerk, data=check_registration(data))[0])
    return users, made


def _bodies() -> dict[int, str]:
    return dict(SearchDocument.objects.values_list("petition_id", "body"))


@pytest.mark.django_db
def test_digit_terms_against_the_like_oracle(digits, search_ids):
    """Hypothesis: terms over digits (ASCII, fullwidth, Arabic-Indic) and a few separators, and
    substrings of the documents, one or two ANDed: exactly the oracle's petitions."""
    users, _made = digits
    bodies = [b for b in _bodies().values() if any(c.isdigit() for c in b)]

    @st.composite
    def pieces(draw):
        body = draw(st.sampled_from(bodies))
        start = draw(st.integers(0, len(body) - 1))
        return body[start : start + draw(st.integers(1, 9))]

    term = st.one_of(st.text(alphabet="0123456789-０２٣号x", min_size=1, max_size=8), pieces()).filter(
        lambda t: t.strip() and not any(c.isspace() or c == '"' for c in t)
    )

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(terms=st.lists(term, min_size=1, max_size=2), reader=st.sampled_from(["clerk", "housing"]))
    def check(terms, reader):
        user = users[reader]
        expected = set.intersection(*(like_oracle(user, t) for t in terms))
        assert search_ids(user, " ".join(terms)) == expected

    check()
    for fixed in (TERM, TERM[:3], TERM[1:4], "12345", "1234", "２０２６", "٣٣٣", "04-02-09", TERM + "9"):
        assert search_ids(users["clerk"], fixed) == like_oracle(users["clerk"], fixed), fixed


@pytest.mark.django_db
def test_a_digit_terms_candidates_are_the_holders_of_its_digit_trigrams(digits, search_ids):
    """The index probe of an all-digit term yields the documents holding every three digits of
    it in a row (decided here from the stored texts), not the many holding every pair of it."""
    users, _made = digits
    bodies = _bodies()

    def holders(width: int, term: str) -> set[int]:
        parts = [term[i : i + width] for i in range(len(term) - width + 1)]
        return {pk for pk, body in bodies.items() if all(part in body for part in parts)}

    pairs, triples = holders(2, TERM), holders(3, TERM)
    matches = like_oracle(users["clerk"], TERM)
    assert len(matches) == 3 and matches < triples  # the term itself; its trigrams apart
    assert len(pairs) >= len(triples) + 8  # the SHARED_PAIRS documents
    assert set(index_candidates(TERM)) == triples
    assert search_ids(users["clerk"], TERM) == matches
    # A term mixing digits and other characters: its digit runs by trigrams, the rest by pairs.
    for term in ("号" + TERM, TERM + "号", "a" + TERM[:3], "-02-09"):
        candidates = set(index_candidates(term))
        assert like_oracle(users["clerk"], term) <= candidates <= holders(2, term), term
        runs = [run for run in _digit_runs(term) if len(run) >= 3]
        assert all(candidates <= holders(3, run) for run in runs), term


def _digit_runs(term: str) -> list[str]:
    runs, current = [], ""
    for c in term:
        if c in "0123456789":
            current += c
        else:
            runs, current = runs + [current], ""
    return [r for r in [*runs, current] if r]


def _stored_keys() -> dict[int, set[str]]:
    """Every document's keys as the index holds them: the grams on PostgreSQL; on SQLite the
    FTS5 table's (row, word) pairs, read through an fts5vocab table (a contentless table keeps
    no text)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT petition_id, grams FROM search_searchdocument")
            return {pk: set(grams) for pk, grams in cursor.fetchall()}
        cursor.execute(
            "CREATE VIRTUAL TABLE temp.search_fts_words USING fts5vocab(main, search_fts, 'instance')"
        )
        try:
            cursor.execute("SELECT doc, term FROM temp.search_fts_words")
            keys: dict[int, set[str]] = {}
            for pk, word in cursor.fetchall():
                keys.setdefault(pk, set()).add(word)
            return keys
        finally:
            cursor.execute("DROP TABLE temp.search_fts_words")


def _is_trigram(key: str) -> bool:
    # A PostgreSQL gram of three characters, or SQLite's word for one ("t…", text.token).
    return len(key) == 3 if connection.vendor == "postgresql" else key.startswith("t")


@pytest.mark.django_db
def test_the_migration_and_the_rebuild_write_the_keys_registration_writes(digits):
    """Registration's keys (on PostgreSQL through the number's swap, on_numbered) hold the
    number's digit trigrams; migration 0009 backward leaves exactly the keys without trigrams
    (those before it), forward exactly registration's again, and so does the rebuild."""
    _users, made = digits
    fresh = _stored_keys()
    assert set(fresh) == {p.pk for p in made}
    for petition in made:
        serial = petition.number[-6:]
        trigrams = {serial[i : i + 3] for i in range(4)}
        if connection.vendor == "sqlite":
            trigrams = {"t" + "x".join(f"{ord(c):x}" for c in t) for t in trigrams}
        assert trigrams <= fresh[petition.pk], petition.number
    editor = SimpleNamespace(connection=connection)
    MIGRATION.backward(None, editor)
    assert _stored_keys() == {pk: {k for k in keys if not _is_trigram(k)} for pk, keys in fresh.items()}
    MIGRATION.forward(None, editor)
    assert _stored_keys() == fresh
    index.rebuild()
    assert _stored_keys() == fresh
    # The GIN index is back and answers.
    assert set(index_candidates(TERM)) == {
        pk for pk, body in _bodies().items() if all(TERM[i : i + 3] in body for i in range(4))
    }
