"""The public portal's journey in a real browser (issue 13, "Done when"): on a 390 px phone a
citizen submits with an attachment and keeps the slip; a clerk accepts it; a leader instructs;
the unit handles; the office replies; the citizen reads the reply with the query code and rates
it 不满意; the petition appears in the leaders' queue of unsatisfactory ratings. Every portal
page is checked with axe-core (no serious or critical violation).

axe-core comes with the test-only package axe-playwright-python and is injected by the test
(through the DevTools protocol, which the page's CSP does not govern); it is never served.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import PDF
from tests.e2e.conftest import PASSWORD, PHONE, screenshot
from tests.e2e.test_procedure import Office, act, fits_the_screen

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


def accessible(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in bad]


@pytest.fixture
def office(browser, live_server, organisation, settings):
    # Demo mode's CAPTCHA answer, as under `make run`; the real check is tested in tests/portal.
    settings.PORTAL_DEMO_CAPTCHA = True
    office = Office(browser, live_server.url)
    yield office
    office.close()


def test_a_citizen_submits_follows_and_rates_online(office, tmp_path):
    base = office.base
    context = office.browser.new_context(viewport=PHONE, locale="zh-CN")
    citizen = context.new_page()
    errors = []
    # Script errors only: the refused first try answers 400 on purpose, which Chromium logs too.
    citizen.on("pageerror", lambda exc: errors.append(str(exc)))

    citizen.goto(f"{base}/portal/")
    assert "受理范围" in citizen.inner_text("main") and fits_the_screen(citizen)
    accessible(citizen)
    screenshot(citizen, "portal-notice-phone.png")

    citizen.click("main a.portal-button >> nth=0")
    citizen.wait_for_url(f"{base}/portal/submit")
    accessible(citizen)
    # A first try with mistakes: refused in place, nothing lost.
    citizen.fill("#id_title", "小区路灯损坏三个月无人修理")
    citizen.fill("#id_content", "小区内路灯损坏已有三个月，夜间出行不便，多次向物业反映无果。")
    citizen.fill("#id_name", "王五")
    citizen.fill("#id_id_number", "110105194912310021")  # wrong check digit
    citizen.fill("#id_phone", "13800138000")
    citizen.fill("#id_captcha", "PASSED")
    citizen.click("main button[type=submit]")
    citizen.locator("#id_number-errors").wait_for()
    assert "校验" in citizen.inner_text("#id_number-errors")
    assert citizen.input_value("#id_title") == "小区路灯损坏三个月无人修理"
    accessible(citizen)
    assert fits_the_screen(citizen)

    scan = tmp_path / "现场照片.pdf"
    scan.write_bytes(PDF)
    citizen.fill("#id_id_number", "11010519491231002X")
    citizen.fill("#id_address", "通川区朝阳路1号")
    citizen.set_input_files("#id_files", str(scan))
    citizen.select_option("#id_category", "urban_construction")
    citizen.fill("#id_captcha", "PASSED")
    citizen.check("#id_consent")
    screenshot(citizen, "portal-submit-phone.png")
    citizen.click("main button[type=submit]")
    citizen.locator("#query-code").wait_for()
    code = citizen.inner_text("#query-code").strip()
    secret = citizen.inner_text("#query-secret").strip()
    assert code.startswith("WS") and len(secret) == 8
    assert fits_the_screen(citizen)
    accessible(citizen)
    screenshot(citizen, "portal-slip-phone.png")

    # The clerk takes it in: the registration is prefilled; the number is allocated now.
    clerk = office.page("clerk")
    clerk.goto(f"{base}/intake/")
    clerk.click("text=小区路灯损坏三个月无人修理")
    assert clerk.input_value("#in-phone") == "13800138000"
    assert "现场照片.pdf" in clerk.inner_text("main")
    screenshot(clerk, "intake-accept.png")
    clerk.click("#intake-accept button[type=submit]")
    clerk.wait_for_url(f"{base}/petitions/XF-*/")
    number = clerk.url.rstrip("/").rsplit("/", 1)[1]
    assert "现场照片.pdf" in clerk.inner_text("main")
    act(clerk, "propose", lambda f: f.locator("[name=opinion]").fill("拟转市住房和城乡建设局核实处理。"))

    secgen = office.open("secgen", number, PHONE)
    act(secgen, "instruct", lambda f: f.locator("[name=instruction]").fill("请市住建局核实处理。"))
    clerk = office.open("clerk", number)
    act(
        clerk,
        "assign",
        lambda f: f.locator("[name=assignments-0-unit]").select_option(label="市住房和城乡建设局"),
    )
    housing = office.open("housing", number)
    act(housing, "accept_assignment")

    def result(form):
        form.locator("[name=findings]").fill("经现场核实，路灯线路老化损坏。")
        form.locator("[name=result]").fill("已责成物业更换线路。")

    act(housing, "submit_result", result)
    act(housing, "sign_off", lambda f: f.locator("[name=password]").fill(PASSWORD))
    deputy = office.open("deputy", number, PHONE)
    act(deputy, "sign_off", lambda f: f.locator("[name=password]").fill(PASSWORD))
    clerk = office.open("clerk", number)

    def reply(form):
        form.locator("input[name=method][value=written]").check()
        form.locator("[name=content]").fill("经核实，已责成物业更换线路，路灯将于一周内修复。")

    act(clerk, "reply", reply)

    # The citizen reads the reply with the code and secret, and rates it 不满意.
    citizen.goto(f"{base}/portal/status")
    accessible(citizen)
    citizen.fill("#status-code", code)
    citizen.fill("#status-secret", secret)
    citizen.click("main button[type=submit]")
    citizen.locator("#reply").wait_for()
    assert "路灯将于一周内修复" in citizen.inner_text("#reply")
    assert citizen.inner_text("#petition-number") == number
    text = citizen.inner_text("main")
    for private in [
        "拟转市住房和城乡建设局核实处理",
        "请市住建局核实处理",
        "路灯线路老化损坏",
        "张丽",
        "赵敏",
    ]:
        assert private not in text, private
    accessible(citizen)
    citizen.check("#rating-unsatisfied")
    citizen.fill("#id_comment", "一个月过去了路灯还是不亮。")
    screenshot(citizen, "portal-rate-phone.png")
    citizen.click("button[name=rate]")
    citizen.locator(".portal-success").wait_for()
    assert fits_the_screen(citizen)
    accessible(citizen)
    assert not errors, errors

    # The petition is in the leaders' queue with the comment on its timeline.
    leader = office.page("secgen", PHONE)
    leader.goto(f"{base}/")
    leader.click('[data-queue="unsatisfied_ratings"]')
    leader.click(f"text={number}")
    leader.wait_for_url(f"{base}/petitions/{number}/")
    assert "一个月过去了路灯还是不亮。" in leader.inner_text(".timeline")
    screenshot(leader, "leader-unsatisfied-phone.png", full_page=False)
    act(leader, "rework", lambda f: f.locator("[name=reason]").fill("请住建局重新核实，限期修复。"))
    assert leader.locator(".status--assigned").is_visible()
    context.close()
