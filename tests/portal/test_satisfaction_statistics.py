"""Ratings feed the statistics (issue 13 item 5): the satisfaction section of /statistics/ counts
each visible petition once with its latest rating, over the page's period and filters, and its
numbers link to the list showing as many petitions."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from xinfang.petitions.models import Category, Petition
from xinfang.petitions.workflow_models import Assignment, Reply
from xinfang.portal.models import FollowUp, Rating

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
S, B, U = "satisfied", "basically_satisfied", "unsatisfied"

# Written out: (number, channel, received, handled by the housing bureau?, ratings oldest first).
PETITIONS = [
    ("XF-2026-990001", "letter", date(2026, 3, 5), True, [S]),
    ("XF-2026-990002", "online", date(2026, 3, 10), False, [U, B]),  # reworked, rated again
    ("XF-2026-990003", "online", date(2026, 3, 12), True, [U]),  # waits for a leader
    ("XF-2026-990004", "visit", date(2026, 3, 20), False, [S, U]),
    ("XF-2026-990005", "letter", date(2026, 3, 15), False, []),  # replied, never rated
    ("XF-2026-990006", "online", date(2026, 4, 20), True, [S]),  # after the period
    ("XF-2026-990007", "online", date(2026, 2, 27), False, [B]),  # before the period
]
PERIOD = (date(2026, 3, 1), date(2026, 3, 31))


def oracle(*, housing_only=False, channel=None) -> dict:
    """The expected counts from the table above, by hand-written rules: in the period, matching
    the channel, visible to the reader, latest rating only."""
    counts = {S: 0, B: 0, U: 0}
    for _number, ch, received, housing, ratings in PETITIONS:
        if not (PERIOD[0] <= received <= PERIOD[1]) or not ratings:
            continue
        if (channel and ch != channel) or (housing_only and not housing):
            continue
        counts[ratings[-1]] += 1
    return counts


@pytest.fixture
def rated(demo_org):
    users, units = demo_org
    clerk = users["clerk"]
    category = Category.objects.first()
    for k, (number, channel, received, housing, ratings) in enumerate(PETITIONS):
        at = datetime.combine(received, datetime.min.time(), TZ) + timedelta(hours=10)
        petition = Petition.objects.create(
            number=number,
            year=2026,
            serial=990001 + k,
            channel=channel,
            status="replied",
            received_at=at,
            title="t",
            content="c",
            category=category,
            first_responder=clerk,
        )
        if housing:
            Assignment.objects.create(
                petition=petition,
                unit=units["HOUSING"],
                role="lead",
                kind="transfer",
                status="received",
                assigned_by=clerk,
            )
        for n, value in enumerate(ratings or [None]):
            reply = Reply.objects.create(
                petition=petition,
                method="written",
                content="答复",
                replied_at=at + timedelta(days=n + 1),
                by=clerk,
            )
            if value:
                Rating.objects.create(
                    petition=petition,
                    reply=reply,
                    value=value,
                    rated_at=at + timedelta(days=n + 2),
                    follow_up=FollowUp.OPEN if value == U and n == len(ratings) - 1 else "",
                )
    return users


def web(user, language="zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def section(client, **params) -> tuple[str, dict]:
    query = {"from": PERIOD[0].isoformat(), "to": PERIOD[1].isoformat(), **params}
    response = client.get("/statistics/", query)
    assert response.status_code == 200
    html = response.content.decode()
    found = re.search(r'<section[^>]*id="section-satisfaction".*?</section>', html, re.S)
    assert found, "no satisfaction section"
    return found.group(0), query


def numbers(html: str) -> list[tuple[str, int, str | None]]:
    """(label, count, link) per rating row of the section's table."""
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td[^>]*>(?:<a href="([^"]+)">)?(\d+)', html)
    return [(label, int(count), unescape(link) if link else None) for label, link, count in rows]


def test_counts_equal_the_oracle_and_link_to_as_many(rated):
    client = web(rated["clerk"])
    html, _query = section(client)
    expected = oracle()
    assert expected == {S: 1, B: 1, U: 2}  # the table read by hand agrees with the oracle
    rows = numbers(html)
    assert [count for _label, count, _link in rows] == [expected[S], expected[B], expected[U], 4]
    assert [label for label, _c, _l in rows] == ["满意", "基本满意", "不满意", "评价合计"]
    assert "50%" in re.search(r'id="satisfaction-rate">([^<]+)<', html).group(1)
    for _label, count, link in rows:
        listed = client.get(link).content.decode()
        shown = re.search(r'class="results__count">\D*(\d+)', listed)
        assert shown and int(shown.group(1)) == count, link


def test_filters_of_the_page_apply(rated):
    html, _query = section(web(rated["clerk"]), channel="online")
    expected = oracle(channel="online")
    assert [c for _l, c, _k in numbers(html)][:3] == [expected[S], expected[B], expected[U]]


def test_petitions_the_reader_may_not_see_are_not_counted(rated):
    html, _query = section(web(rated["housing"]))
    expected = oracle(housing_only=True)
    assert expected == {S: 1, B: 0, U: 1}
    assert [c for _l, c, _k in numbers(html)] == [expected[S], expected[B], expected[U], 2]


def test_section_in_english(rated):
    html, _query = section(web(rated["clerk"], "en"))
    assert "<h2>Satisfaction</h2>" in html
    assert "basically satisfied" in html and "Satisfaction rate" in html


def test_an_unknown_rating_in_the_list_is_a_clear_400(rated):
    response = web(rated["clerk"], "en").get("/petitions/", {"rating": "great"})
    assert response.status_code == 400
    assert "Unknown rating" in response.content.decode()


def test_the_section_reads_its_counts_in_one_query(rated, django_assert_num_queries):
    from xinfang.petitions.selectors import parse_filters, petition_list
    from xinfang.portal.satisfaction import satisfaction

    petitions = petition_list(rated["clerk"], parse_filters({}))
    with django_assert_num_queries(1):
        result = satisfaction(petitions)
    assert result["total"] == 6 and result["open"] == 2  # written out: 7 petitions, 6 rated


def test_the_statistics_api_counts_satisfaction_like_the_page(rated):
    """GET /api/v1/statistics carries the same satisfaction counts, for the same period, filters and
    reader (the housing bureau sees its assignments only)."""
    from rest_framework.test import APIClient

    for reader, kwargs in (
        ("clerk", {}),
        ("clerk", {"channel": "online"}),
        ("housing", {"housing_only": True}),
    ):
        client = APIClient()
        client.force_authenticate(rated[reader])
        params = {"from": PERIOD[0].isoformat(), "to": PERIOD[1].isoformat()}
        if "channel" in kwargs:
            params["channel"] = kwargs["channel"]
        body = client.get("/api/v1/statistics", params).json()
        expected = oracle(**kwargs)
        got = {row["value"]: row["count"] for row in body["satisfaction"]["rows"]}
        assert got == expected, (reader, kwargs)
        assert body["satisfaction"]["total"] == sum(expected.values())
        rated_total = sum(expected.values())
        assert body["satisfaction"]["rate"] == (
            round((expected[S] + expected[B]) / rated_total, 4) if rated_total else None
        )
