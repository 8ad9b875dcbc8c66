"""The statistics page, the standard report, ledger downloads and the import page."""

import io
import random
import re
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone
from python_calamine import CalamineWorkbook

from tests.reports.ledgers import csv_bytes, row
from xinfang.audit.models import AccessLog
from xinfang.reports.models import ImportedPetition, LedgerExport

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(demo_org):
    users, _units = demo_org

    def make(username, language="zh-hans"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(users[username])
        return client

    return make


def test_statistics_page_numbers_link_to_the_list_showing_as_many(web, world_factory):
    world_factory(random.Random(5), 40, timezone.now())
    client = web("clerk")
    html = client.get("/statistics/?from=2026-01-01&to=2026-12-31&compare=previous").content.decode()
    total = re.search(r'id="stat-total" href="([^"]+)"><span class="card__count">(\d+)<', html)
    assert total and int(total.group(2)) > 0
    links = re.findall(r'<td><a href="(/petitions/\?[^"]+)">(\d+)</a></td>', html)
    assert len(links) > 10
    for href, count in [(unescape(total.group(1)), total.group(2)), *links[:12]]:
        listed = client.get(unescape(href)).content.decode()
        shown = re.search(r'class="results__count">\D*(\d+)', listed)
        assert shown and shown.group(1) == count, href


def test_statistics_page_in_english_and_for_a_unit(web, world_factory):
    world_factory(random.Random(6), 20, timezone.now())
    assert "By handling unit" in web("clerk", "en").get("/statistics/").content.decode()
    assert web("housing").get("/statistics/").status_code == 200
    assert web("auditor").get("/statistics/").status_code == 403


def test_statistics_page_bad_filters_are_400_not_500(web):
    response = web("clerk").get("/statistics/?from=2026-99-01&channel=x")
    assert response.status_code == 400 and "alert--error" in response.content.decode()


def test_standard_report_page_and_workbook_with_formulas(web, world_factory):
    world_factory(random.Random(8), 40, timezone.now())
    client = web("clerk")
    page = client.get("/statistics/report/?period=2026-Q1")
    assert page.status_code == 200 and "standard-table" in page.content.decode()
    workbook = client.get("/statistics/report/?period=2026-Q1&format=xlsx")
    assert workbook.status_code == 200
    import zipfile

    sheet = zipfile.ZipFile(io.BytesIO(workbook.content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>SUM(" in sheet and "<f>IF(" in sheet
    # The cached totals equal the cells they sum (read back without a formula engine).
    rows = CalamineWorkbook.from_filelike(io.BytesIO(workbook.content)).get_sheet_by_index(0).to_python()
    body = [r for r in rows[3:] if r and r[0] not in ("", None)]
    channels = len(rows[2]) - 6
    for r in body:
        assert sum(r[1 : 1 + channels]) == r[1 + channels]
    assert body[-1][1 + channels] == sum(r[1 + channels] for r in body[:-1])


@pytest.mark.parametrize("period", ["2026-13", "26", "2026-Q5", "x" * 50, "1800"])
def test_standard_report_bad_periods(web, period):
    assert web("clerk").get("/statistics/report/", {"period": period}).status_code == 400


def test_standard_report_pdf(web, register):
    register()
    response = web("clerk").get("/statistics/report/?format=pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_page_export_is_logged_masked_and_escaped(web, register):
    register(title='=HYPERLINK("http://evil")')
    client = web("housing")  # a handler sees nothing of it: an empty ledger, still logged
    assert b"HYPERLINK" not in b"".join(client.get("/ledger/export/?format=csv").streaming_content)
    response = web("clerk").get("/ledger/export/?format=csv&status=registered")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "11010519491231002X" not in text and "1101**********002X" in text
    assert AccessLog.objects.filter(action="petition.export", user__username="clerk").count() == 1
    xlsx = web("clerk").get("/ledger/export/?format=xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(xlsx.streaming_content))).get_sheet_by_index(0)
    values = rows.to_python()
    assert values[1][8].startswith("'=HYPERLINK") and "11010519491231002X" not in str(values)


def test_large_exports_run_in_the_background_with_progress(web, register, monkeypatch):
    from xinfang.reports import views
    from xinfang.reports.tasks import write_ledger_export

    register()
    register()
    monkeypatch.setattr(views, "BACKGROUND_FROM", 2)
    client = web("clerk")
    response = client.get("/ledger/export/?format=xlsx")
    assert response.status_code == 302
    job = LedgerExport.objects.get()
    status_page = client.get(response["Location"]).content.decode()
    assert "<progress" in status_page
    write_ledger_export.call(str(job.pk))
    done = client.get(response["Location"]).content.decode()
    assert "/download/" in done
    download = client.get(f"/ledger/exports/{job.pk}/download/")
    assert download.status_code == 200
    # Someone else's export: not found.
    assert web("clerk2").get(f"/ledger/exports/{job.pk}/download/").status_code == 404


def test_import_page_checks_then_imports_the_checked_file(web):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = web("clerk")
    content = csv_bytes([row("OLD-1"), row("OLD-2", status="已办结", outcome="已修复")])
    checked = client.post("/ledger/import/", {"file": SimpleUploadedFile("台账.csv", content)})
    html = checked.content.decode()
    assert checked.status_code == 200 and 'id="import-now"' in html
    assert not ImportedPetition.objects.exists()
    staged = re.search(r'name="staged" value="([0-9a-f]{64})"', html).group(1)
    done = client.post("/ledger/import/", {"staged": staged, "name": "台账.csv"})
    assert done.status_code == 200 and ImportedPetition.objects.count() == 2
    bad = client.post("/ledger/import/", {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4 nothing")})
    assert bad.status_code == 400
    forged = client.post("/ledger/import/", {"staged": "../../etc/passwd"})
    assert forged.status_code == 400
    assert web("housing").get("/ledger/import/").status_code == 403


def test_import_template_has_the_documented_headings(web):
    response = web("clerk").get("/ledger/import/template.xlsx")
    sheet = CalamineWorkbook.from_filelike(
        io.BytesIO(b"".join(response.streaming_content))
    ).get_sheet_by_index(0)
    from xinfang.reports.columns import match_heading

    headings = sheet.to_python()[0]
    assert all(match_heading(h) for h in headings) and len(headings) == 22
