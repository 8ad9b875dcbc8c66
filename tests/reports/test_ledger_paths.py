"""The ledger's readers must agree. On PostgreSQL the statement's rows are streamed as the server
computes them (ledger._stream); before, Django's server-side cursor read the same statement
(QuerySet.iterator), and SQLite reads the list in chunks with each chunk's related rows
(ledger._records_chunked). Over random petitions (petitioners with and without personal data,
live and withdrawn handling units, involved units that hide a petition from the office or from
a unit's handlers, clocks, replies, superiors' fields, text a spreadsheet would run as a formula,
control characters and a literal _xHHHH_), for each persona, all three give the same cells, the
same CSV bytes and the same workbook, part by part. Chunks of 7 rows, so that every reader
crosses chunk boundaries."""

import io
import random
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.models.expressions import RawSQL
from psycopg.pq import TransactionStatus

from xinfang.petitions.models import Petition, Petitioner
from xinfang.petitions.selectors import parse_filters
from xinfang.petitions.workflow_models import Reply
from xinfang.reports import ledger
from xinfang.reports.models import ExportStatus, LedgerExport

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the streamed reader is PostgreSQL's"
)

PERSONAS = ("clerk", "secgen", "housing", "labour", "admin")
TEXTS = (
    "普通标题",
    "=1+1",
    "+86 电话",
    "-负数",
    "@SUM(A1)",
    "\t制表",
    "a<b & c>d",
    "含\x01控制符",
    "_x0041_ 字面",
    "",
)


def _people(rng: random.Random, petition: Petition) -> list[Petitioner]:
    return [
        Petitioner(
            petition=petition,
            position=position,
            name=rng.choice(["甲", "乙", "丙", "=丁"]),
            id_number=rng.choice(["", "11010519491231002X", "1234567"]),
            phone=rng.choice(["", "13912345678", "02812345678"]),
            address=rng.choice(["", "四川省达州市通川区朝阳路1号", "短"]),
        )
        for position in rng.sample(range(5), rng.choice([0, 1, 1, 2, 3]))
    ]


@pytest.fixture(params=[1, 2, 3])
def world(request, world_factory, demo_org):
    users, units = demo_org
    rng = random.Random(request.param)
    petitions = world_factory(rng, 40, datetime(2026, 8, 1, tzinfo=UTC))
    people, replies = [], []
    for petition in petitions:
        people += _people(rng, petition)
        for _ in range(rng.choice([0, 0, 1, 2])):
            at = datetime(2026, 8, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(0, 2000))
            replies.append(
                Reply(petition=petition, method="written", content="答复", replied_at=at, by=users["clerk"])
            )
        changes = {"title": rng.choice(TEXTS), "content": rng.choice(TEXTS), "outcome": rng.choice(TEXTS)}
        if rng.random() < 0.3:
            changes.update(
                superior_unit=units["SUPERIOR"],
                superior_reference=rng.choice(TEXTS),
                superior_due_date=date(2026, 9, rng.randrange(1, 29)),
            )
        if rng.random() < 0.4:
            changes["closed_at"] = datetime(2026, 8, 20, 16, 30, tzinfo=UTC) + timedelta(
                days=rng.randrange(30)
            )
        Petition.objects.filter(pk=petition.pk).update(**changes)
    Petitioner.objects.bulk_create(people)
    Reply.objects.bulk_create(replies)
    return users


def _outputs(user, monkeypatch, reader: str):
    """(cells, CSV bytes, workbook parts) read by `reader`."""
    monkeypatch.setattr(ledger, "CHUNK", 7)
    if reader == "cursor":
        # The previous reader: Django's server-side cursor over the same statement.
        monkeypatch.setattr(ledger, "_stream", lambda queryset: queryset.iterator(chunk_size=7))
    elif reader == "chunked":
        monkeypatch.setattr(ledger, "_records_sql", ledger._records_chunked)
    filters = parse_filters({})
    cells = list(ledger.ledger_cells(user, filters))
    text = b"".join(ledger.csv_stream(ledger.ledger_cells(user, filters)))
    book = io.BytesIO()
    ledger.write_xlsx(ledger.ledger_cells(user, filters), book)
    with zipfile.ZipFile(book) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    monkeypatch.undo()
    return cells, text, parts


@postgresql_only
@pytest.mark.parametrize("persona", PERSONAS)
def test_streamed_cursor_and_chunked_readers_agree(world, persona, monkeypatch):
    user = world[persona]
    streamed = _outputs(user, monkeypatch, "streamed")
    assert streamed == _outputs(user, monkeypatch, "cursor")
    assert streamed == _outputs(user, monkeypatch, "chunked")
    # What each persona may see, from the list itself: the oracle for the set of rows.
    numbers = [cells[0] for cells in streamed[0]]
    assert numbers == list(
        Petition.objects.visible_to(user).order_by("-received_at", "-id").values_list("number", flat=True)
    )
    if persona == "clerk":
        # The data has what the test is about: hidden petitions, formulas, several petitioners.
        assert 0 < len(numbers) < Petition.objects.count()
        assert b"'=1+1" in streamed[1] and "、" in "".join(cells[3] for cells in streamed[0])
    if persona == "admin":
        assert streamed[0] == []


@postgresql_only
def test_a_stream_closed_early_leaves_the_connection_usable(world, monkeypatch):
    monkeypatch.setattr(ledger, "CHUNK", 2)
    cells = ledger.ledger_cells(world["clerk"], parse_filters({}))
    first = next(cells)
    cells.close()  # as a download abandoned half way: the statement is cancelled
    assert Petition.objects.filter(number=first[0]).exists()


@postgresql_only
def test_a_stream_cancelled_inside_a_transaction_leaves_the_transaction_usable(world, monkeypatch):
    """The test runs in a transaction, as any caller inside transaction.atomic would. The
    server sends its output when 8 kB have gathered: a small list arrives whole after the
    statement ended, and the cancel finds nothing to stop (the test above passes on a quiet
    machine and failed on a loaded one). Here each row is wider than that and waits on the
    server, so the first rows arrive while the statement still runs and the cancel stops it.
    A cancelled statement aborts the transaction it runs in unless it has a savepoint."""
    monkeypatch.setattr(ledger, "CHUNK", 2)
    assert connection.in_atomic_block
    slow = Petition.objects.annotate(
        pause=RawSQL("pg_sleep(0.05)", ()), wide=RawSQL("repeat('x', 10000)", ())
    ).values_list("number", "pause", "wide")
    rows = ledger._stream(slow.order_by("id"))
    first = next(rows)
    rows.close()
    assert connection.connection.info.transaction_status == TransactionStatus.INTRANS
    assert Petition.objects.filter(number=first[0]).exists()
    # A stream read to its end leaves the transaction as it was, savepoint released.
    assert len(list(ledger._stream(Petition.objects.values_list("number")))) == Petition.objects.count()
    assert connection.connection.info.transaction_status == TransactionStatus.INTRANS


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_background_export_of_many_chunks_reports_progress_and_finishes(world, fmt, monkeypatch):
    """The progress is written between chunks while the rows are still being read: on
    PostgreSQL through a connection of its own (the reading one is busy until the last row)."""
    from xinfang.reports.tasks import write_ledger_export

    clerk = world["clerk"]
    monkeypatch.setattr(ledger, "CHUNK", 2)
    job = LedgerExport.objects.create(user=clerk, format=fmt, params={}, language="zh-hans")
    write_ledger_export.call(str(job.pk))
    job.refresh_from_db()
    visible = Petition.objects.visible_to(clerk).count()
    assert (job.status, job.done, job.total) == (ExportStatus.DONE, visible, visible)
