"""The bulk import against the row-by-row import (register_petition for each row) on the same
ledger: the same rows in every table, the same sealed data, the same clocks, the same search
documents; and the guarantees each path must keep (audit chain verifies, nothing notified)."""

import gc
import hashlib

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Model
from django.utils import translation

from tests.reports.ledgers import ID, xlsx
from xinfang.audit.models import Event
from xinfang.audit.services import Context
from xinfang.core.errors import InvalidInput
from xinfang.notifications.models import Notification
from xinfang.petitions.models import Petition
from xinfang.reports.importing import bulk, service
from xinfang.reports.importing.service import import_ledger
from xinfang.reports.models import ImportedPetition
from xinfang.search.models import MatterBand, SearchDocument

pytestmark = pytest.mark.django_db

HEAD = [
    "编号",
    "收到日期",
    "信访方式",
    "信访人",
    "身份证号",
    "联系电话",
    "住址",
    "问题分类",
    "标题",
    "主要问题",
    "诉求",
    "承办单位",
    "被反映单位",
    "办理状态",
    "办理结果",
    "答复日期",
    "办结日期",
    "交办机关",
    "交办文号",
    "交办期限",
]


def id_number(body17: str) -> str:
    """A valid ID number: GB 11643's check character, written out here."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body17, weights, strict=True))
    return body17 + "10X98765432"[total % 11]


ID2 = id_number("11010519800101001")
ID3 = id_number("51170219750615002")


def line(number, **cells):
    values = {
        "received": "2025/3/1",
        "channel": "来信",
        "name": "王五",
        "id": ID,
        "phone": "13800138000",
        "address": "通川区朝阳路1号",
        "category": "城乡建设",
        "title": "路灯损坏",
        "content": "小区路灯坏了三个月无人修理",
        "requests": "尽快修复",
        "handling": "",
        "involved": "",
        "status": "办理中",
        "outcome": "",
        "replied": "",
        "closed": "",
        "superior": "",
        "reference": "",
        "due": "",
    }
    values.update(cells)
    return [number, *values.values()]


def ledger():
    """Every kind of row the import writes differently."""
    return xlsx(
        [
            line("A-1"),  # open letter: clocks, repeat of the petition already here
            line("A-2", received="2025年2月1日", status="已办结", outcome="已修复", replied="2025-02-20"),
            line(
                "A-3", channel="来访", name="李四", id=ID2, phone="13900139000", handling="市住房和城乡建设局"
            ),
            line(
                "A-4",
                status="已办结",
                outcome="已答复并解决",
                closed="2025/4/2",
                handling="市住房和城乡建设局、市人力资源和社会保障局",
                involved="市公安局",
            ),
            line(
                "A-5",
                channel="上级交办",
                name="赵六",
                id=ID3,
                phone="",
                superior="市信访局",
                reference="市信访交〔2025〕12号",
                due="2025-05-30",
            ),
            line("A-6", name="", id="", phone="", address="", title="匿名反映噪声", content="夜间施工噪声"),
            line(
                "A-7", name="王五、李四", id=f"{ID}、{ID2}", phone="13800138000、13900139000", received=46000
            ),
            line("A-8", channel="来电", status="已办结", outcome="电话答复", replied=46100, title="咨询社保"),
        ],
        head=HEAD,
    )


def snapshot() -> dict:
    """Everything an import wrote, by original number, with ids replaced by what they mean."""
    by_pk = {i.petition_id: i.original_number for i in ImportedPetition.objects.all()}
    numbers = dict(Petition.objects.values_list("pk", "number"))
    out = {}
    fields = [
        f.name for f in Petition._meta.concrete_fields if f.name not in ("id", "created_at", "updated_at")
    ]
    for p in Petition.objects.filter(pk__in=by_pk).prefetch_related(
        "petitioners", "involved_units", "deadlines", "repeat_of", "replies", "assignments"
    ):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id_number, phone, address FROM petitions_petitioner WHERE petition_id = %s", [p.pk]
            )
            sealed = cursor.fetchall()
        reception = getattr(p, "reception", None)
        events = list(Event.objects.filter(petition=p).order_by("seq"))
        imported = events[-1].data
        out[by_pk[p.pk]] = {
            "petition": {f: getattr(p, f"{f}_id" if p._meta.get_field(f).is_relation else f) for f in fields},
            "petitioners": [
                (
                    x.position,
                    x.name,
                    x.id_number,
                    x.phone,
                    x.address,
                    x.is_representative,
                    x.id_number_index,
                    x.phone_index,
                )
                for x in sorted(p.petitioners.all(), key=lambda x: x.position)
            ],
            "sealed_plaintext_absent": all(
                value in ("", None)
                or (ID not in str(value) and "1380013" not in str(value) and "朝阳路" not in str(value))
                for row in sealed
                for value in row
            ),
            "involved": sorted(u.unit_id for u in p.involved_units.all()),
            "reception": (reception.notes, reception.explained, reception.visitors, reception.received_by_id)
            if reception
            else None,
            "deadlines": sorted(
                (d.name, d.rule, d.starts_at, d.due_at, d.met_at, d.paused_at, d.calendar_gap)
                for d in p.deadlines.all()
            ),
            "repeat_of": sorted(numbers[r.pk] for r in p.repeat_of.all()),
            "replies": [(r.method, r.content, r.replied_at, r.by_id) for r in p.replies.all()],
            "assignments": sorted(
                (a.unit_id, a.role, a.kind, a.status, a.assigned_by_id) for a in p.assignments.all()
            ),
            "import": {
                k: imported[k] for k in ("sha256", "original_number", "row", "closed", "handling_units")
            },
            "event_action": events[-1].action,
            "search": SearchDocument.objects.get(petition=p).body,
            "search_units": _document_units(p.pk),
            "bands": sorted(MatterBand.objects.filter(petition=p).values_list("band", "key")),
        }
    return out


def _document_units(petition_id):
    """PostgreSQL: the units the search document lists (search/0005); None on SQLite."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT units FROM search_searchdocument WHERE petition_id = %s", [petition_id])
        return list(cursor.fetchone()[0])


