"""Sign-in, home per role, the petition list with filters and paging, error pages."""

from __future__ import annotations

import pytest
from django.test import Client

from xinfang.petitions.models import Petition

PASSWORD = "demo-pass-2026"


def test_sign_in_page_is_styled_and_has_no_demo_hint(db):
    response = Client().get("/accounts/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "xinfang/css/app.css" in html
    assert "登录" in html
    assert PASSWORD not in html and "demo" not in html.lower()


def test_sign_in_with_the_right_password_goes_home(demo_org):
    client = Client()
    response = client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "我的工作" in client.get("/").content.decode()


def test_sign_in_with_a_wrong_password_says_so(demo_org):
    client = Client()
    response = client.post("/accounts/login/", {"username": "clerk", "password": "wrong-password"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_anonymous_users_are_sent_to_sign_in(db):
    for url in ("/", "/petitions/", "/petitions/new/", "/petitions/XF-2026-000001/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_sign_out_is_a_post(client_for):
    client = client_for("clerk")
    html = client.get("/").content.decode()
    assert 'action="/accounts/logout/" method="post"' in html
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("username", "sees_petitions", "text"),
    [
        ("clerk", True, "待拟办"),
        ("clerk2", True, "待拟办"),
        ("secgen", True, "待拟办"),
        ("chair", True, "待拟办"),
        ("deputy", True, "待拟办"),
        ("housing", False, "承办人员"),
        ("labour", False, "承办人员"),
        ("police", False, "承办人员"),
        ("auditor", False, "审计管理员"),
        ("admin", False, "系统管理员"),
    ],
)
def test_home_for_each_demo_role(client_for, make_petition, username, sees_petitions, text):
    petition = make_petition(title="路灯不亮")
    html = client_for(username).get("/").content.decode()
    assert text in html
    assert ("路灯不亮" in html) == (username == "clerk")
    assert (petition.number in html) == (username == "clerk")
    assert ('href="/petitions/new/"' in html) == sees_petitions
    assert ('href="/admin/"' in html) == (username == "admin")


def test_home_counts_link_to_the_filtered_list(client_for, make_petition):
    make_petition()
    make_petition(actor="clerk2")
    html = client_for("clerk").get("/").content.decode()
    assert 'href="/petitions/?status=open&amp;mine=1"' in html
    assert 'href="/petitions/?status=registered"' in html
    assert 'href="/petitions/?status=open&amp;overdue=1"' in html


def test_list_filters_by_text_channel_and_mine(client_for, make_petition):
    make_petition(title="噪音扰民")
    make_petition(title="拖欠工资", actor="clerk2", category="labour_social_security")
    client = client_for("clerk")
    html = client.get("/petitions/", {"q": "噪音"}).content.decode()
    assert "噪音扰民" in html and "拖欠工资" not in html
    html = client.get("/petitions/", {"mine": "1"}).content.decode()
    assert "噪音扰民" in html and "拖欠工资" not in html
    html = client.get("/petitions/", {"category": "labour_social_security"}).content.decode()
    assert "噪音扰民" not in html and "拖欠工资" in html
    html = client.get("/petitions/", {"channel": "visit"}).content.decode()
    assert "噪音扰民" not in html and "拖欠工资" not in html
    assert "没有符合筛选条件的信访事项" in html


def test_list_pages_by_25_and_page_links_keep_the_filters(client_for, make_petition):
    for _ in range(27):
        make_petition()
    client = client_for("clerk")
    first = client.get("/petitions/", {"status": "open"}).content.decode()
    assert first.count('href="/petitions/XF-') == 25
    # The link also carries the key of the last row (keyset paging, issue 9).
    assert 'href="?status=open&amp;page=2&amp;after=' in first
    second = client.get("/petitions/", {"status": "open", "page": "2"}).content.decode()
    assert second.count('href="/petitions/XF-') == 2
    # Nonsense page numbers show a page, not an error.
    assert client.get("/petitions/", {"page": "abc"}).status_code == 200
    assert client.get("/petitions/", {"page": "999"}).status_code == 200


def test_a_bad_filter_is_a_400_with_the_message_next_to_the_form(client_for):
    response = client_for("clerk").get("/petitions/", {"received_after": "2026-13-45", "status": "nonsense"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "日期无效" in html
    assert "未知的状态" in html
    assert 'name="received_after"' in html  # the filter form is still there to fix it


def test_the_htmx_filter_answers_with_the_results_fragment_only(client_for, make_petition):
    make_petition(title="噪音扰民")
    client = client_for("clerk")
    response = client.get("/petitions/", {"q": "噪音"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html and "噪音扰民" in html
    assert "HX-Request" in response["Vary"]
    bad = client.get("/petitions/", {"overdue": "maybe"}, headers={"HX-Request": "true"})
    assert bad.status_code == 400 and '<section id="results"' in bad.content.decode()
    # Going back in history asks for the URL again: that needs the whole page.
    restore = client.get("/petitions/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.content.decode()


def test_the_list_shows_flags(client_for, make_petition):
    make_petition(important=True, urgent=True)
    html = client_for("clerk").get("/petitions/").content.decode()
    assert "badge--important" in html and "badge--urgent" in html


def test_list_query_count_is_fixed(client_for, make_petition, django_assert_num_queries):
    for _ in range(3):
        make_petition()
    client = client_for("clerk")
    client.get("/petitions/")  # warm the session
    with django_assert_num_queries(6):
        # 1 the session with its user, the user's roles (visible_to, navigation) and unit (the
        # firewall's ancestors, the header) in one statement (accounts/sessions.py; 2 before
        # issue 9's round 13), 2 count for the paginator, 3 the active categories for the
        # filter form, 4 the page of petitions with category and first responder, 5 the
        # overdue clocks of that page's petitions only (issue 9: an EXISTS per row hashed every
        # overdue clock), 6 the header's unread notifications.
        client.get("/petitions/")
    for _ in range(5):
        make_petition()
    with django_assert_num_queries(6):
        client.get("/petitions/")  # the same for more rows: nothing per row
    with django_assert_num_queries(4):
        # The filter form's swap of the results alone: no header (so no unread count), and no
        # categories for a form it does not send (6 before issue 9's round 11).
        client.get("/petitions/", {"status": "registered"}, headers={"HX-Request": "true"})


def test_404_and_403_pages_use_the_layout(client_for):
    response = client_for("clerk").get("/petitions/XF-2026-999999/")
    assert response.status_code == 404
    assert "app.css" in response.content.decode() and "未找到" in response.content.decode()
    response = client_for("admin").get("/petitions/new/")
    assert response.status_code == 403
    assert "app.css" in response.content.decode()


def test_no_inline_scripts_or_handlers(client_for, make_petition):
    petition = make_petition()
    client = client_for("clerk")
    for url in ("/", "/petitions/", "/petitions/new/", f"/petitions/{petition.number}/"):
        html = client.get(url).content.decode()
        assert "<script>" not in html
        assert " onclick=" not in html and " onchange=" not in html and " onsubmit=" not in html
        assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_petitions_are_not_created_by_reading(client_for):
    client_for("clerk").get("/petitions/new/")
    assert not Petition.objects.exists()
