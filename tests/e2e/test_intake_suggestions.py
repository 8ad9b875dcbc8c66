"""The registration page shows similar petitions and a preselected suggested category as the
clerk types (htmx, debounced), and the header's search box finds a petition (issue 10)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import DESKTOP, PASSWORD, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

LIFT = "幸福里小区3号楼的电梯从上个月开始经常停运，老人上下楼非常困难，物业一直推诿不修。"


@pytest.fixture
def history(organisation):
    """Some registered history: lifts are urban construction, wages are labour."""
    from tests.factories import registration_data
    from xinfang.accounts.models import User
    from xinfang.audit.services import Context
    from xinfang.petitions.services.checks import check_registration
    from xinfang.petitions.services.registration import register_petition
    from xinfang.search.suggest import train

    ctx = Context(actor=User.objects.get(username="clerk"))
    made = []
    for i in range(12):
        for seed, title, content, category in (
            (10 + i, f"电梯故障{i}", f"小区电梯坏了第{i}次，物业不修。", "urban_construction"),
            (40 + i, f"拖欠工资{i}", f"公司拖欠工资{i}个月，老板失联。", "labour_social_security"),
        ):
            data = registration_data(seed, title=title, content=content, category=category)
            made.append(register_petition(ctx=ctx, data=check_registration(data))[0])
    lift = registration_data(99, title="电梯停运", content=LIFT, category="urban_construction")
    made.append(register_petition(ctx=ctx, data=check_registration(lift))[0])
    assert train() is not None
    return made


def test_registration_shows_similar_petitions_and_suggests_a_category(live_server, history, browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "clerk")
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/petitions/new/")
        assert page.is_visible("#similar-panel")
        assert page.input_value("#id_category") == ""
        page.fill("#id_title", "电梯又停运了")
        page.fill("#id_content", "【转发】" + LIFT + "希望尽快处理！")
        similar = page.wait_for_selector(f"[data-similar='{history[-1].number}']", timeout=15000)
        assert similar is not None
        # The best suggestion is preselected; the clerk still confirms it by registering.
        page.wait_for_function("document.getElementById('id_category').value !== ''", timeout=15000)
        assert page.input_value("#id_category") == "urban_construction"
        screenshot(page, "registration-similar.png")

        # The header's search box finds the matter from any page.
        page.fill("#header-q", "幸福里 电梯")
        page.press("#header-q", "Enter")
        page.wait_for_url("**/petitions/?q=*")
        assert history[-1].number in page.content()
        assert page.locator(".snippet mark").count() >= 1
    finally:
        context.close()
