"""Every table on a phone (390 px): a list of records turns into labelled lines, so each value
must carry its column's name; a table of figures (statistics, the standard report) stays a table
that scrolls sideways inside its frame. Either way the page itself never scrolls sideways."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PASSWORD, PHONE
from tests.reports.ledgers import csv_bytes, row

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

# What the browser draws, read back from the page: for each table, how it is laid out and, for
# each value cell drawn as a line, the label the stylesheet puts before it.
TABLES = """() => [...document.querySelectorAll('main table.table')]
  .filter(t => t.offsetParent !== null)
  .map(t => ({
    id: t.id || t.className,
    display: getComputedStyle(t).display,
    head: t.tHead ? getComputedStyle(t.tHead).display : null,
    frame: t.parentElement.scrollWidth > t.parentElement.clientWidth
      ? getComputedStyle(t.parentElement).overflowX : 'fits',
    unlabelled: [...t.querySelectorAll('tbody td')]
      .filter(td => !td.hasAttribute('colspan') && td.offsetParent !== null)
      .filter(td => getComputedStyle(td).display === 'block')
      .filter(td => getComputedStyle(td, '::before').content.replace(/["：\\s]/g, '').length === 0)
      .map(td => td.innerText.trim()).slice(0, 3),
  }))"""


def sign_in(browser, base, username):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def check_tables(page, where, *, expect_tables=1):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], where
    tables = page.evaluate(TABLES)
    assert len(tables) >= expect_tables, (where, tables)
    for table in tables:
        if table["display"] == "table":
            # Kept as a table: its headings show and a wide one scrolls inside its frame.
            assert table["head"] != "none", (where, table)
            assert table["frame"] in ("fits", "auto", "scroll"), (where, table)
        else:
            assert table["unlabelled"] == [], (where, table)
    return tables


def test_every_table_reads_on_a_phone(live_server, organisation, browser, tmp_path):
    from tests.factories import register
    from xinfang.accounts.models import User

    clerk = User.objects.get(username="clerk")
    first = register(clerk, seed=1)
    for seed in range(2, 7):
        register(clerk, seed=seed)
    base = live_server.url

    page = sign_in(browser, base, "clerk")
    for path in ("/statistics/", "/statistics/report/", "/outstanding/"):
        page.goto(base + path)
        check_tables(page, path)

    # The import's check: the plan of a good file, then the errors of a bad one.
    good = tmp_path / "ledger.csv"
    good.write_bytes(csv_bytes([row("OLD-1"), row("OLD-2", title="井盖缺失")]))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([row("OLD-3", received="去年")]))
    for upload in (good, bad):
        page.goto(base + "/ledger/import/")
        page.set_input_files("#i-file", str(upload))
        page.click(".upload-form button[type=submit]")
        page.wait_for_selector("#import-report")
        check_tables(page, f"import {upload.name}")

    # The similar petitions beside the registration form.
    page.goto(base + "/petitions/new/")
    page.fill("#id_title", first.title)
    page.fill("#id_content", first.content)
    page.wait_for_selector(f"[data-similar='{first.number}']", timeout=15000)
    check_tables(page, "intake panel")

    auditor = sign_in(browser, base, "auditor")
    for path in ("/audit/", "/audit/events/"):
        auditor.goto(base + path)
        check_tables(auditor, path)
