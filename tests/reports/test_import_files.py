"""Importing real files: a genuine .xls, and a ledger Xinfang exported (the round trip)."""

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from tests.reports.ledgers import xlsx
from tests.reports.test_import import post
from tests.reports.test_import_bulk import HEAD, ID2, ID3, line
from xinfang.petitions.models import Petition
from xinfang.reports.importing.reading import OLE2, sniff
from xinfang.reports.models import ImportedPetition

pytestmark = pytest.mark.django_db

XLS = Path(__file__).with_name("fixtures") / "ledger.xls"
TZ = ZoneInfo("Asia/Shanghai")


def test_a_real_xls_workbook(api):
    """BIFF8 in an OLE2 container, as Excel 97-2003 saves it (fixtures/make_ledger_xls.py):
    title row merged over the sheet, a real date cell, dates typed as text."""
    content = XLS.read_bytes()
    assert content.startswith(OLE2) and sniff(content) == "xls"
    dry = post(api, content, name="台账.xls", dry_run="true").json()
    assert dry["errors"] == [] and dry["valid"] == 3, dry
    done = post(api, content, name="台账.xls").json()
    assert done["created"] == 3
    got = {
        i.original_number: i.petition
        for i in ImportedPetition.objects.select_related("petition", "petition__reception")
    }
    assert [got[n].received_at.astimezone(TZ).date() for n in ("XLS-1", "XLS-2", "XLS-3")] == [
        date(2026, 1, 5),
        date(2026, 1, 6),
        date(2026, 1, 7),
    ]
    assert got["XLS-2"].status == "closed" and got["XLS-2"].outcome == "已修复"
    assert got["XLS-1"].petitioners.get().id_number == "11010519491231002X"
    assert post(api, content, name="台账.xls").json()["created"] == 0


def _meaning(p: Petition) -> tuple:
    """What a ledger row says of a petition, read from the rows themselves."""
    return (
        p.title,
        p.content,
        p.requests,
        p.channel,
        p.category.code,
        p.received_at.astimezone(TZ).date(),  # a ledger keeps the day
        p.status == "closed",
        p.outcome,
        p.closed_at.astimezone(TZ).date() if p.closed_at else None,
        [a.unit.code for a in p.assignments.exclude(status="withdrawn").order_by("-role", "id")],
        sorted(i.unit.code for i in p.involved_units.all()),
        p.superior_unit.code if p.superior_unit_id else None,
        p.superior_reference,
        p.superior_due_date,
        [x.name for x in p.petitioners.order_by("position")],
    )


def test_export_then_import_into_an_empty_office_gives_the_same_petitions(api):
    """Round trip: a filtered ledger exported as .xlsx is imported into an office that has none
    of its petitions; each comes back with what the ledger shows (personal numbers excepted: the
    export masks them, as on screen)."""
    source = xlsx(
        [
            line("S-1"),
            line(
                "S-2", status="已办结", outcome="已修复", replied="2025-03-20", handling="市住房和城乡建设局"
            ),
            line(
                "S-3",
                channel="上级交办",
                name="赵六",
                id=ID3,
                phone="",
                superior="市信访局",
                reference="市信访交〔2025〕7号",
                due="2025-04-30",
                involved="市公安局",
            ),
            line(
                "S-4",
                channel="来访",
                name="李四、王五",
                id=f"{ID2}、",
                phone="13900139000",
                status="已办结",
                outcome="已答复",
                closed="2025/3/9",
                handling="市人力资源和社会保障局、市住房和城乡建设局",
            ),
            line("S-5", category="劳动和社会保障", title="工资拖欠"),  # filtered out below
        ],
        head=HEAD,
    )
    with transaction.atomic():
        assert post(api, source).json()["created"] == 5
        wanted = Petition.objects.exclude(category__code="labour_social_security")
        expected = {p.number: _meaning(p) for p in wanted}
        response = api("clerk").client.get(
            "/api/v1/petitions/export", {"format": "xlsx", "category": "urban_construction"}
        )
        assert response.status_code == 200
        exported = b"".join(response.streaming_content)
        transaction.set_rollback(True)
    assert len(expected) == 4 and not Petition.objects.exists()

    report = post(api, exported, name="ledger-export.xlsx").json()
    assert report["errors"] == [] and report["created"] == 4, report
    got = {
        i.original_number: _meaning(i.petition) for i in ImportedPetition.objects.select_related("petition")
    }
    assert got == expected
