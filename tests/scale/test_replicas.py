"""Reads that may lag go to the replica; everything else, and the writer's own reads until the
replica has replayed their write, stays on the primary (core/replicas.py, docs/scaling.md).

The "replica" alias is a second connection to the test database (TEST MIRROR): which connection
ran a query is what these tests observe, with Django's query capture on each connection. The
tests are transactional because every test otherwise runs inside a transaction, where the
router rightly keeps everything on the primary.
"""

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections, router, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import body
from xinfang.accounts.models import ApiToken, UserSession
from xinfang.audit.models import AccessLog
from xinfang.core import replicas
from xinfang.core.replicas import reads_may_lag
from xinfang.petitions.models import Deadline, Petition

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

PETITION_TABLE = '"petitions_petition"'
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="WAL positions exist on PostgreSQL only"
)


@pytest.fixture
def replica(settings):
    settings.READ_REPLICA = "replica"
    replicas._down_until = 0.0
    yield
    replicas._down_until = 0.0


@pytest.fixture
def signed_in(demo_org):
    users, _units = demo_org

    def make(username):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(users[username])
        return client

    return make


@pytest.fixture
def bearer(demo_org):
    users, _units = demo_org

    def make(username):
        _token, raw = ApiToken.issue(users[username])
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")

    return make


def _petition_reads(captured) -> int:
    return sum(1 for q in captured.captured_queries if PETITION_TABLE in q["sql"] and "SELECT" in q["sql"])


def _served(request):
    """Runs request() and returns (response, petition reads on the primary, on the replica)."""
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        response = request()
        if response.streaming:
            response.content_bytes = b"".join(response.streaming_content)
    return response, _petition_reads(primary), _petition_reads(replica)


