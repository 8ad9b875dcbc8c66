"""Pinned statements of one registration over the API (issue 9's aim: ≤ 15, see below), the
number taken after everything that does not need it, and the 201 answer rendered without
reading the petition back.

Counted as Django sees them inside the test's transaction: the registering
transaction is a SAVEPOINT/RELEASE pair here (BEGIN/COMMIT, uncounted, in
production), so a deployment issues two statements fewer than pinned, plus, on
PostgreSQL, the wait for the disk after the COMMIT (numbering.py), which a test
transaction never reaches (tests/concurrency/test_number_release.py pins it): one
fewer in all.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import generator, register
from xinfang.accounts.models import ApiToken
from xinfang.petitions.models import Petition

pytestmark = pytest.mark.django_db

# What the merge of issue 8 (the chain seals the rows it describes) and issue 10 (the search
# index is kept in the writing transaction) added to a registration, and where it runs now:
# the search document is written BEFORE the number under the provisional number and gets its
# number by one upsert afterwards; the sealed state is computed from the rows just written (no
# read-back, tests/audit/test_state_in_memory.py); the chain count is two statements.
# The parties' and the reception's text come from the rows just written (search/text.py
# registered_body), not read back. PostgreSQL writes the document, its MinHash bands and its
# shingle codes in one statement (search/index.py _index_registered); SQLite, which has no
# data-modifying WITH, one statement each.
MATTER_BANDS = ["matter bands", "matter shingles"] if connection.vendor == "sqlite" else []
SEARCH_INDEX = ["search: FTS5 INSERT"] if connection.vendor == "sqlite" else []
# PostgreSQL writes the number into the petition with the statement that takes it (numbering.py).
PETITION_NUMBER = ["petition number"] if connection.vendor == "sqlite" else []
# SQLite's FTS5 keys are derived in Python from the body (SQLite's transaction holds the write
# lock from its start, so nothing is gained there by keeping this short).
SEARCH_NUMBER_KEYS = (
    ["search: the old body (for FTS5's delete)", "search: FTS5 DELETE", "search: FTS5 INSERT"]
    if connection.vendor == "sqlite"
    else []
)
# PostgreSQL: two statements in the number's lock. The number's own also counts the new chain
# (audit/services.count_chain_step); the event's also writes its chain head, the count's seal and
# the search index's number (WITH items). SQLite has no data-modifying WITH: one statement each.
SEARCH_NUMBER = ["search number"] if connection.vendor == "sqlite" else []
CHAIN_HEAD = ["chain head"] if connection.vendor == "sqlite" else []
CHAIN_COUNT = (
    ["chain count: UPDATE … RETURNING (the lock)", "chain count: its seal"]
    if connection.vendor == "sqlite"
    else []
)
REACHABLE = [
    "reach: first responder sees it",
    "reach: the reviewing leaders, with their units and roles",
    "reach: that leader sees it",
]

# A letter by one person, no involved parties, nobody petitioned before:
PLAIN = [
    "token",  # the bearer token with its user, unit and roles (accounts/role_codes.py)
    "category",  # check_registration: the category by code
    "savepoint",  # the registering transaction opens
    "petition",  # INSERT the petition under a provisional number
    "petitioners",  # INSERT the petitioners (one statement for all)
    "repeats",  # SELECT earlier petitions by the same ID number or phone
    "deadlines",  # INSERT the clocks (policies and calendar come from the day's cache)
    *SEARCH_INDEX,  # SQLite's FTS5 keys (on PostgreSQL the grams go with the document)
    "search document",  # INSERT the search document (under the provisional number; an upsert)
    *MATTER_BANDS,  # INSERT the MinHash bands and the shingle codes for similar petitions
    "number",  # UPDATE … RETURNING the year's sequence: the lock starts here
    *PETITION_NUMBER,  # the petition's number (same statement as above on PostgreSQL)
    *SEARCH_NUMBER_KEYS,
    *SEARCH_NUMBER,  # the search document with its number: one upsert (grams computed in Python)
    "event",  # INSERT petition.registered (its state digest computed in memory)
    *CHAIN_HEAD,  # INSERT its chain head (a new chain: no read, no update_or_create)
    *CHAIN_COUNT,  # the sealed count of chains goes up by one
    "release",  # the transaction ends (COMMIT in production): the lock ends here, before
    # the disk's wait on PostgreSQL (one more statement after the COMMIT, not run in a test
    # transaction: numbering.py, tests/concurrency/test_number_release.py)
    "access log",  # the unmasked petitioners in the answer are logged (DESIGN.md §5)
]
# A visit about two departments and a named official, by people who came before:
RICH_EXTRA = [
    "involved units",  # check: the units exist
    "involved person's account",  # check: the named official's user account
    "INSERT involved units",
    "INSERT involved persons",
    *REACHABLE,  # services/reach.py: the involvements still leave the petition readable
    "INSERT reception record",
    # PostgreSQL inserts the repeat links with the look-up of the earlier petitions (one statement).
    *(["INSERT repeat links"] if connection.vendor == "sqlite" else []),
]


@pytest.fixture
def api(demo_org):
    users, _units = demo_org
    token, raw = ApiToken.issue(users["clerk"])
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _plain(gen):
    data = gen.registration()
    data.update(channel="letter", anonymous=False, involved_units=[], involved_persons=[])
    data.pop("superior", None)
    data.pop("reception", None)
    data["petitioners"] = data["petitioners"][:1] or gen.petitioners("letter")
    return data


def _rich(users, units, gen):
    person = gen._petitioner(gen.person(), True)
    earlier = _plain(gen)
    earlier["petitioners"] = [person]
    register(users["clerk"], earlier)
    data = gen.registration()
    data.update(
        channel="visit",
        anonymous=False,
        petitioners=[person, gen._petitioner(gen.person(), False)],
        involved_units=[units["HOUSING"].pk, units["LABOUR"].pk],
        involved_persons=[{"name": "赵敏", "unit": units["HOUSING"].pk, "user": "housing"}],
        reception={"notes": "两人来访。", "explained": "已解释。", "visitors": 2},
    )
    data.pop("superior", None)
    return data


def _post(api, data):
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/api/v1/petitions", data, format="json")
    assert response.status_code == 201, response.content
    return response, [q["sql"] for q in queries.captured_queries]


def test_plain_registration_statements(api, demo_org):
    gen = generator(41)
    _post(api, _plain(gen))  # warms the day's policy and calendar cache
    response, sql = _post(api, _plain(gen))
    assert len(sql) == len(PLAIN), "\n".join(s[:120] for s in sql)
    assert response.json()["number"] == Petition.objects.order_by("-id").first().number


def test_rich_registration_statements(api, demo_org):
    users, units = demo_org
    gen = generator(42)
    _post(api, _plain(gen))
    response, sql = _post(api, _rich(users, units, gen))
    assert len(sql) == len(PLAIN) + len(RICH_EXTRA), "\n".join(s[:120] for s in sql)
    body = response.json()
    assert len(body["flags"]["repeat_of"]) == 1
    assert body["involved_units"] == [units["HOUSING"].pk, units["LABOUR"].pk]
    assert body["reception"]["visitors"] == 2


def test_the_number_is_taken_last(api, demo_org):
    # Only the number, the search index's copy of it, the event, its chain head and the
    # count of chains may run while the year's sequence row is locked (issue 9: lock ≤ 3 ms).
    gen = generator(43)
    _post(api, _plain(gen))
    _response, sql = _post(api, _plain(gen))
    start = next(i for i, s in enumerate(sql) if 'UPDATE "petitions_numbersequence"' in s)
    end = next(i for i, s in enumerate(sql) if s.startswith("RELEASE SAVEPOINT"))
    # "UPDATE <table>" / "INSERT <table>" for each statement in the lock
    inside = [" ".join(q.replace(" INTO ", " ").split()[:2]) for q in sql[start + 1 : end]]
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        assert inside == [
            'UPDATE "petitions_petition"',
            # SQLite's FTS5 rows are written with executemany, which the capture names "1 times: …".
            "SELECT petition_id,",
            "1 times:",
            "1 times:",
            "INSERT search_searchdocument",
            'INSERT "audit_event"',
            'INSERT "audit_chainhead"',
            'UPDATE "audit_chaincount"',
            'UPDATE "audit_chaincount"',
        ]
        return
    # One statement takes the number, writes it into the petition and counts the new chain,
    # the number's row first (the count waits for it: the lock order every writer keeps). The
    # deferred foreign keys of the rows written so far are checked in the same message, before
    # it (numbering.py: not by the COMMIT, while the number is locked).
    checks, _taking = sql[start].split('WITH "n" AS (UPDATE "petitions_numbersequence"')
    assert checks == "SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED; "
    assert 'UPDATE "petitions_petition"' in sql[start]
    assert 'UPDATE "audit_chaincount" SET "count" = "count" + 1' in sql[start]
    assert 'EXISTS (SELECT 1 FROM "n")' in sql[start]
    # One more writes the search document's number, the chain head, the count's seal and the event.
    assert len(inside) == 1
    (written,) = sql[start + 1 : end]
    for part in (
        "UPDATE search_searchdocument",
        'INSERT INTO "audit_chainhead"',
        'UPDATE "audit_chaincount" SET "mac"',
        'INSERT INTO "audit_event"',
    ):
        assert part in written
    # Nothing before the lock reads or writes audit rows, and nothing in it reads petitions.
    assert not any("audit_" in s for s in sql[:start])
    assert not any('FROM "petitions_' in s for s in sql[start + 1 : end])


def test_the_idempotency_key_is_claimed_before_the_number(api, demo_org):
    # The key's row is written right after the petition's, outside the number's lock: a retry
    # racing the first request waits on the key's unique index, not in the number's queue, and
    # never takes a number (tests/concurrency/test_numbering.py races five of them).
    gen = generator(47)
    _post(api, _plain(gen))
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/api/v1/petitions", _plain(gen), format="json", HTTP_IDEMPOTENCY_KEY="k-47")
    assert response.status_code == 201, response.content
    sql = [q["sql"] for q in queries.captured_queries]
    # The two statements a key costs: the look-up of an earlier request, the claim.
    assert len(sql) == len(PLAIN) + 2, "\n".join(s[:120] for s in sql)
    claim = next(i for i, s in enumerate(sql) if s.startswith('INSERT INTO "petitions_idempotencykey"'))
    number = next(i for i, s in enumerate(sql) if 'UPDATE "petitions_numbersequence"' in s)
    petition = next(i for i, s in enumerate(sql) if s.startswith('INSERT INTO "petitions_petition"'))
    assert petition < claim < number


def test_the_search_document_carries_the_number(api, demo_org):
    # Indexed under the provisional number, then given the real one: the number is found,
    # the provisional one never stays behind.
    from xinfang.search.models import SearchDocument

    gen = generator(46)
    response, _sql = _post(api, _plain(gen))
    number = response.json()["number"]
    body = SearchDocument.objects.get(petition__number=number).body
    assert body.startswith(number.casefold() + "\n")
    assert "~" not in body.split("\n")[0]
    listed = api.get("/api/v1/petitions", {"q": number})
    assert [p["number"] for p in listed.json()["results"]] == [number]


def test_the_answer_equals_a_read_back(api, demo_org):
    # The 201 is built from memory; it must say exactly what GET says afterwards
    # (only allowed-to-differ: nothing).
    users, units = demo_org
    gen = generator(44)
    _post(api, _plain(gen))
    created, _sql = _post(api, _rich(users, units, gen))
    read = api.get(created.headers["Location"])
    assert read.status_code == 200
    assert created.json() == read.json()


def test_the_provisional_number_fits_and_is_never_a_number():
    # It lives only inside the registering transaction, but must fit the column
    # (PostgreSQL enforces the length) and never look like PREFIX-YEAR-NNNNNN.
    import re

    from xinfang.petitions.numbering import provisional_number

    numbers = {provisional_number() for _ in range(100)}
    assert len(numbers) == 100
    limit = Petition._meta.get_field("number").max_length
    assert all(len(n) <= limit and not re.match(r"^[A-Z]+-\d{4}-\d{6}$", n) for n in numbers)


def test_the_returned_petition_s_relations_stay_its_own(demo_org):
    # The service hands back the petition with its relations filled from memory; a
    # later .filter() on one of them must still be limited to this petition.
    users, _units = demo_org
    gen = generator(45)
    first = register(users["clerk"], _plain(gen))
    second = register(users["clerk"], _plain(gen))
    assert [d.petition_id for d in second.deadlines.filter(name="handling")] == [second.pk]
    assert second.petitioners.count() == 1 and first.petitioners.count() == 1
    assert list(second.deadlines.all()) == list(second.deadlines.order_by("due_at"))
