"""What a working day hits (issue 8): each role's menu, the deadlines page's default
and its empty answer, quiet zero counts, and where a matter is once one's own part
is done. Expectations are written out per role and state, by hand."""

from __future__ import annotations

import re

import pytest

from xinfang.audit.services import Context
from xinfang.petitions.actions import perform

NAV = re.compile(r'<nav class="site-nav".*?</nav>', re.S)

# The menu each role needs (links by URL), and the ones it must not have.
MENUS = {
    "clerk": ({"/petitions/", "/petitions/new/", "/deadlines/"}, {"/audit/", "/admin/"}),
    "secgen": ({"/petitions/", "/deadlines/"}, {"/audit/", "/admin/"}),
    "housing": ({"/petitions/", "/deadlines/"}, {"/petitions/new/", "/audit/", "/admin/"}),
    "auditor": ({"/audit/", "/audit/events/"}, {"/petitions/", "/deadlines/", "/admin/"}),
    "admin": ({"/admin/"}, {"/petitions/", "/deadlines/", "/audit/"}),
}


@pytest.mark.parametrize("username", sorted(MENUS))
def test_each_menu_links_the_pages_of_that_role(client_for, username):
    wanted, unwanted = MENUS[username]
    nav = NAV.search(client_for(username).get("/").content.decode()).group(0)
    links = set(re.findall(r'href="([^"]+)"', nav))
    assert wanted <= links, wanted - links
    assert not (unwanted & links), unwanted & links


def test_every_menu_link_opens_for_its_role(client_for):
    for username, (wanted, _unwanted) in MENUS.items():
        client = client_for(username)
        for link in wanted - {"/admin/"}:
            assert client.get(link).status_code == 200, (username, link)


@pytest.mark.parametrize(
    ("username", "scope"), [("clerk", "all"), ("secgen", "all"), ("deputy", "all"), ("housing", "unit")]
)
def test_the_deadlines_page_starts_with_what_the_role_watches(client_for, username, scope):
    html = client_for(username).get("/deadlines/").content.decode()
    assert f'<option value="{scope}" selected>' in html


def test_an_empty_deadline_list_says_nothing_was_found(client_for, demo_org):
    html = client_for("secgen", HTTP_ACCEPT_LANGUAGE="en").get("/deadlines/").content.decode()
    assert 'id="deadline-results"' in html
    assert "Nothing found: no deadline in this list is overdue." in html
    soon = client_for("housing", HTTP_ACCEPT_LANGUAGE="en").get("/deadlines/?state=due_soon&within_hours=5")
    text = soon.content.decode()
    assert "no deadline falls due within 5 hours" in text
    assert 'href="?state=due_soon&amp;scope=all"' in text  # a way to widen the list


def test_an_overdue_deadline_is_listed_for_a_leader_by_default(client_for, drive):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now() - timedelta(days=30), tick=False):
        petition = drive("registered")
    html = client_for("secgen").get("/deadlines/").content.decode()
    assert petition.number in html


def test_zero_counts_are_quiet_and_others_stand_out(client_for, drive):
    html = client_for("clerk").get("/").content.decode()
    # Nothing registered yet: every count is zero, none styled as a warning or a to-do.
    counts = re.findall(r'<a class="(card[^"]*)"[^>]*>\s*<span class="card__count">(\d+)</span>', html)
    assert counts and all("card--zero" in cls and "card--alert" not in cls for cls, n in counts if n == "0")
    drive("registered")
    html = client_for("clerk").get("/").content.decode()
    counts = re.findall(r'<a class="(card[^"]*)"[^>]*>\s*<span class="card__count">(\d+)</span>', html)
    assert any(n != "0" for _cls, n in counts)
    assert all(("card--zero" in cls) == (n == "0") for cls, n in counts)


def _step(html):
    match = re.search(r'<p class="next-step" data-next-step>(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else None


def test_after_proposing_the_page_says_who_has_the_matter(client_for, drive, demo_org):
    users, _units = demo_org
    petition = drive("proposed")
    html = (
        client_for("clerk", HTTP_ACCEPT_LANGUAGE="en").get(f"/petitions/{petition.number}/").content.decode()
    )
    assert "Where the matter is now" in html
    step = _step(html)
    assert users["secgen"].display_name in step and "give an instruction" in step and "Rule 3.2" in step


def test_after_assigning_the_page_names_the_lead_unit_then_its_officer(client_for, drive, demo_org):
    users, units = demo_org
    petition = drive("assigned")
    client = client_for("clerk", HTTP_ACCEPT_LANGUAGE="en")
    step = _step(client.get(f"/petitions/{petition.number}/").content.decode())
    assert units["HOUSING"].name in step and "takes it on" in step
    perform(Context(actor=users["housing"]), petition, "accept_assignment", {})
    step = _step(client.get(f"/petitions/{petition.number}/").content.decode())
    assert users["housing"].display_name in step and "submit the findings" in step


def test_the_next_step_is_in_chinese_by_default(client_for, drive, demo_org):
    users, _units = demo_org
    petition = drive("proposed")
    step = _step(client_for("clerk").get(f"/petitions/{petition.number}/").content.decode())
    assert step.startswith("现由") and users["secgen"].display_name in step


def test_a_finished_matter_has_no_next_step(client_for, drive):
    petition = drive("archived")
    assert _step(client_for("clerk").get(f"/petitions/{petition.number}/").content.decode()) is None


def test_a_leader_goes_from_my_work_straight_to_the_instruction(client_for, drive):
    petition = drive("proposed")
    html = client_for("secgen").get("/").content.decode()
    link = f'href="/petitions/{petition.number}/actions/instruct/" data-quick-action="instruct"'
    assert link in html
    assert "data-quick-action" not in client_for("clerk").get("/").content.decode()  # clerks: cards only


def test_the_instruct_form_shows_the_matter_before_the_field(client_for, drive):
    petition = drive("proposed")
    for headers in ({}, {"HX-Request": "true"}):
        html = client_for("secgen").get(f"/petitions/{petition.number}/actions/instruct/", headers=headers)
        html = html.content.decode()
        matter, field = html.index("data-matter"), html.index('<textarea id="act-instruction"')
        assert matter < field and html.index(petition.content[:10]) < field


def test_the_sign_off_form_focuses_the_password(client_for, drive):
    petition = drive("result_submitted")
    html = client_for("deputy").get(f"/petitions/{petition.number}/actions/sign_off/").content.decode()
    assert re.search(r'<input type="password" id="act-password"[^>]* autofocus', html)
    wrong = client_for("deputy").post(f"/petitions/{petition.number}/actions/sign_off/", {"password": "x"})
    assert wrong.status_code == 403
