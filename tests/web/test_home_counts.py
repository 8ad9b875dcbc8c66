"""Issue 9: the home page's numbers in one statement, equal to counting each alone.

The oracle is Django's own `.count()` of each queryset (and the queues' `count`
property), computed independently of `count_all`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from xinfang.deadlines.selectors import counts_for
from xinfang.petitions import derived
from xinfang.petitions.models import Deadline, Petition
from xinfang.petitions.queues import queues_for
from xinfang.petitions.selectors import count_all, my_work_counts

pytestmark = pytest.mark.django_db


def _mixed(make_petition, drive=None):
    petitions = [make_petition() for _ in range(3)] + [make_petition(actor="clerk2") for _ in range(2)]
    # One clock overdue, one due tomorrow: both home cards have something to count.
    Deadline.objects.filter(petition=petitions[0], name="handling").update(
        due_at=timezone.now() - timedelta(days=1)
    )
    Deadline.objects.filter(petition=petitions[1], name="handling").update(
        due_at=timezone.now() + timedelta(hours=20)
    )
    # Written here past the services: this writer keeps the petition's next deadline too.
    derived.refresh(p.pk for p in petitions[:2])
    return petitions


def test_count_all_equals_each_count(demo_org, make_petition):
    users, _units = demo_org
    _mixed(make_petition)
    for username in ("clerk", "secgen", "housing"):
        user = users[username]
        querysets = my_work_counts(user) | {"all": Petition.objects.visible_to(user)}
        assert count_all(querysets) == {name: qs.count() for name, qs in querysets.items()}


def test_count_all_of_a_queryset_that_matches_nothing(demo_org, make_petition):
    """Django will not compile `.none()` or an empty `__in`; such a count is 0, beside real ones
    (the petition list of a reader who sees nothing answered 500)."""
    users, _units = demo_org
    _mixed(make_petition)
    visible = Petition.objects.visible_to(users["clerk"])
    querysets = {"none": Petition.objects.none(), "empty_in": visible.filter(pk__in=[]), "all": visible}
    assert count_all(querysets) == {"none": 0, "empty_in": 0, "all": 5}
    assert count_all({"none": Petition.objects.none()}, cap=10) == {"none": 0}


def test_count_all_caps(demo_org, make_petition):
    users, _units = demo_org
    _mixed(make_petition)
    visible = {"all": Petition.objects.visible_to(users["clerk"])}
    assert count_all(visible, cap=2) == {"all": 3}  # "more than 2"
    assert count_all(visible, cap=10) == {"all": 5}  # exact under the cap
    assert count_all({}) == {}
    # Someone who may see nothing has a .none() queryset: counted as 0, no SQL error.
    nothing = {"all": Petition.objects.visible_to(users["auditor"]), "mine": visible["all"]}
    assert count_all(nothing) == {"all": 0, "mine": 5}


def test_home_numbers_are_the_counted_ones(client_for, demo_org, make_petition):
    users, _units = demo_org
    _mixed(make_petition)
    clerk = users["clerk"]
    response = client_for("clerk").get("/")
    context = response.context
    expected_queues = [(q.name, q.count) for q in queues_for(clerk)]
    assert [(q["name"], q["count"]) for q in context["queues"]] == expected_queues
    work = context["work"]
    for name, qs in my_work_counts(clerk).items():
        assert work[name] == qs.count(), name
    assert context["home_counts"]["deadlines"] == counts_for(clerk) == {"overdue": 1, "due_soon": 1}


@pytest.mark.parametrize("extra", [0, 6])
def test_home_query_count_is_fixed(client_for, make_petition, django_assert_num_queries, extra):
    _mixed(make_petition)
    for _ in range(extra):
        make_petition()
    client = client_for("clerk")
    client.get("/")  # warm the session
    with django_assert_num_queries(4):
        # 1 the session with its user, the user's unit (firewall ancestors, header) and roles in
        # one statement (accounts/sessions.py; 2 before issue 9's round 13), 2 EVERY number on
        # the page (six queues, four "my work", two clocks) in one statement where there were
        # twelve, 3 my ten most recent open petitions, 4 the header's unread notifications.
        client.get("/")


def test_home_numbers_past_the_cap_say_so(client_for, make_petition, monkeypatch):
    from xinfang.petitions.views import pages

    _mixed(make_petition)
    monkeypatch.setattr(pages, "HOME_COUNT_CAP", 2)
    response = client_for("clerk").get("/")
    work = response.context["work"]
    assert work["open_as_first_responder"] == "2+"  # three of the clerk's own are open
    assert work["overdue"] == 1  # under the cap: exact
    tooltip = "超过 2，点开可查看全部"  # the badge past the cap says what it means
    assert f'<span class="card__count" title="{tooltip}">2+</span>' in response.content.decode()


def test_the_recent_table_and_the_quick_links_show_their_columns(client_for, make_petition):
    """My recent open petitions (number, received time in the office's zone, title, status) and a
    leader's quick links (number, title) read only those columns (issue 9): what they show, and
    that no column left out is fetched later row by row (the statements pinned)."""
    import re
    from zoneinfo import ZoneInfo

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    mine = [make_petition(title=f"近期事项{n}") for n in range(3)]
    html = client_for("clerk").get("/").content.decode()
    rows = re.findall(
        r'<a href="/petitions/([^/]+)/">[^<]+</a></td>\s*<td data-label="[^"]*">([^<]+)</td>\s*'
        r'<td data-label="[^"]*">([^<]+)</td>\s*<td data-label="[^"]*"><span class="status status--(\w+)">([^<]+)<',
        html,
    )
    shanghai = ZoneInfo("Asia/Shanghai")
    newest_first = sorted(mine, key=lambda p: (p.received_at, p.pk), reverse=True)
    assert rows == [
        (p.number, f"{p.received_at.astimezone(shanghai):%Y-%m-%d %H:%M}", p.title, "registered", "已登记")
        for p in newest_first
    ]

    Petition.objects.filter(pk__in=[p.pk for p in mine]).update(status="proposed")
    secgen = client_for("secgen")
    secgen.get("/")
    with CaptureQueriesContext(connection) as statements:
        html = secgen.get("/").content.decode()
    links = re.findall(
        r'href="/petitions/([^/]+)/actions/instruct/"[^>]*>\s*<span class="mono">([^<]+)</span> ([^<]+)</a>',
        html,
    )
    assert sorted(links) == sorted((p.number, p.number, p.title) for p in mine)
    # 1 the session with its user, 2 the units' leaders (to sign), 3 every number, 4 the quick
    # links of "to instruct", 5 my recent open petitions, 6 the header's count; no more for a
    # column left out.
    assert len(statements) == 6, [q["sql"][:80] for q in statements]
