"""Every cell of a ledger row with all a row can show, written out by hand: the petitioners in
their order (names shown, numbers and address masked), the live handling units in the order
they were assigned (a withdrawn one left out), the involved unit, the handling and reply
clocks, the last of two replies, dates in office time (UTC+8: an evening in UTC is the next
day), the superior's fields, and a title that a spreadsheet would run as a formula. The
same row is read on SQLite (related rows per chunk) and PostgreSQL (one statement)."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from python_calamine import CalamineWorkbook

from xinfang.petitions.models import Deadline, InvolvedUnit, Petition
from xinfang.petitions.selectors import parse_filters
from xinfang.petitions.services.checks import PetitionerInput
from xinfang.petitions.workflow_models import Assignment, Reply
from xinfang.reports.ledger import csv_stream, ledger_cells, ledger_rows, write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_row(register, demo_org):
    users, units = demo_org
    clerk = users["clerk"]
    petition = register(
        title="=1+1 标题",
        petitioners=[
            PetitionerInput("甲", "11010519491231002X", "13912345678", "四川省达州市通川区朝阳路1号"),
            PetitionerInput("乙", "", "02812345678", ""),
        ],
    )
    Petition.objects.filter(pk=petition.pk).update(
        received_at=datetime(2026, 3, 1, 17, 30, tzinfo=UTC),
        status="closed",
        outcome="已办结",
        closed_at=datetime(2026, 3, 20, 16, 5, tzinfo=UTC),
        superior_unit=units["SUPERIOR"],
        superior_reference="交〔2026〕7号",
        superior_due_date=date(2026, 4, 1),
    )
    for unit, role, status in (
        ("HOUSING", "lead", "withdrawn"),
        ("LABOUR", "lead", "received"),
        ("POLICE", "assist", "in_progress"),
    ):
        Assignment.objects.create(
            petition=petition, unit=units[unit], role=role, kind="transfer", status=status, assigned_by=clerk
        )
    InvolvedUnit.objects.create(petition=petition, unit=units["HOUSING"])
    Deadline.objects.filter(petition=petition, name__in=("handling", "reply")).delete()
    for name, due in (("handling", datetime(2026, 4, 30, 16, 0)), ("reply", datetime(2026, 5, 10, 3, 0))):
        Deadline.objects.create(
            petition=petition,
            name=name,
            rule="4.6",
            starts_at=datetime(2026, 3, 2, tzinfo=UTC),
            due_at=due.replace(tzinfo=UTC),
        )
    for at in (datetime(2026, 3, 15, 18, 0), datetime(2026, 3, 10, 3, 0)):
        Reply.objects.create(
            petition=petition, method="written", content="答复", replied_at=at.replace(tzinfo=UTC), by=clerk
        )
    petition.refresh_from_db()
    return clerk, petition


def test_every_cell_of_a_full_row(full_row):
    clerk, petition = full_row
    (row,) = [r for r in ledger_rows(clerk, parse_filters({})) if r["number"] == petition.number]
    assert row == {
        "number": petition.number,
        "received_at": datetime(2026, 3, 2, 1, 30),
        "channel": "来信",
        "petitioner": "甲、乙",
        "id_number": "1101**********002X",
        "phone": "139****5678、028****5678",
        "address": "四川省达州市…",
        "category": petition.category.name,
        "title": "=1+1 标题",
        "content": petition.content,
        "requests": petition.requests,
        "handling_units": "市人力资源和社会保障局、市公安局",
        "involved_units": "市住房和城乡建设局",
        "status": "已办结",
        "handling_due": datetime(2026, 5, 1, 0, 0),
        "reply_due": datetime(2026, 5, 10, 11, 0),
        "outcome": "已办结",
        "replied_at": datetime(2026, 3, 16, 2, 0),
        "closed_at": datetime(2026, 3, 21, 0, 5),
        "superior_unit": "市信访局",
        "superior_reference": "交〔2026〕7号",
        "superior_due": datetime(2026, 4, 1),
    }


def test_the_files_write_that_row(full_row):
    clerk, petition = full_row
    text = b"".join(csv_stream(ledger_cells(clerk, parse_filters({})))).decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text[1:])))
    (line,) = [cells for cells in lines[1:] if cells[0] == petition.number]
    assert line[1] == "2026-03-02" and line[8] == "'=1+1 标题"
    assert line[14:16] == ["2026-05-01", "2026-05-10"] and line[17:19] == ["2026-03-16", "2026-03-21"]
    assert line[21] == "2026-04-01" and len(line) == len(lines[0]) == 22

    target = io.BytesIO()
    assert write_xlsx(ledger_cells(clerk, parse_filters({})), target) == len(lines) - 1
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(target.getvalue())).get_sheet_by_index(0).to_python()
    (cells,) = [cells for cells in sheet[1:] if cells[0] == petition.number]
    assert cells[1] == datetime(2026, 3, 2, 1, 30) and cells[8] == "'=1+1 标题"
    assert cells[3:7] == ["甲、乙", "1101**********002X", "139****5678、028****5678", "四川省达州市…"]
