"""A clerk registers a letter in a real browser (headless Chromium through Playwright).

Also produces the user guide's screenshots (docs/user-guide/img/).
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from tests.e2e.conftest import DESKTOP, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def test_a_clerk_registers_a_letter(live_server, organisation, browser_page, tmp_path):
    page = browser_page
    scan = tmp_path / "来信扫描.pdf"
    scan.write_bytes(PDF)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", "demo-pass-2026")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "我的工作" in page.content()

    page.goto(f"{live_server.url}/petitions/new/")
    # The channel has the focus; the reception block only shows for visits and calls.
    assert page.evaluate("document.activeElement.name") == "channel"
    assert page.is_hidden("#reception-block")
    page.check("input[name=channel][value=visit]")
    assert page.is_visible("#reception-block")
    page.check("input[name=channel][value=letter]")
    assert page.is_hidden("#reception-block")

    page.fill("#id_title", "小区路灯损坏三个月无人修理")
    page.fill("#id_content", "本人居住的小区内路灯损坏已有三个月，夜间出行不便，多次向物业反映无果。")
    page.fill("#id_requests", "请有关部门督促尽快修复路灯。")
    page.select_option("#id_category", "urban_construction")
    page.fill("#petitioners-0-name", "王五")
    page.fill("#petitioners-0-id_number", "11010519491231002X")
    page.fill("#petitioners-0-phone", "13800138000")
    page.fill("#petitioners-0-address", "某市某区幸福路 1 号")
    # Add a row from the <template> and take it away again.
    page.click("button[data-add-row=petitioner-template]")
    assert page.locator("#petitioner-rows [data-row]").count() == 2
    assert page.evaluate("document.activeElement.name") == "petitioners-1-name"
    page.locator("#petitioner-rows [data-row]").nth(1).locator("[data-remove-row]").click()
    assert page.locator("#petitioner-rows [data-row]").count() == 1
    page.set_input_files("#id_files", str(scan))
    screenshot(page, "registration-form.png")

    # Ctrl+Enter from the text area registers (app.js).
    page.focus("#id_content")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r".*/petitions/XF-\d{4}-\d{6}/$"))

    number = f"XF-{timezone.localdate().year}-000001"
    assert page.url.endswith(f"/petitions/{number}/")
    body = page.inner_text("main")
    assert number in body
    assert "来信扫描.pdf" in body
    assert "王五" in body
    assert "登记了信访事项" in body
    screenshot(page, "petition-page.png")

    # htmx: a second file from the petition page swaps the attachment list in place
    # (the CSRF token travels in hx-headers).
    second = tmp_path / "补充材料.pdf"
    second.write_bytes(PDF)
    page.set_input_files("#id_file", str(second))
    page.click("#attachments button[type=submit]")
    page.wait_for_selector("#attachments >> text=补充材料.pdf")
    assert page.url.endswith(f"/petitions/{number}/")
    assert "添加了附件“补充材料.pdf”" not in page.inner_text(".timeline")  # only the list was swapped

    # htmx: the list's filter form swaps the results and puts the filters in the address.
    page.goto(f"{live_server.url}/petitions/")
    page.fill("#f-q", "没有这样的词")
    page.press("#f-q", "Enter")
    page.wait_for_url(re.compile(r".*[?&]q=.*"))
    page.wait_for_selector("#results >> text=没有符合筛选条件的信访事项")
    page.fill("#f-q", "路灯")
    page.press("#f-q", "Enter")
    page.wait_for_selector(f"#results >> text={number}")


class Keys:
    """Key presses other than typed text, counted (issue 8's aim: 20 or fewer per letter)."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def press(self, key, times=1):
        for _ in range(times):
            self.count += 1
            self.page.keyboard.press(key)

    def at(self):
        return self.page.evaluate("document.activeElement.id || document.activeElement.name")


def test_a_trained_clerk_registers_a_letter_with_few_keys(live_server, organisation, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", "demo-pass-2026")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/petitions/new/")
    keys = Keys(page)
    assert keys.at() == "id_channel"  # a letter is the default; received now by default
    keys.press("Tab")
    assert keys.at() == "id_category_search"
    page.keyboard.type("城乡")  # the category by a word of its name, not arrow keys
    keys.press("Enter")
    assert page.input_value("#id_category") == "urban_construction"
    assert keys.at() == "id_title"
    page.keyboard.type("小区路灯损坏三个月无人修理")
    keys.press("Tab")
    page.keyboard.type("小区内路灯损坏已有三个月，夜间出行不便。")
    keys.press("Tab", 5)  # requests, the three flags
    assert keys.at() == "petitioners-0-name"
    page.keyboard.type("王五")
    keys.press("Tab")
    page.keyboard.type("11010519491231002X")
    keys.press("Tab")
    page.keyboard.type("13800138000")
    keys.press("Control+Enter")
    page.wait_for_url(re.compile(r".*/petitions/XF-\d{4}-\d{6}/$"))
    assert keys.count <= 20, keys.count


def test_after_an_error_the_cursor_is_in_the_field_and_units_are_ticked(
    live_server, organisation, browser_page
):
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", "demo-pass-2026")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/petitions/new/")
    page.fill("#id_content", "内容")
    page.fill("#id_involved_units_search", "住房")  # narrows the tick boxes to the housing bureau
    page.keyboard.press("Enter")
    ticked = page.locator("#involved-unit-list input:checked")
    assert ticked.count() == 1 and "住房" in ticked.locator("xpath=..").inner_text()
    page.click("main button[type=submit]")  # no title, no category: refused
    page.locator("#form-errors").wait_for()
    assert page.evaluate("document.activeElement.id") == "id_category_search"
    page.click("#form-errors a[href='#id_title']")
    assert page.evaluate("document.activeElement.id") == "id_title"
    assert page.locator("#involved-unit-list input:checked").count() == 1
