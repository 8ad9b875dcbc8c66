"""Statistics in a real browser: the charts draw under the strict CSP, a number leads to the list
showing as many petitions, and the ledger downloads as a workbook."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from tests.e2e.conftest import DESKTOP, PASSWORD, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def test_statistics_number_to_list_and_ledger_download(live_server, organisation, browser_page):
    from tests.factories import register
    from xinfang.accounts.models import User

    clerk = User.objects.get(username="clerk")
    for seed in range(6):
        register(clerk, seed=seed)
    page = browser_page
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.click("nav >> text=统计")
    page.wait_for_selector("#section-channel [data-chart] canvas")
    assert not problems, problems  # no CSP refusal, no script error
    screenshot(page, "statistics.png")

    first = page.locator("#section-channel tbody tr").first
    count = first.locator("td a").first.inner_text()
    first.locator("td a").first.click()
    page.wait_for_url(re.compile(r".*/petitions/\?.*channel=.*"))
    shown = re.search(r"(\d+)", page.inner_text(".results__count")).group(1)
    assert shown == count

    page.go_back()
    with page.expect_download() as info:
        page.click("#ledger-xlsx")
    path = info.value.path()
    data = Path(path).read_bytes()
    assert data.startswith(b"PK")
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<row ") == 7  # the heading and six petitions
