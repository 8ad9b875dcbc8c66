"""A leader's phone, and the browser's view of htmx swaps (issue 8, "a working day").

- From sign-in to an instruction given in at most three taps on a phone (we count the
  taps: typing is not a tap), with the matter to decide shown above the instruction field.
- Signing off on a phone: the password field has the focus when the form opens.
- No Content-Security-Policy violation on any htmx swap (htmx used to settle `style`
  attributes, and style-src 'self' refuses them).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


def _petition(state):
    from tests.workflow.conftest import PATHS, registration
    from xinfang.accounts.models import Unit, User
    from xinfang.audit.services import Context
    from xinfang.petitions.actions import perform
    from xinfang.petitions.services.checks import check_registration
    from xinfang.petitions.services.registration import register_petition

    users = {u.username: u for u in User.objects.all()}
    units = {u.code: u for u in Unit.objects.all()}
    petition, _ = register_petition(
        ctx=Context(actor=users["clerk"]), data=check_registration(registration(units))
    )

    def run(path):
        for step in PATHS[path]:
            if isinstance(step, str):
                run(step)
            else:
                who, action, body = step
                perform(Context(actor=users[who]), petition, action, body(units))

    run(state)
    return petition


class Phone:
    """A signed-in phone whose taps are counted and whose console is watched for CSP reports."""

    def __init__(self, browser, base, username):
        self.context = browser.new_context(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True)
        self.page = self.context.new_page()
        self.violations = []
        self.page.on(
            "console",
            lambda message: (
                self.violations.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        self.page.goto(f"{base}/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("main button[type=submit]")
        self.page.wait_for_url(f"{base}/")
        self.taps = 0

    def tap(self, selector):
        self.taps += 1
        self.page.locator(selector).first.tap()

    def close(self):
        self.context.close()


def test_a_leader_instructs_in_three_taps_with_the_matter_first(browser, live_server, organisation):
    petition = _petition("proposed")
    phone = Phone(browser, live_server.url, "secgen")
    try:
        page = phone.page
        phone.tap(f'[data-quick-action="instruct"][href*="{petition.number}"]')
        field = page.locator("#act-instruction")
        field.wait_for()
        matter = page.locator("[data-matter]")
        assert matter.is_visible() and petition.title in matter.inner_text()
        assert matter.bounding_box()["y"] < field.bounding_box()["y"]
        assert page.evaluate("document.activeElement.id") == "act-instruction"
        page.keyboard.type("同意，请市住建局核实处理。")
        phone.tap("#action-form-instruct button[type=submit]")
        page.wait_for_url(f"{live_server.url}/petitions/{petition.number}/")
        assert page.locator(".status--instructed").is_visible()
        assert phone.taps <= 3, phone.taps
        assert phone.violations == []
    finally:
        phone.close()


def test_signing_off_on_a_phone_starts_in_the_password_and_swaps_cleanly(browser, live_server, organisation):
    petition = _petition("result_submitted")
    phone = Phone(browser, live_server.url, "deputy")
    try:
        page = phone.page
        page.goto(f"{live_server.url}/petitions/{petition.number}/")
        phone.tap('#actions [data-action="sign_off"]')  # htmx swaps the form in
        page.locator("#action-form-sign_off").wait_for()
        expect(page.locator("#act-password")).to_be_focused()  # no string predicate: CSP forbids eval
        # A wrong password comes back in place (a second swap), the cursor in the password again.
        page.keyboard.type("wrong-password")
        phone.tap("#action-form-sign_off button[type=submit]")
        page.locator("#action-form-sign_off [data-refusal]").wait_for()
        expect(page.locator("#act-password")).to_be_focused()  # no string predicate: CSP forbids eval
        page.keyboard.type(PASSWORD)
        # Elements that carry a style attribute (written through the CSSOM, as browser
        # features and extensions do, which CSP allows) must not make the swap write one.
        page.evaluate(
            "(() => { const e = document.getElementById('actions'); e.style.color = 'red'; e.style.color = ''; })()"
        )
        assert page.evaluate("document.getElementById('actions').hasAttribute('style')")
        phone.tap("#action-form-sign_off button[type=submit]")
        page.locator(".message--success").wait_for()  # the whole petition body swapped in
        assert phone.violations == [], phone.violations
    finally:
        phone.close()
