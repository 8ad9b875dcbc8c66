"""The documents' copy of their petition's received_at (search migration 0008) and the
newest-first page of a searched list read along it (search.query.newest_keys).

The expectations come from the petitions' own rows: each document's time against its
petition's, and the pages against the LIKE oracle put in (received_at, id) order here."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import registration_data
from tests.search.conftest import TERM, like_oracle, newest_first
from xinfang.audit.services import Context
from xinfang.petitions import selectors
from xinfang.petitions.models import Petition
from xinfang.petitions.selectors import list_page, parse_filters
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition
from xinfang.search.models import SearchDocument

# Days before now each petition was received, in the order they are registered: the received
# order is not the order of the ids.
DAYS_AGO = (3, 9, 1, 5, 2)


@pytest.fixture
def backdated(demo_org):
    users, _units = demo_org
    ctx = Context(actor=users["clerk"])
    now = timezone.now()
    made = []
    for seed, days in enumerate(DAYS_AGO, start=1):
        data = registration_data(
            seed,
            received_at=(now - timedelta(days=days)).isoformat(),
            content=f"工厂{TERM}问题，第{seed}次。",
        )
        made.append(register_petition(ctx=ctx, data=check_registration(data))[0])
    return users, made


def _times_agree() -> bool:
    documents = dict(SearchDocument.objects.values_list("petition_id", "received_at"))
    return documents == dict(Petition.objects.values_list("pk", "received_at"))


def _correct_received(api, petition, when) -> None:
    response = api("clerk").patch(f"/api/v1/petitions/{petition.number}", {"received_at": when.isoformat()})
    assert response.status_code == 200, response.content


def _walk(user, q: str) -> list[str]:
    """The numbers met following the list's next links from the first page."""
    filters = parse_filters({"q": q})
    seen, params = [], {}
    for _ in range(20):
        listed = list_page(user, filters, params, per_page=2)
        assert listed.order == "newest"
        seen += [p.number for p in listed.page.object_list]
        if not listed.page.has_next:
            break
        params = {"page": listed.page.next_page_number(), "after": listed.page.next_cursor}
    return seen


@pytest.mark.django_db
def test_documents_carry_their_petitions_received_time(api, backdated):
    _users, made = backdated
    assert _times_agree()
    # A correction of the received time alone rewrites the document's in its transaction.
    _correct_received(api, made[1], timezone.now() - timedelta(hours=1))
    _correct_received(api, made[2], timezone.now() - timedelta(days=20))
    assert _times_agree()
    SearchDocument.objects.all().update(received_at=timezone.now() - timedelta(days=400))
    call_command("rebuild_search_index", stdout=io.StringIO())
    assert _times_agree()


@pytest.mark.django_db
def test_newest_first_pages_follow_the_received_order_after_corrections(api, backdated, monkeypatch):
    users, made = backdated
    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 3)
    _correct_received(api, made[1], timezone.now() - timedelta(hours=1))  # oldest becomes newest
    _correct_received(api, made[2], timezone.now() - timedelta(days=20))  # newest becomes oldest
    for name in ("clerk", "chair"):
        expected = newest_first(like_oracle(users[name], TERM))
        assert len(expected) == len(made)
        assert _walk(users[name], TERM) == expected


@pytest.mark.django_db
def test_an_office_wide_page_is_read_along_the_documents(backdated, monkeypatch):
    """PostgreSQL: the newest-first page's keys come from the documents in received order, not
    from a walk of the petitions probing each one's document."""
    if connection.vendor != "postgresql":
        pytest.skip("the documents' order is read on PostgreSQL (newest_keys)")
    users, _made = backdated
    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 3)
    with CaptureQueriesContext(connection) as queries:
        listed = list_page(users["clerk"], parse_filters({"q": TERM}), {}, per_page=2)
    assert listed.order == "newest"
    along = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "search_searchdocument"."received_at"')
        and 'FROM "search_searchdocument"' in q["sql"]
        and "strpos(" in q["sql"]
    ]
    assert len(along) == 1, [q["sql"] for q in queries.captured_queries]
