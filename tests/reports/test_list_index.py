"""Issue 9: the petition list's exact count and deep pages from the statistics summary
(reports/list_index.py). Oracle: every petition read back whole, Rule 4.3 applied in Python
from the involvement rows (the reader's unit and the units above it, the reader in person),
sorted newest first in Python and cut into pages. The summary exists on PostgreSQL only."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from xinfang.accounts.models import ApiToken
from xinfang.petitions import paging
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.models import InvolvedPerson, InvolvedUnit, Petition
from xinfang.petitions.selectors import list_index, list_page, parse_filters
from xinfang.petitions.workflow_models import Assignment

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the statistics summary is PostgreSQL's"),
]
SIZE = 3


@pytest.fixture
def spread(demo_org, register):
    """30 petitions over three months, ties in received_at and rows either side of the office's
    midnight; some involve the Secretary-General's unit, the Secretary-General, or both (Rule 4.3)."""
    users, units = demo_org
    today = timezone.localtime(timezone.now(), office_tz()).date()
    for i in range(30):
        day = today - timedelta(days=3 * i)
        moment = [(23, 59), (0, 0), (12, 0)][i % 3]
        at = datetime.combine(day - timedelta(days=1 if i % 3 == 0 else 0), datetime.min.time())
        at = at.replace(hour=moment[0], minute=moment[1], tzinfo=office_tz())
        overrides = {"received_at": at.isoformat(), "channel": "online" if i % 4 == 0 else "letter"}
        if i % 5 == 1:
            overrides["involved_units"] = [units["SECGEN"].id]
        if i % 6 == 3:
            overrides["involved_persons"] = [{"name": "王建国", "user": "secgen"}]
        register(**overrides)
        if i % 4 == 1:
            register(**overrides)  # the same moment: the id breaks the tie
    return users, units


def _oracle(user, channel: str = "") -> list[int]:
    units, unit = set(), user.unit
    while unit is not None:
        units.add(unit.id)
        unit = unit.parent
    hidden = set(InvolvedUnit.objects.filter(unit_id__in=units).values_list("petition_id", flat=True))
    hidden |= set(InvolvedPerson.objects.filter(user=user).values_list("petition_id", flat=True))
    rows = [
        (p.received_at, p.id)
        for p in Petition.objects.all()
        if p.id not in hidden and (not channel or p.channel == channel)
    ]
    return [pk for _at, pk in sorted(rows, reverse=True)]


@pytest.mark.parametrize("params", [{}, {"channel": "letter"}])
def test_every_offset_is_located_at_its_row(spread, params):
    users, _units = spread
    expected = _oracle(users["secgen"], params.get("channel", ""))
    assert 0 < len(expected) < Petition.objects.count()  # the firewall hides some
    index = list_index(users["secgen"], parse_filters(params))
    assert index.count == len(expected)
    visible = list(
        Petition.objects.visible_to(users["secgen"]).filter(**params).order_by("-received_at", "-id")
    )
    for offset, pk in enumerate(expected):
        bound, skip = index.locate(offset)
        assert [p.pk for p in visible if p.received_at < bound][skip] == pk
    assert index.locate(len(expected)) == paging.PAST_END


@pytest.mark.parametrize("params", [{}, {"channel": "letter"}])
def test_typed_page_numbers_are_the_oracles_pages(spread, params, monkeypatch):
    users, _units = spread
    monkeypatch.setattr(paging, "LOCATE_FROM", 1)  # every page past the first is located
    expected = _oracle(users["secgen"], params.get("channel", ""))
    pages = [expected[i : i + SIZE] for i in range(0, len(expected), SIZE)]
    filters = parse_filters(params)
    for number, rows in enumerate(pages, start=1):
        page = list_page(users["secgen"], filters, {**params, "page": number}, per_page=SIZE).page
        assert [p.pk for p in page.object_list] == rows, number
        assert page.has_next == (number < len(pages))


