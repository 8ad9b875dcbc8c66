"""Work queues on the home page and their pages; notifications, the header badge, reading them."""

from __future__ import annotations

import pytest

from xinfang.audit.services import Context
from xinfang.notifications.models import Notification
from xinfang.petitions.actions import perform
from xinfang.petitions.models import Deadline


@pytest.mark.parametrize(
    ("username", "state", "queue", "label"),
    [
        ("clerk", "registered", "to_propose", "待拟办"),
        ("clerk", "instructed", "to_assign", "待转办/交办"),
        ("clerk", "confirmed", "to_reply", "待答复"),
        ("clerk", "closed", "to_archive", "待归档"),
        ("secgen", "proposed", "to_instruct", "待阅批"),
        ("deputy", "result_submitted", "to_sign", "待签字确认的结果"),
        ("housing", "assigned", "assigned_to_my_unit", "转交本单位的"),
        ("housing", "result_submitted", "to_sign", "待签字确认的结果"),
    ],
)
def test_each_role_finds_its_work_from_the_home_page(client_for, drive, username, state, queue, label):
    petition = drive(state)
    client = client_for(username)
    home = client.get("/").content.decode()
    assert f'href="/queues/{queue}/"' in home and label in home
    card = home.split(f'href="/queues/{queue}/"', 1)[1].split("</a>", 1)[0]
    assert '<span class="card__count">1</span>' in card
    page = client.get(f"/queues/{queue}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert label in html and f'href="/petitions/{petition.number}/"' in html


def test_handlers_get_their_queues_instead_of_the_placeholder(client_for, drive):
    drive("assigned")
    html = client_for("housing").get("/").content.decode()
    assert "/queues/assigned_to_my_unit/" in html and "/queues/due_soon/" in html
    assert "/queues/to_propose/" not in html and "待拟办" not in html
    # Labour assists on the same petition: it is "assigned to my unit" for them too.
    assert "/queues/assigned_to_my_unit/" in client_for("labour").get("/").content.decode()
    # Administrators keep their page without petitions.
    admin = client_for("admin").get("/").content.decode()
    assert "/queues/" not in admin and "系统管理员" in admin


def test_someone_elses_queue_is_not_found(client_for):
    assert client_for("housing").get("/queues/to_propose/").status_code == 404
    assert client_for("clerk").get("/queues/assigned_to_my_unit/").status_code == 404
    assert client_for("clerk").get("/queues/nonsense/").status_code == 404
    assert client_for("clerk").get("/queues/to_propose/").status_code == 200


def test_queue_pages_page_and_mark_overdue(client_for, drive, demo_org):
    from django.utils import timezone

    first = drive("registered")
    for _ in range(25):
        drive("registered")
    Deadline.objects.filter(petition=first).update(due_at=timezone.now() - timezone.timedelta(days=1))
    client = client_for("clerk")
    html = client.get("/queues/to_propose/").content.decode()
    assert "共 26 件" in html and 'rel="next"' in html
    assert html.count("badge--overdue") == 1  # oldest first: the overdue one is on page 1
    second = client.get("/queues/to_propose/?page=2").content.decode()
    assert 'rel="prev"' in second and "badge--overdue" not in second
    assert client.get("/queues/to_propose/?page=x").status_code == 200


def test_notifications_badge_page_and_reading(
    client_for, drive, demo_org, django_capture_on_commit_callbacks
):
    users, _units = demo_org
    petition = drive("registered")
    with django_capture_on_commit_callbacks(execute=True):  # notifications are sent on commit
        perform(Context(actor=users["clerk"]), petition, "propose", {"opinion": "拟转住建局"})
    secgen = client_for("secgen")
    home = secgen.get("/").content.decode()
    assert '<span class="badge badge--count" data-unread>1' in home
    page = secgen.get("/notifications/").content.decode()
    assert f"{petition.number} 待您阅批（第3.2条）。" in page and "notification--unread" in page
    notification = Notification.objects.get(recipient=users["secgen"])
    opened = secgen.get(f"/notifications/{notification.pk}/")
    assert opened.status_code == 302 and opened["Location"] == f"/petitions/{petition.number}/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "data-unread" not in secgen.get("/").content.decode()
    # Someone else's notification, or nonsense, is not found.
    assert client_for("clerk").get(f"/notifications/{notification.pk}/").status_code == 404
    assert secgen.get("/notifications/abc/").status_code == 404


def test_mark_all_read_is_a_post(client_for, drive, demo_org, django_capture_on_commit_callbacks):
    users, _units = demo_org
    for _ in range(2):
        petition = drive("registered")
        with django_capture_on_commit_callbacks(execute=True):
            perform(Context(actor=users["clerk"]), petition, "propose", {"opinion": "拟办"})
    secgen = client_for("secgen")
    assert "全部标为已读" in secgen.get("/notifications/").content.decode()
    assert secgen.get("/notifications/read/").status_code == 405
    response = secgen.post("/notifications/read/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert not Notification.objects.filter(recipient=users["secgen"], read_at__isnull=True).exists()
    html = secgen.get("/notifications/").content.decode()
    assert "全部标为已读" not in html and "notification--unread" not in html


def test_notifications_of_hidden_petitions_are_not_shown(client_for, drive, demo_org):
    users, units = demo_org
    petition = drive("registered")
    Notification.objects.create(recipient=users["housing"], petition=petition, kind="assigned")
    housing = client_for("housing")
    assert petition.number not in housing.get("/notifications/").content.decode()
    assert "data-unread" not in housing.get("/").content.decode()
    assert client_for("clerk").get("/notifications/").content.decode().count("没有通知") == 1


def test_every_notification_kind_has_a_sentence():
    import re
    from pathlib import Path

    from xinfang.notifications.display import SENTENCES

    src = Path(__file__).resolve().parents[2] / "src" / "xinfang" / "petitions" / "services"
    kinds = set()
    for path in src.glob("*.py"):
        kinds.update(
            re.findall(r'notify\([^)]*?,\s*p(?:etition)?,\s*"(\w+)"', path.read_text(encoding="utf-8"))
        )
        kinds.update(re.findall(r'step\.petition,\s*"(\w+)"', path.read_text(encoding="utf-8")))
    assert kinds and kinds <= set(SENTENCES), kinds - set(SENTENCES)


def test_the_new_pages_are_chinese_and_english(client_for, drive):
    petition = drive("registered")
    for url, chinese, english in [
        ("/notifications/", "通知", "Notifications"),
        ("/queues/to_propose/", "待拟办", "To propose"),
        (f"/petitions/{petition.number}/actions/propose/", "拟办意见", "Proposed handling"),
    ]:
        assert chinese in client_for("clerk").get(url).content.decode()
        english_html = client_for("clerk", HTTP_ACCEPT_LANGUAGE="en").get(url).content.decode()
        assert english in english_html and chinese not in english_html