def run(users, content, *, bulk_write):
    return import_ledger(
        ctx=Context(actor=users["clerk"]),
        filename="台账.xlsx",
        content=content,
        dry_run=False,
        bulk_write=bulk_write,
    )


# None: the whole ledger in one chunk; 3: eight rows written in three chunks (bulk.WRITE_CHUNK),
# which must write exactly the same rows (repeat links across chunks, numbers, chains).
@pytest.mark.parametrize("chunk", [None, 3])
def test_bulk_writes_what_row_by_row_registration_writes(demo_org, register, monkeypatch, chunk):
    if chunk:
        monkeypatch.setattr(bulk, "WRITE_CHUNK", chunk)
    users, _units = demo_org
    already = register(received_at="2024-06-01T09:00:00+08:00")  # the same person, before the ledger
    content = ledger()
    with transaction.atomic():
        reference = run(users, content, bulk_write=False)
        assert reference.errors == [] and reference.created == 8
        expected = snapshot()
        call_command("verify_audit")
        transaction.set_rollback(True)
    assert not ImportedPetition.objects.exists()

    report = run(users, content, bulk_write=True)
    assert report.errors == [] and report.created == 8
    got = snapshot()
    assert set(got) == set(expected)
    for number in expected:
        want, have = dict(expected[number]), dict(got[number])
        # One event per petition in bulk (its chain's first); registration writes two.
        assert have.pop("event_action") == want.pop("event_action") == "petition.imported"
        assert have == want, number

    # What the rows mean, decided here rather than by either path.
    a1, a2, a4, a5, a7 = (got[n] for n in ("A-1", "A-2", "A-4", "A-5", "A-7"))
    assert already.number in a1["repeat_of"]
    assert set(a7["repeat_of"]) >= {already.number, a1["petition"]["number"]}
    assert a1["deadlines"] and not a2["deadlines"] and not a4["deadlines"]
    assert {d[0] for d in a5["deadlines"]} == {"handling", "reply", "superior_report"}
    assert a5["petition"]["superior_reference"] == "市信访交〔2025〕12号"
    assert [a[1] for a in sorted(a4["assignments"], key=lambda a: a[1] != "lead")] == ["lead", "assist"]
    assert a2["petition"]["status"] == "closed" and a2["replies"] and "已修复" in a2["search"]
    assert all(s["sealed_plaintext_absent"] for s in got.values())
    # The documents list the units of the live assignments the import wrote (both paths).
    for s in got.values():
        if s["search_units"] is not None:
            assert s["search_units"] == sorted({a[0] for a in s["assignments"] if a[3] != "withdrawn"})
    assert a4["search_units"] is None or len(a4["search_units"]) == 2  # a lead and an assisting unit
    assert a1["petitioners"][0][2] == ID and a1["petitioners"][0][6]
    digest = hashlib.sha256(content).hexdigest()
    assert {s["import"]["sha256"] for s in got.values()} == {digest}
    serials = sorted(s["petition"]["serial"] for s in got.values())
    assert serials == list(range(serials[0], serials[0] + 8))  # gapless, after the petition already here
    assert not Notification.objects.exists()
    call_command("verify_audit")