def test_the_api_counts_and_pages_like_the_oracle(spread, monkeypatch):
    users, _units = spread
    monkeypatch.setattr(paging, "LOCATE_FROM", 1)
    expected = Petition.objects.in_bulk(_oracle(users["secgen"]))
    order = _oracle(users["secgen"])
    _token, raw = ApiToken.issue(users["secgen"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = client.get("/api/v1/petitions", {"page_size": 4}).json()
    assert body["count"] == len(order)
    last = (len(order) + 3) // 4
    for number in (2, last - 1, last):
        body = client.get("/api/v1/petitions", {"page": number, "page_size": 4}).json()
        want = [expected[pk].number for pk in order[(number - 1) * 4 : number * 4]]
        assert [r["number"] for r in body["results"]] == want
        assert (body["next"] is None) == (number == last)


def test_readers_and_filters_the_summary_cannot_answer_get_no_index(spread):
    users, _units = spread
    # A handler's unfiltered list has an index of their units' rows (test_unit_list_index.py);
    # filtered, theirs is a few of their unit's petitions, walked.
    assert list_index(users["housing"], parse_filters({"channel": "letter"})) is None
    assert list_index(users["secgen"], parse_filters({"mine": "true"})) is None
    assert list_index(users["secgen"], parse_filters({"received_after": "2026-01-02T10:00"})) is None
    assert list_index(users["secgen"], parse_filters({"q": "路灯"})) is None
    # Overdue now is kept by due day, not by the day of receipt the list walks.
    assert list_index(users["secgen"], parse_filters({"overdue": "true"})) is None


@pytest.mark.parametrize("repeat", ["true", "false"])
def test_repeat_lists_count_and_locate_like_the_oracle(spread, repeat):
    """Petitions linked as repeats after registration: the list of repeat petitions (and of
    the others) is counted and located from the summary's repeat flag."""
    users, _units = spread
    ids = sorted(Petition.objects.values_list("id", flat=True))
    through = Petition.repeat_of.through
    links = [through(from_petition_id=a, to_petition_id=ids[0]) for a in ids[1::3]]
    through.objects.bulk_create(links, ignore_conflicts=True)  # registration links some itself
    through.objects.filter(from_petition_id=ids[4]).delete()  # one unlinked again
    linked = set(through.objects.values_list("from_petition_id", flat=True))
    expected = [pk for pk in _oracle(users["secgen"]) if (pk in linked) == (repeat == "true")]
    index = list_index(users["secgen"], parse_filters({"repeat": repeat}))
    assert index.count == len(expected) > 0
    visible = [
        p.pk
        for p in Petition.objects.visible_to(users["secgen"]).order_by("-received_at", "-id")
        if (p.pk in linked) == (repeat == "true")
    ]
    assert visible == expected
    for offset, pk in enumerate(expected):
        bound, skip = index.locate(offset)
        rows = Petition.objects.visible_to(users["secgen"]).filter(received_at__lt=bound)
        assert [p.pk for p in rows.order_by("-received_at", "-id") if p.pk in set(expected)][skip] == pk


def test_statements_of_a_located_page(spread, monkeypatch, django_assert_num_queries):
    users, _units = spread
    monkeypatch.setattr(paging, "LOCATE_FROM", 1)
    reader = users["secgen"]
    list_page(reader, parse_filters({}), {}, per_page=SIZE)  # the reader's roles, read once
    # A typed deep page: the index (1: the summary's months and the firewall's days in one
    # UNION ALL) is also its count; the days of the page's month (1), the page (1). The page's
    # capped count by the petitions (1 before) is not read.
    with django_assert_num_queries(3):
        list_page(reader, parse_filters({}), {"page": 5}, per_page=SIZE)
    # Filtered: the index is the count; then the days and the page.
    with django_assert_num_queries(3):
        list_page(
            reader, parse_filters({"channel": "letter"}), {"channel": "letter", "page": 4}, per_page=SIZE
        )


def test_a_number_typed_past_the_end_of_a_long_list_reads_no_page(
    spread, monkeypatch, django_assert_num_queries
):
    from xinfang.petitions import selectors

    users, _units = spread
    monkeypatch.setattr(paging, "LOCATE_FROM", 1)
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)  # "more than 3": the page number is not clamped
    reader = users["secgen"]
    list_page(reader, parse_filters({}), {}, per_page=SIZE)  # the reader's roles, read once
    with django_assert_num_queries(1):  # the index; by OFFSET the page walked every row
        listed = list_page(reader, parse_filters({}), {"page": 999}, per_page=SIZE)
    assert listed.page.object_list == [] and not listed.page.has_next and listed.page.number == 999


def test_the_kept_statement_reads_each_reader_and_the_rows_as_they_are_then(spread, register):
    """The index's statement is kept per reader and filters (reports/list_index.py): each call
    still reads the summary and the firewall as they are, and each reader, filter and unit has
    its own."""
    from xinfang.reports import list_index as module

    users, units = spread
    module._STATEMENTS.clear()
    for name in ("secgen", "clerk"):
        for channel in ("", "letter"):
            filters = parse_filters({"channel": channel} if channel else {})
            assert list_index(users[name], filters).count == len(_oracle(users[name], channel))
    assert len(module._STATEMENTS) == 4  # two readers, two filters
    # Rows written after the statement was kept: a visible one and one hidden by the firewall.
    register(channel="letter")
    register(channel="letter", involved_units=[units["SECGEN"].id])
    for name in ("secgen", "clerk"):
        for channel in ("", "letter"):
            filters = parse_filters({"channel": channel} if channel else {})
            assert list_index(users[name], filters).count == len(_oracle(users[name], channel))
    assert len(module._STATEMENTS) == 4  # read again, not built again
    # The Secretary-General moved to the office's unit: the firewall follows the unit he is in.
    reader = users["secgen"]
    before = list_index(reader, parse_filters({})).count
    reader.unit = units["OFFICE"]
    assert list_index(reader, parse_filters({})).count == len(_oracle(reader)) != before


# The filters the lists are read with: none (the summary's roll-up rows, one per month or day),
# a channel, a status with a channel (the status's own month rows, statcount_month_status), the
# open statuses, one status alone.
FILTERS = [
    {},
    {"channel": "letter"},
    {"status": "registered", "channel": "letter"},
    {"status": "open"},
    {"status": "assigned"},
    # The units' scopes: their roll-ups ("unit:all", "involved:all") hold the unit's rows.
    {"assigned_unit": "HOUSING"},
    {"involved_unit": "SECGEN"},
]


@pytest.fixture
def moved_on(spread):
    """The spread with some petitions further along (an UPDATE of their status, which the
    summary's triggers follow), so that a status filter keeps some rows and drops others."""
    ids = list(Petition.objects.order_by("id").values_list("id", flat=True))
    Petition.objects.filter(id__in=ids[::3]).update(status="assigned")
    Petition.objects.filter(id__in=ids[1::7]).update(status="closed")
    users, units = spread
    for i, pk in enumerate(ids[::2]):
        Assignment.objects.create(
            petition_id=pk,
            unit=units["HOUSING"] if i % 3 else units["LABOUR"],
            role="assist",
            kind="assignment",
            status="withdrawn" if i % 5 == 4 else "received",
            assigned_by=users["clerk"],
        )
    return spread


def _with_units(params, units):
    """The filters with a unit's code replaced by its id, as the query string carries it."""
    return {k: (str(units[v].id) if k.endswith("_unit") else v) for k, v in params.items()}


def _plain(user, params):
    """The oracle: the list as a plain ORDER BY over visible_to, the filters written out here
    (not parse_filters / _filtered), read by OFFSET."""
    from xinfang.petitions.choices import OPEN_STATUSES

    qs = Petition.objects.visible_to(user)
    if params.get("status") == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif params.get("status"):
        qs = qs.filter(status=params["status"])
    if params.get("channel"):
        qs = qs.filter(channel=params["channel"])
    if params.get("assigned_unit"):
        live = Assignment.objects.filter(unit_id=params["assigned_unit"]).exclude(status="withdrawn")
        qs = qs.filter(id__in=live.values("petition_id"))
    if params.get("involved_unit"):
        qs = qs.filter(
            id__in=InvolvedUnit.objects.filter(unit_id=params["involved_unit"]).values("petition_id")
        )
    return qs.order_by("-received_at", "-id")


@pytest.mark.parametrize("params", FILTERS)
def test_every_page_and_count_is_the_plain_offset_query(moved_on, params, monkeypatch):
    """For two office readers (one behind the firewall, one not), the index's count is the plain
    query's and every typed page, located from the index, holds the OFFSET page's rows; the API
    too (its exact count and a located page)."""
    users, units = moved_on
    params = _with_units(params, units)
    monkeypatch.setattr(paging, "LOCATE_FROM", 1)  # every page past the first is located
    for reader in (users["secgen"], users["clerk"]):
        plain = _plain(reader, params)
        total = plain.count()
        assert total < Petition.objects.count() or not params
        # The clerk sees some rows of every list; the Secretary-General none of SECGEN's.
        assert total > 0 or reader == users["secgen"]
        filters = parse_filters(params)
        assert list_index(reader, filters).count == total
        last = max(1, (total + SIZE - 1) // SIZE)
        for number in range(1, last + 2):  # and the page past the end
            page = list_page(reader, filters, {**params, "page": number}, per_page=SIZE).page
            offset = (min(number, last) - 1) * SIZE
            want = [p.pk for p in plain[offset : offset + SIZE]]
            assert [p.pk for p in page.object_list] == want, (reader.username, number)
            assert page.paginator.count == total
        _token, raw = ApiToken.issue(reader)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        body = client.get("/api/v1/petitions", {**params, "page": last, "page_size": SIZE}).json()
        assert body["count"] == total
        want = [p.number for p in plain[(last - 1) * SIZE : last * SIZE]]
        assert [r["number"] for r in body["results"]] == want
