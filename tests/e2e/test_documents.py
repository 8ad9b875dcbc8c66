"""A clerk generates a 交办单 from the petition page, downloads its PDF and opens it: the
text read back carries the 文号 and the unit. With XINFANG_SCREENSHOTS=1 it also takes the
documents guide's screenshot of the panel."""

from __future__ import annotations

import subprocess

import pytest
from django.test import override_settings

from tests.documents.conftest import needs_soffice
from tests.e2e.conftest import DESKTOP, PASSWORD, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
    needs_soffice,
]


@override_settings(DOCUMENT_PDF_MODE="inline")
def test_generate_download_and_open_an_assignment_form(browser, live_server, organisation, tmp_path):
    from tests.conftest import letter
    from xinfang.accounts.models import Unit, User
    from xinfang.audit.services import Context
    from xinfang.documents.models import GeneratedDocument
    from xinfang.petitions.actions import perform
    from xinfang.petitions.services.checks import check_registration
    from xinfang.petitions.services.registration import register_petition

    users = {u.username: u for u in User.objects.all()}
    housing = Unit.objects.get(code="HOUSING")
    petition, _ = register_petition(ctx=Context(actor=users["clerk"]), data=check_registration(letter()))
    perform(Context(actor=users["clerk"]), petition, "propose", {"opinion": "拟交市住建局办理"})
    perform(Context(actor=users["secgen"]), petition, "instruct", {"instruction": "请市住建局核实处理。"})
    perform(
        Context(actor=users["clerk"]),
        petition,
        "assign",
        {
            "assignments": [
                {"unit": housing.pk, "role": "lead", "kind": "assignment", "due_date": "2030-01-31"}
            ]
        },
    )

    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "clerk")
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/petitions/{petition.number}/")
        page.click('#documents button[data-doc-type="assignment_form"]')
        page.locator("#documents .doc-pdf").wait_for(timeout=60_000)
        document = GeneratedDocument.objects.get()
        assert page.locator("#documents .doc-reference").first.inner_text() == document.reference
        screenshot(page, "documents-page.png")
        with page.expect_download() as info:
            page.click("#documents .doc-pdf")
        path = tmp_path / "jiaobandan.pdf"
        info.value.save_as(path)
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
        words = "".join(text.stdout.decode().split())
        assert document.reference in words
        assert "交办单" in words and "市住房和城乡建设局" in words and "2030年1月31日" in words
    finally:
        context.close()