def test_bulk_statement_count_does_not_grow_with_rows(demo_org):
    """A few statements per batch of rows, not per row: 90 more rows cost a handful more INSERT
    batches (SQLite binds at most 999 values per statement), where one by one they cost
    about 20 statements each."""
    from django.test.utils import CaptureQueriesContext

    users, _units = demo_org
    counts = []
    # The first import also creates the year's number row and the chain count: not counted.
    for n, prefix in ((3, "W"), (10, "S"), (100, "T")):
        rows = [
            line(
                f"{prefix}-{i}",
                id=ID2 if i % 2 else ID,
                status="已办结" if i % 3 == 0 else "办理中",
                outcome="已办",
            )
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as queries:
            assert run(users, xlsx(rows, head=HEAD), bulk_write=True).created == n
        counts.append(len(queries))
    assert counts[2] - counts[1] <= 20, counts


@pytest.mark.parametrize("chunk", [None, 1])
def test_an_involvement_that_hides_the_petition_is_a_row_error_and_nothing_is_kept(
    demo_org, monkeypatch, chunk
):
    """Rule 4.3 reach check (ensure_reachable) per row, in both paths: same rows, same messages.
    Written one row per chunk too: the errors of every chunk are reported, not the first's only."""
    if chunk:
        monkeypatch.setattr(bulk, "WRITE_CHUNK", chunk)
    users, _units = demo_org
    content = xlsx(
        [line("R-1"), line("R-2", involved="办公室综合科"), line("R-3", involved="市政协")], head=HEAD
    )
    with translation.override("zh-hans"):
        reports = [run(users, content, bulk_write=b) for b in (False, True)]
    for report in reports:
        assert report.created == 0 and not ImportedPetition.objects.exists()
        assert [(e["row"], e["field"]) for e in report.errors] == [(3, "涉及单位"), (4, "涉及单位")]
    assert reports[0].errors == reports[1].errors
    assert not Petition.objects.exists()
    # The dry run finds them too (written in a savepoint, checked, rolled back).
    with translation.override("zh-hans"):
        dry = import_ledger(
            ctx=Context(actor=users["clerk"]), filename="x.xlsx", content=content, dry_run=True
        )
    assert dry.errors == reports[1].errors and dry.valid == 1
    assert not Petition.objects.exists()


def test_signatures_in_bulk_are_the_signatures_one_by_one():
    from xinfang.search.similarity import band_keys, band_keys_many

    texts = ["小区路灯坏了三个月无人修理", "", "ab", "工资拖欠半年，要求支付", "小区路灯坏了三个月"] * 2
    assert band_keys_many(texts) == [band_keys(t) for t in texts]
    assert band_keys_many(texts)[1] == [] and len(band_keys_many(texts)[0]) == 16


def test_superior_rows_and_handling_units_are_checked_like_registrations(api):
    """A matter from a superior needs its organ, reference and due date (check_registration's
    rules, Rule 4.6); a handling unit must exist. Row errors in the user's language, nothing kept."""
    from tests.reports.test_import import post

    content = xlsx(
        [
            line("U-1", channel="上级交办", superior="", reference="", due=""),
            line("U-2", channel="上级交办", superior="市信访局", reference="X〔2025〕1号", due="明天"),
            line("U-3", status="已办结", outcome="好", handling="不存在的局"),
            line("U-4", superior="市信访局"),  # a letter has no sender
            line("U-5", channel="上级交办", superior="市信访局", reference="X〔2025〕2号", due="2025-03-31"),
        ],
        head=HEAD,
    )
    report = post(api, content, language="en").json()
    assert report["created"] == 0 and report["valid"] == 1
    assert sorted({(e["row"], e["field"]) for e in report["errors"]}) == [
        (2, "Report due to superior"),
        (2, "Sent by (superior organ)"),
        (2, "Superior's reference"),
        (3, "Report due to superior"),
        (4, "Handling units"),
        (5, "Sent by (superior organ)"),
    ]
    messages = " ".join(e["message"] for e in report["errors"])
    assert "“明天” is not a date" in messages and "Unknown unit “不存在的局”" in messages
    assert not ImportedPetition.objects.exists()


def test_an_import_that_races_another_is_a_sentence_not_a_500(api, monkeypatch):
    """Two people import the same file at once: the second finds it imported while writing."""
    from tests.reports.test_import import post
    from xinfang.reports.importing import service
    from xinfang.reports.models import LedgerImport

    content = xlsx([line("C-1")], head=HEAD)
    planning = service._plan

    def plan_then_someone_else_imports(*args, **kwargs):
        planned = planning(*args, **kwargs)
        LedgerImport.objects.create(
            sha256=hashlib.sha256(content).hexdigest(), filename="x", size=1, by=demo_user()
        )
        return planned

    def demo_user():
        from xinfang.accounts.models import User

        return User.objects.get(username="clerk2")

    monkeypatch.setattr(service, "_plan", plan_then_someone_else_imports)
    response = post(api, content, language="en")
    assert response.status_code == 400 and "a moment ago" in response.json()["errors"]["file"][0]
    assert not ImportedPetition.objects.exists() and not Petition.objects.exists()


@pytest.mark.parametrize("chunk", [None, 1])
def test_rows_imported_by_someone_else_meanwhile_are_a_sentence_not_a_500(api, monkeypatch, chunk):
    """Another file with one of the same original numbers is imported between this import's
    check and its write: the unique original number stops the write (on PostgreSQL inside a
    COPY of the writer thread), the answer is the same sentence and nothing is kept."""
    from tests.reports.test_import import post
    from xinfang.accounts.models import User
    from xinfang.reports.importing import service

    if chunk:
        monkeypatch.setattr(bulk, "WRITE_CHUNK", chunk)
    content = xlsx([line("D-1"), line("D-2"), line("D-3")], head=HEAD)
    other = xlsx([line("D-3", title="另一份台账的同号事项")], head=HEAD)
    planning = service._plan

    def plan_then_someone_else_imports(*args, **kwargs):
        planned = planning(*args, **kwargs)
        monkeypatch.setattr(service, "_plan", planning)
        done = import_ledger(
            ctx=Context(actor=User.objects.get(username="clerk2")),
            filename="other.xlsx",
            content=other,
            dry_run=False,
        )
        assert done.created == 1
        return planned

    monkeypatch.setattr(service, "_plan", plan_then_someone_else_imports)
    response = post(api, content, language="en")
    assert response.status_code == 400 and "a moment ago" in response.json()["errors"]["file"][0]
    assert list(ImportedPetition.objects.values_list("original_number", flat=True)) == ["D-3"]
    assert Petition.objects.count() == 1


@pytest.mark.parametrize("chunk", [None, 3])
def test_the_statistics_summary_counts_the_imported_petitions(demo_org, register, monkeypatch, chunk):
    """The bulk import pauses the summary's triggers and counts its petitions in one pass
    (summary_sql.count_new): the summary then equals a recount from scratch, and the triggers
    count again whatever the same transaction changes afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("the summary is kept on PostgreSQL only")
    from tests.reports.test_summary import folded
    from xinfang.petitions.models import Deadline
    from xinfang.reports import summary_sql

    if chunk:
        monkeypatch.setattr(bulk, "WRITE_CHUNK", chunk)
    users, _units = demo_org
    before = register(received_at="2024-06-01T09:00:00+08:00")  # counted by the triggers
    with transaction.atomic():
        report = run(users, ledger(), bulk_write=True)
        assert report.errors == [] and report.created == 8
        imported = folded()
        assert imported != {}
        # Closed and open matters, handling and involved units, running clocks: all counted.
        assert any(k[4] == "closed" for k in imported if k[0] != "due")
        assert any(k[0] == "due" for k in imported)
        summary_sql.rebuild()
        assert folded() == imported

        # The triggers are on again: a clock met and a petition closed afterwards are counted.
        clock = Deadline.objects.filter(petition=before).first()
        Deadline.objects.filter(pk=clock.pk).update(met_at=clock.due_at)
        Petition.objects.filter(pk=before.pk).update(status="closed")
        changed = folded()
        assert changed != imported
        summary_sql.rebuild()
        assert folded() == changed


def test_a_dry_run_leaves_the_statistics_triggers_on(demo_org, register):
    """The dry run's reach check writes the rows with an involvement and rolls them back with
    the triggers paused; the pause goes with the rollback, so what follows is counted."""
    if connection.vendor != "postgresql":
        pytest.skip("the summary is kept on PostgreSQL only")
    from tests.reports.test_summary import folded
    from xinfang.reports import summary_sql

    users, _units = demo_org
    before = folded()
    checked = import_ledger(
        ctx=Context(actor=users["clerk"]), filename="台账.xlsx", content=ledger(), dry_run=True
    )
    assert checked.errors == [] and checked.valid == 8
    assert folded() == before  # nothing of the dry run is counted
    register(received_at="2024-06-01T09:00:00+08:00")
    counted = folded()
    assert counted != before
    summary_sql.rebuild()
    assert folded() == counted


def test_bands_of_many_texts_are_each_signatures_bands():
    """band_keys_many mixes every text's bands at once; each text's must be those of its own
    signature mixed alone (_band_hashes), for texts of every length, empty ones among them."""
    import random

    from xinfang.search.similarity import _band_hashes, band_keys_many, signatures

    rng = random.Random(12)
    alphabet = "小区路灯坏了三个月无人修理工资拖欠半年要求支付ab12，。 "
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 300))) for _ in range(300)]
    texts += ["", "。", "a", "ab"]
    expected = [[] if sig is None else _band_hashes(sig) for sig in signatures(texts)]
    assert band_keys_many(texts) == expected
    assert band_keys_many([]) == [] and band_keys_many(["", "。"]) == [[], []]


def random_ledger(seed: int, rows: int):
    """A ledger of `rows` random rows of every kind the import writes differently: open and
    closed, every channel, none to three petitioners sharing ID numbers and phones (repeat links
    within the ledger and to the petition already there), replies, handling and involved units."""
    import random

    rng = random.Random(seed)
    people = [
        ("王五", ID, "13800138000"),
        ("李四", ID2, "13900139000"),
        ("赵六", ID3, ""),
        ("钱七", "", "13700137000"),
    ]
    handling = ["市住房和城乡建设局", "市人力资源和社会保障局", "市公安局"]
    out = []
    for i in range(rows):
        who = rng.sample(people, rng.randrange(0, 4))
        closed = rng.random() < 0.5
        channel = rng.choice(["来信", "来访", "来电", "网上信访", "上级交办"])
        cells = {
            "received": f"2025/{rng.randrange(1, 13)}/{rng.randrange(1, 28)}",
            "channel": channel,
            "name": "、".join(p[0] for p in who),
            "id": "、".join(p[1] for p in who if p[1]) if all(p[1] for p in who) else "",
            "phone": "、".join(p[2] for p in who) if all(p[2] for p in who) else "",
            "address": "通川区朝阳路1号" if who and rng.random() < 0.5 else "",
            "title": rng.choice(["路灯损坏", "工资拖欠", "噪声扰民", "Road lamp"]) + str(i),
            "content": rng.choice(["小区路灯坏了三个月无人修理", "工资拖欠半年，要求支付", "", "夜间施工"]),
            "requests": rng.choice(["", "尽快修复", "依法处理"]),
            "involved": rng.choice(["", "", "市公安局"]),
            "status": "已办结" if closed else "办理中",
        }
        if channel == "上级交办":
            cells.update(superior="市信访局", reference=f"市信访交〔2025〕{i}号", due="2025-12-30")
        if closed:
            cells.update(
                outcome=rng.choice(["已答复", "已解决并回访"]),
                handling="、".join(rng.sample(handling, rng.randrange(0, 3))),
                replied=rng.choice(["", "2025-12-31"]),
                closed=rng.choice(["", "2026/1/2"]),
            )
        out.append(line(f"R{seed}-{i}", **cells))
    return xlsx(out, head=HEAD)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_random_ledger_in_bulk_is_the_ledger_row_by_row(demo_org, register, monkeypatch, seed):
    """The oracle on random rows: every table the bulk path writes, in chunks of 7 rows, equals
    what register_petition row by row writes for the same ledger (search documents, clocks,
    queues' columns, numbers, sealed data and chains included), and the chains verify."""
    monkeypatch.setattr(bulk, "WRITE_CHUNK", 7)
    users, _units = demo_org
    register(received_at="2024-06-01T09:00:00+08:00")  # the same person, before the ledger
    content = random_ledger(seed, 30)
    with transaction.atomic():
        reference = run(users, content, bulk_write=False)
        assert reference.errors == [] and reference.created == 30
        expected = snapshot()
        transaction.set_rollback(True)
    report = run(users, content, bulk_write=True)
    assert report.errors == [] and report.created == 30
    got = snapshot()
    assert set(got) == set(expected)
    for number in expected:
        want, have = dict(expected[number]), dict(got[number])
        assert have.pop("event_action") == want.pop("event_action")
        assert have == want, number
    # The rows are of every kind (decided from the ledger, not from either path).
    assert any(s["deadlines"] for s in got.values()) and any(s["replies"] for s in got.values())
    assert any(s["repeat_of"] for s in got.values()) and any(s["assignments"] for s in got.values())
    assert any(s["petition"]["lead_unit"] for s in got.values())
    assert any(s["petition"]["next_due_at"] for s in got.values())
    call_command("verify_audit")


@pytest.mark.parametrize("bulk_write", [True, False])
def test_a_void_earlier_petition_of_the_same_person_is_no_repeat(demo_org, register, bulk_write):
    """The earlier petitions a row repeats are read for every key of the ledger at once (one
    array on PostgreSQL): a voided one is left out, a live one kept, as registration links them."""
    users, _units = demo_org
    live = register(received_at="2024-06-01T09:00:00+08:00")
    voided = register(received_at="2024-07-01T09:00:00+08:00")
    Petition.objects.filter(pk=voided.pk).update(status="void")
    report = run(users, xlsx([line("V-1"), line("V-2", id="", phone="")], head=HEAD), bulk_write=bulk_write)
    assert report.errors == [] and report.created == 2
    first = ImportedPetition.objects.get(original_number="V-1").petition
    second = ImportedPetition.objects.get(original_number="V-2").petition
    assert set(first.repeat_of.values_list("pk", flat=True)) == {live.pk}
    # V-2 names neither an ID number nor a phone: it repeats nothing.
    assert not second.repeat_of.exists()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_cycle_collector_is_off_while_importing_and_as_it_was_after(demo_org, monkeypatch, enabled):
    """Held off while the rows are planned and written; afterwards as it was before, also when
    the file is refused."""
    users, _units = demo_org
    during = []
    plan = service._plan

    def watched(*args, **kwargs):
        during.append(gc.isenabled())
        return plan(*args, **kwargs)

    monkeypatch.setattr(service, "_plan", watched)
    if not enabled:
        gc.disable()
    try:
        assert run(users, ledger(), bulk_write=True).created == 8
        assert gc.isenabled() is enabled
        with pytest.raises(InvalidInput):
            run(users, b"", bulk_write=True)
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
    assert during == [False, False]  # both imports planned with it off


def test_the_cycle_collector_stays_on_row_by_row(demo_org, monkeypatch):
    """The reference path's registrations leave cycles (querysets) for the collector to free."""
    users, _units = demo_org
    during = []
    plan = service._plan
    monkeypatch.setattr(service, "_plan", lambda *a, **k: during.append(gc.isenabled()) or plan(*a, **k))
    assert run(users, ledger(), bulk_write=False).created == 8
    assert during == [True] and gc.isenabled()


def test_a_bulk_import_leaves_no_cycles_behind(demo_org, register):
    """With the collector held off, garbage in cycles would stay until the import ends: a bulk
    import of every kind of row leaves none of its rows in a cycle (a reception built through
    its one-to-one descriptor did: the petition and its reception held each other). (A user
    and a unit read once for the whole import are left in a cycle by their query.)"""
    users, _units = demo_org
    register()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert run(users, ledger(), bulk_write=True).created == 8
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, Model) and o._meta.app_label != "accounts"]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
