"""The header's menu, language switch and tool links for each role, in Chinese and English,
against a matrix written out here by hand (issue 9: the menu is built once per language and
set of roles, no longer by the template per request). Every entry's address, label, order,
the current page's mark and the unread badge are compared."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from xinfang.accounts.models import Role, UserRole
from xinfang.notifications.models import Notification

NAV = re.compile(r'<nav class="site-nav".*?</nav>', re.S)
ENTRY = re.compile(r'<li><a href="([^"]+)"( aria-current="page")?>(.*?)</a></li>', re.S)

# address → (Chinese label, English label)
LABELS = {
    "/": ("我的工作", "My work"),
    "/petitions/": ("信访事项", "Petitions"),
    "/petitions/new/": ("登记信访事项", "Register a petition"),
    "/intake/": ("网上信访受理", "Online intake"),
    "/deadlines/": ("期限", "Deadlines"),
    "/audit/": ("访问日志", "Access log"),
    "/audit/events/": ("事件日志", "Event log"),
    "/statistics/": ("统计", "Statistics"),
    "/notifications/": ("通知", "Notifications"),
    "/admin/": ("系统管理", "Administration"),
    "/documents/masters/": ("文书模板", "Document masters"),
}
OFFICE = ["/", "/petitions/", "/petitions/new/", "/intake/", "/deadlines/", "/statistics/", "/notifications/"]
# Each role's menu, in order (administrators see no petition pages: 三员分立).
MENUS = {
    "clerk": OFFICE,
    "secgen": OFFICE,
    "chair": OFFICE,
    "deputy": OFFICE,
    "housing": ["/", "/petitions/", "/deadlines/", "/statistics/", "/notifications/"],
    "auditor": ["/", "/audit/", "/audit/events/", "/notifications/"],
    "admin": ["/", "/notifications/", "/admin/", "/documents/masters/"],
}
LANGUAGES = {"zh-hans": 0, "en": 1}


def _menu(html: str) -> list[tuple[str, bool, str]]:
    """(address, marked current, label without tags) per entry of the page's menu."""
    nav = NAV.search(html).group(0)
    return [
        (href, bool(current), re.sub(r"<[^>]+>", "", label)) for href, current, label in ENTRY.findall(nav)
    ]


def _expected(addresses, language, current=None):
    return [(a, a == current, LABELS[a][LANGUAGES[language]]) for a in addresses]


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("username", sorted(MENUS))
def test_each_role_sees_its_menu_in_each_language(client_for, username, language):
    client = client_for(username, HTTP_ACCEPT_LANGUAGE=language)
    html = client.get("/").content.decode()
    assert _menu(html) == _expected(MENUS[username], language, current="/")
    # The switch lists both languages, the page's own selected, named in the page's language
    # (the catalogue translates "English"; "简体中文" is the same in both).
    assert re.findall(r'<option value="([^"]+)" lang="([^"]+)"( selected)?>([^<]+)</option>', html) == [
        ("zh-hans", "zh-hans", " selected" if language == "zh-hans" else "", "简体中文"),
        ("en", "en", " selected" if language == "en" else "", "English" if language == "en" else "英语"),
    ]
    assert f'<html lang="{language}">' in html
    for form in ('class="header-search" role="search" action="/petitions/"', 'action="/i18n/setlang/"'):
        assert form in html
    assert 'action="/accounts/logout/"' in html and '<a class="site-name" href="/">' in html


@pytest.mark.parametrize(
    ("username", "page"),
    [("clerk", "/petitions/"), ("clerk", "/deadlines/"), ("clerk", "/intake/"), ("housing", "/statistics/")]
    + [("auditor", "/audit/events/"), ("admin", "/documents/masters/"), ("admin", "/notifications/")],
)
def test_the_current_page_is_marked_and_only_it(client_for, username, page):
    response = client_for(username).get(page)
    assert response.status_code == 200
    assert _menu(response.content.decode()) == _expected(MENUS[username], "zh-hans", current=page)


def test_a_page_outside_the_menu_marks_nothing(client_for):
    html = client_for("clerk", HTTP_ACCEPT_LANGUAGE="en").get("/no-such-page/").content.decode()
    assert _menu(html) == _expected(MENUS["clerk"], "en")


def test_the_unread_badge_in_both_languages(client_for, demo_org, make_petition):
    users, _units = demo_org
    petition = make_petition()
    for _ in range(2):
        Notification.objects.create(recipient=users["clerk"], petition=petition, kind="assigned")
    Notification.objects.create(
        recipient=users["clerk"], petition=petition, kind="assigned", read_at=timezone.now()
    )
    for language, word in (("zh-hans", "未读"), ("en", "unread")):
        nav = NAV.search(client_for("clerk", HTTP_ACCEPT_LANGUAGE=language).get("/").content.decode()).group(
            0
        )
        badge = f' <span class="badge badge--count" data-unread>2<span class="visually-hidden"> {word}</span></span></a></li>'
        assert badge in nav and nav.count("data-unread") == 1
        assert _menu(nav)[-1] == (
            "/notifications/",
            False,
            f"{LABELS['/notifications/'][LANGUAGES[language]]} 2 {word}",
        )
    # None unread for the Secretary-General: no badge.
    assert "data-unread" not in client_for("secgen").get("/").content.decode()


def test_a_second_role_adds_its_entries_and_a_removed_one_takes_them_away(client_for, demo_org):
    users, _units = demo_org
    clerk2 = users["clerk2"]
    assert _menu(client_for("clerk2").get("/").content.decode()) == _expected(OFFICE, "zh-hans", "/")
    UserRole.objects.create(user=clerk2, role=Role.AUDIT_ADMIN)
    both = ["/", "/petitions/", "/petitions/new/", "/intake/", "/deadlines/", "/audit/", "/audit/events/"]
    both += ["/statistics/", "/notifications/"]
    for language in LANGUAGES:
        html = client_for("clerk2", HTTP_ACCEPT_LANGUAGE=language).get("/").content.decode()
        assert _menu(html) == _expected(both, language, "/")
    UserRole.objects.filter(user=clerk2, role=Role.CLERK).delete()
    html = client_for("clerk2", HTTP_ACCEPT_LANGUAGE="en").get("/audit/").content.decode()
    assert _menu(html) == _expected(MENUS["auditor"], "en", "/audit/")


def test_signed_out_pages_have_no_menu_but_the_switch(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "site-nav" not in html and 'action="/petitions/"' not in html
    assert '<option value="en" lang="en" selected>English</option>' in html