def _wal_position() -> int:
    """The primary's WAL position, read independently of the code under test."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
        return int(cursor.fetchone()[0])


def test_without_a_replica_nothing_is_routed(settings, demo_org, register, signed_in):
    settings.READ_REPLICA = None
    users, _units = demo_org
    register()
    with reads_may_lag(users["clerk"]) as alias:
        assert alias == DEFAULT_DB_ALIAS
        assert Petition.objects.all().db == DEFAULT_DB_ALIAS
    response, on_primary, on_replica = _served(lambda: signed_in("clerk").get("/petitions/"))
    assert response.status_code == 200
    assert (on_primary > 0, on_replica) == (True, 0)


def test_the_routers_decisions(replica, demo_org):
    users, _units = demo_org
    clerk = users["clerk"]
    # (what is read or written, inside a marked read?, inside a transaction?) -> database
    matrix = [
        (lambda: Petition.objects.all().db, False, False, "default"),
        (lambda: Petition.objects.all().db, True, False, "replica"),
        (lambda: Deadline.objects.all().db, True, False, "replica"),
        (lambda: Petition.objects.all().db, True, True, "default"),
        (lambda: Petition.objects.select_for_update().db, True, False, "default"),
        (lambda: router.db_for_write(Petition), True, False, "default"),
        (lambda: router.db_for_write(AccessLog), True, False, "default"),
        (lambda: UserSession.objects.all().db, True, False, "default"),
    ]
    for n, (which, marked, atomic, expected) in enumerate(matrix):
        with reads_may_lag(clerk) if marked else _nothing(), transaction.atomic() if atomic else _nothing():
            assert which() == expected, n
    assert router.allow_migrate("default", "petitions") is True
    assert router.allow_migrate("replica", "petitions") is False
    # A marked read that starts inside an action is the action's: the primary.
    with transaction.atomic(), reads_may_lag(clerk) as alias:
        assert alias == DEFAULT_DB_ALIAS


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_lists_search_statistics_and_exports_are_read_on_the_replica(replica, register, signed_in, bearer):
    petition = register(title="Streetlight broken on Chaoyang Road")
    web, api = signed_in("clerk"), bearer("clerk")
    requests = {
        "list page": lambda: web.get("/petitions/"),
        "list search": lambda: web.get("/petitions/", {"q": "Streetlight"}),
        "API list": lambda: api.get("/api/v1/petitions"),
        "statistics page": lambda: web.get("/statistics/"),
        "statistics API": lambda: api.get("/api/v1/statistics"),
        "CSV ledger (streamed)": lambda: web.get("/ledger/export/", {"format": "csv"}),
        "xlsx ledger": lambda: api.get("/api/v1/petitions/export", {"format": "xlsx"}),
    }
    for name, request in requests.items():
        response, on_primary, on_replica = _served(request)
        assert response.status_code == 200, name
        assert on_replica > 0, name
        assert on_primary == 0, name
    response, _p, _r = _served(requests["list page"])
    assert petition.number in response.content.decode()


def test_actions_and_the_petition_page_stay_on_the_primary(replica, register, signed_in, bearer):
    petition = register()
    response, on_primary, on_replica = _served(
        lambda: signed_in("clerk").get(f"/petitions/{petition.number}/")
    )
    assert response.status_code == 200 and on_primary > 0 and on_replica == 0
    response, on_primary, on_replica = _served(
        lambda: bearer("clerk").post("/api/v1/petitions", body(), content_type="application/json")
    )
    assert response.status_code == 201 and on_replica == 0


@postgresql_only
def test_the_writer_reads_on_the_primary_until_the_replica_has_their_write(
    replica, demo_org, register, signed_in, bearer
):
    users, _units = demo_org
    register()
    api = bearer("clerk")
    before = _wal_position()
    created = api.post("/api/v1/petitions", body(title="New this minute"), content_type="application/json")
    after = _wal_position()
    assert created.status_code == 201
    wrote_at = cache.get(replicas._marker_key(users["clerk"].pk))
    assert before <= wrote_at <= after, "the marker is the primary's position after the write"

    # This replica (a mirror) has everything the primary wrote: the writer may use it.
    assert replicas.choose(users["clerk"]) == "replica"

    # A write the replica has not replayed yet (a position past the server's own):
    cache.set(replicas._marker_key(users["clerk"].pk), after + 2**32, 60)
    response, on_primary, on_replica = _served(lambda: api.get("/api/v1/petitions"))
    assert response.status_code == 200
    assert (on_primary > 0, on_replica) == (True, 0)
    assert "New this minute" in response.content.decode()
    # Someone who has not written meanwhile is served by the replica.
    _response, on_primary, on_replica = _served(lambda: bearer("clerk2").get("/api/v1/petitions"))
    assert (on_primary, on_replica > 0) == (0, True)


def test_a_signed_in_write_over_the_web_marks_the_user(replica, demo_org, signed_in):
    users, _units = demo_org
    web = signed_in("clerk")
    web.post("/petitions/new/", {"title": ""})  # refused or not, it may have written
    marker = cache.get(replicas._marker_key(users["clerk"].pk))
    if connection.vendor == "postgresql":
        assert marker is not None and marker <= _wal_position()
    else:  # no WAL positions: nothing to compare, and the mirror is the same file
        assert marker is None
    assert cache.get(replicas._marker_key(users["clerk2"].pk)) is None


@postgresql_only
def test_an_unreachable_replica_leaves_the_reads_on_the_primary(replica, demo_org, register, signed_in):
    register()
    settings_dict = connections["replica"].settings_dict
    port = settings_dict.get("PORT")
    connections["replica"].close()
    settings_dict["PORT"] = "1"  # nothing listens there: the connection is refused
    try:
        # (Capturing the replica's queries would connect to it: only the primary is watched.)
        with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
            response = signed_in("clerk").get("/petitions/")
        assert response.status_code == 200
        assert _petition_reads(primary) > 0
        assert replicas.choose(demo_org[0]["clerk2"]) == DEFAULT_DB_ALIAS, "not retried at once"
    finally:
        connections["replica"].close()
        settings_dict["PORT"] = port
