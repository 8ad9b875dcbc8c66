"""Importing ledgers: the bad-input list of issue 12, all or nothing, idempotence, sealing."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from tests.reports.ledgers import ID, csv_bytes, row, xlsx
from xinfang.audit.models import AccessLog, Event
from xinfang.notifications.models import Notification
from xinfang.petitions.models import Deadline, Petition, Petitioner
from xinfang.reports.importing.mapping import parse_day
from xinfang.reports.models import ImportedPetition

pytestmark = pytest.mark.django_db


def local_day(moment):
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).date()


def post(api, content, name="ledger.xlsx", dry_run="false", user="clerk", language="zh-hans"):
    return api(user, language=language).client.post(
        "/api/v1/imports",
        {"file": _upload(name, content), "dry_run": dry_run},
        headers={"Accept-Language": language},
    )


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


# --- dates, written out by hand ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026/1/5", date(2026, 1, 5)),
        ("2026-01-05", date(2026, 1, 5)),
        ("2026.1.5", date(2026, 1, 5)),
        ("2026年1月5日", date(2026, 1, 5)),
        ("2026年01月05日", date(2026, 1, 5)),
        ("20260105", date(2026, 1, 5)),
        ("2026/1/5 9:30", date(2026, 1, 5)),
        (46027, date(2026, 1, 5)),  # Excel's serial for 2026-01-05
        (46027.5, date(2026, 1, 5)),
        ("46027", date(2026, 1, 5)),
    ],
)
def test_dates_in_every_format_offices_use(value, expected):
    assert parse_day(value).date() == expected


@pytest.mark.parametrize("value", ["5/1/2026", "去年", "2026-13-01", "2026年2月30日", -3, "", "1e400"])
def test_what_is_not_a_date(value):
    with pytest.raises((ValueError, OverflowError)):
        parse_day(value)


# --- a good import -------------------------------------------------------------------------------


def test_dry_run_reports_and_creates_nothing_then_the_import_creates(api):
    content = xlsx(
        [row("OLD-1"), row("OLD-2", received=46027, channel="来访", status="已办结", outcome="已修复")]
    )
    before = Petition.objects.count()
    dry = post(api, content, dry_run="true")
    assert dry.status_code == 200, dry.json()
    assert dry.json() == {"id": None, "rows": 2, "valid": 2, "errors": [], "created": 0, "skipped": 0}
    assert Petition.objects.count() == before
    done = post(api, content).json()
    assert done["created"] == 2 and done["errors"] == []
    imported = {i.original_number: i.petition for i in ImportedPetition.objects.select_related("petition")}
    open_one, closed_one = imported["OLD-1"], imported["OLD-2"]
    assert open_one.status == "registered" and open_one.deadlines.exists()
    assert closed_one.status == "closed" and closed_one.outcome == "已修复"
    assert local_day(closed_one.received_at) == date(2026, 1, 5)
    # Closed historical matters: no clocks, so no reminders and no escalations; nobody notified.
    assert not Deadline.objects.filter(petition=closed_one).exists()
    assert not Notification.objects.exists()
    # One event in each chain names the file's SHA-256; the import is in the access log.
    import hashlib

    digest = hashlib.sha256(content).hexdigest()
    event = Event.objects.get(petition=closed_one, action="petition.imported")
    assert event.data["sha256"] == digest and event.data["original_number"] == "OLD-2"
    assert AccessLog.objects.filter(action="ledger.import", detail__contains=digest).count() == 1


def test_personal_data_is_sealed_as_on_registration(api):
    post(api, xlsx([row("OLD-9")]))
    person = Petitioner.objects.get(petition__imported_from__original_number="OLD-9")
    assert person.id_number == ID and person.id_number_index
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM petitions_petitioner WHERE id = %s", [person.pk])
        sealed = " ".join(str(v) for v in cursor.fetchone())
    assert ID not in sealed and "13800138000" not in sealed


def test_the_same_file_twice_creates_nothing_and_so_does_a_resaved_copy(api):
    content = xlsx([row("OLD-1"), row("OLD-2")])
    assert post(api, content).json()["created"] == 2
    again = post(api, content).json()
    assert again["created"] == 0 and again["skipped"] == 2
    resaved = csv_bytes([row("OLD-1"), row("OLD-2"), row("OLD-3")])  # same rows, another file, one more
    third = post(api, resaved, name="ledger.csv").json()
    assert (third["created"], third["skipped"]) == (1, 2)
    assert ImportedPetition.objects.count() == 3


def test_all_or_nothing(api):
    content = xlsx([row("OLD-1"), row("OLD-2", category="不存在的类别"), row("OLD-3", received="去年")])
    report = post(api, content, dry_run="false").json()
    assert report["created"] == 0 and report["valid"] == 1
    assert {(e["row"], e["field"]) for e in report["errors"]} == {(3, "问题分类"), (4, "收到时间")}
    assert not ImportedPetition.objects.exists()


# --- the bad-input list --------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452")


@pytest.mark.parametrize(
    "content",
    [
        PDF,
        PNG + b"\x00" * 40,
        b"PK\x03\x04" + b"\x00" * 100,  # a broken zip
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,  # an OLE2 header and nothing readable
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 100,
        b"",
        "只是一段文字，不是台账".encode(),
        xlsx([], head=[]),  # an empty sheet
        b"\n\n\n",
    ],
    ids=[
        "pdf",
        "png",
        "corrupt-zip",
        "corrupt-xls",
        "encrypted",
        "empty",
        "prose",
        "empty-sheet",
        "blank-csv",
    ],
)
def test_files_that_are_not_ledgers_are_400_with_a_sentence(api, content):
    response = post(api, content, dry_run="true", language="en")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errors"]["file"] and body["errors"]["file"][0][0].isupper()
    assert not ImportedPetition.objects.exists()


def test_zip_that_is_not_a_workbook(api):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("hello.txt", "hi")
    assert post(api, buffer.getvalue(), dry_run="true").status_code == 400


def test_id_numbers_stored_as_numbers_are_refused(api):
    report = post(
        api, xlsx([row("OLD-1", id_number=110105194912310020)]), dry_run="true", language="en"
    ).json()
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(2, "ID number")]
    assert "digits" in report["errors"][0]["message"]


def test_formula_cells(api):
    # A formula typed as text (CSV) is refused; a workbook formula gives the value it computed.
    text = post(api, csv_bytes([row("OLD-1", title='=HYPERLINK("http://x")')]), name="l.csv", dry_run="true")
    assert [e["field"] for e in text.json()["errors"]] == ["标题"]
    computed = post(api, xlsx([row("OLD-1")], formula_at=(1, 8)), dry_run="true").json()
    assert computed["errors"] == [] and computed["valid"] == 1


def test_merged_headings_and_a_title_row(api):
    content = xlsx([row("OLD-1"), row("OLD-2")], title_row=True, merged_group=True)
    report = post(api, content, dry_run="true").json()
    assert report["errors"] == [] and report["valid"] == 2


def test_gb18030_csv_and_dates_in_chinese(api):
    content = csv_bytes([row("OLD-1", received="2026年1月5日")], encoding="gb18030")
    report = post(api, content, name="台账.csv").json()
    assert report["created"] == 1, report
    assert local_day(ImportedPetition.objects.get().petition.received_at) == date(2026, 1, 5)


def test_missing_columns_name_what_is_missing(api):
    response = post(api, csv_bytes([["OLD-1", "x"]], head=["编号", "标题"]), name="l.csv", language="en")
    assert response.status_code == 400 and "Received" in response.json()["errors"]["file"][0]


def test_too_large_is_413(api, settings):
    settings.MAX_UPLOAD_BYTES = 100
    assert post(api, csv_bytes([row()] * 10), name="l.csv").status_code == 413


def test_handlers_may_not_import(api):
    assert post(api, csv_bytes([row()]), name="l.csv", user="housing").status_code == 403
    assert not ImportedPetition.objects.exists()


def test_bad_dry_run_flag(api):
    assert post(api, csv_bytes([row()]), name="l.csv", dry_run="perhaps").status_code == 400


def test_too_many_rows_is_refused_whole(api, monkeypatch):
    """10⁶ rows: refused with a sentence before any row is checked (the limit lowered here)."""
    from xinfang.reports.importing import reading

    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    response = post(api, csv_bytes([row(f"OLD-{i}") for i in range(4)]), name="l.csv", language="en")
    assert response.status_code == 400 and "split it" in response.json()["errors"]["file"][0]
    assert not ImportedPetition.objects.exists()
