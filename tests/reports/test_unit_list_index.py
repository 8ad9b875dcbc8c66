"""Issue 9: a handling officer's unfiltered list counted and located from the statistics summary's
rows of their units (reports/unit_list_index.py) instead of an OFFSET over their keys.

Oracle, written without the read policy's code: the assignment and involvement rows read back
whole, the matrix of DESIGN.md §5 and Rule 4.3 applied in Python (a live assignment to the
officer's unit or a unit above it; nothing that involves those units or the officer in person),
sorted newest first in Python and cut into pages. It is checked first against an OFFSET over
visible_to, the rows the list showed before. The summary exists on PostgreSQL only."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xinfang.accounts.models import ApiToken, User
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
def spread(housing_sub_unit, register):
    """45 petitions over five months, rows either side of the office's midnight at the turn of a
    month, ties in received_at; assigned to the section (SUB), the bureau above it (HOUSING),
    both, another unit, withdrawn; some involving the section, the bureau, another unit, or the
    section's officer in person (Rule 4.3)."""
    users, units, officer = housing_sub_unit
    today = timezone.localtime(timezone.now(), office_tz()).date()
    first = today.replace(day=1)
    for i in range(45):
        month = first
        for _ in range(i % 5):
            month = (month - timedelta(days=1)).replace(day=1)
        # The last minute of the month before, the month's first minute, or its middle.
        if i % 3 == 0:
            at = datetime.combine(month - timedelta(days=1), datetime.max.time()).replace(microsecond=0)
        elif i % 3 == 1:
            at = datetime.combine(month, datetime.min.time())
        else:
            at = datetime.combine(month + timedelta(days=min(10, (today - month).days)), datetime.min.time())
        at = at.replace(tzinfo=office_tz()) - timedelta(hours=i // 15)
        overrides = {"received_at": at.isoformat()}
        if i % 7 == 2:
            overrides["involved_units"] = [units["SUB"].id]
        elif i % 7 == 4:
            overrides["involved_units"] = [units["HOUSING"].id]
        elif i % 7 == 5:
            overrides["involved_units"] = [units["LABOUR"].id]
        if i % 11 == 6:
            overrides["involved_persons"] = [{"name": "钱七", "user": "h2"}]
        for copy in range(2 if i % 8 == 1 else 1):  # a tie: the id decides
            petition = register(**overrides)
            assigned = [
                [("SUB", "received")],
                [("HOUSING", "in_progress")],
                [("SUB", "received"), ("HOUSING", "received")],
                [("SUB", "withdrawn")],
                [("LABOUR", "received")],
                [("SUB", "withdrawn"), ("SUB", "result_submitted")],
            ][(i + copy) % 6]
            for code, status in assigned:
                Assignment.objects.create(
                    petition=petition,
                    unit=units[code],
                    role="assist",
                    kind="assignment",
                    status=status,
                    assigned_by=users["clerk"],
                )
    # An involvement recorded past the services on a petition the section already holds.
    involving = InvolvedUnit.objects.filter(unit=units["SUB"]).values("petition_id")
    held = (
        Assignment.objects.filter(unit=units["SUB"])
        .exclude(status="withdrawn")
        .exclude(petition_id__in=involving)
        .order_by("pk")[2]
    )
    InvolvedUnit.objects.create(petition_id=held.petition_id, unit=units["SUB"])
    return users, units, User.objects.get(pk=officer.pk)


def _oracle(user) -> list[int]:
    units, unit = set(), user.unit
    while unit is not None:
        units.add(unit.id)
        unit = unit.parent
    held = {a.petition_id for a in Assignment.objects.all() if a.unit_id in units and a.status != "withdrawn"}
    hidden = {r.petition_id for r in InvolvedUnit.objects.all() if r.unit_id in units}
    hidden |= {r.petition_id for r in InvolvedPerson.objects.all() if r.user_id == user.pk}
    rows = [(p.received_at, p.id) for p in Petition.objects.all() if p.id in held and p.id not in hidden]
    return [pk for _at, pk in sorted(rows, reverse=True)]


def _readers(spread):
    users, _units, officer = spread
    return [officer, User.objects.get(pk=users["housing"].pk)]


def test_the_oracle_is_an_offset_over_visible_to(spread):
    for reader in _readers(spread):
        visible = Petition.objects.visible_to(reader).order_by("-received_at", "-id")
        expected = _oracle(reader)
        assert 10 < len(expected) < Petition.objects.count()
        for offset in range(0, len(expected), SIZE):
            assert [p.pk for p in visible[offset : offset + SIZE]] == expected[offset : offset + SIZE]


def test_the_index_counts_and_locates_every_row(spread):
    for reader in _readers(spread):
        expected = _oracle(reader)
        index = list_index(reader, parse_filters({}))
        assert index.count == len(expected), reader.username
        visible = list(Petition.objects.visible_to(reader).order_by("-received_at", "-id"))
        for offset, pk in enumerate(expected):
            bound, skip = index.locate(offset)
            assert [p.pk for p in visible if p.received_at < bound][skip] == pk, (reader.username, offset)
        assert index.locate(len(expected)) == paging.PAST_END


def test_a_petition_both_units_hold_and_the_firewall_count_once(spread):
    """The stored rows count a petition once per unit; the index subtracts the second unit's
    and the firewall's. Both cases are in the data: the oracle's count would differ without."""
    users, units, officer = spread
    both = Petition.objects.filter(assignments__unit=units["SUB"], assignments__status="received").filter(
        pk__in=Assignment.objects.filter(unit=units["HOUSING"], status="received").values("petition_id")
    )
    assert both.exists()
    held = Assignment.objects.filter(unit=units["SUB"]).exclude(status="withdrawn").values("petition_id")
    assert InvolvedUnit.objects.filter(unit=units["SUB"], petition_id__in=held).exists()
    assert list_index(officer, parse_filters({})).count == len(_oracle(officer))


def test_typed_page_numbers_are_the_oracles_pages(spread, monkeypatch):
    monkeypatch.setattr(paging, "LOCATE_FROM", 1)  # every page past the first is located
    for reader in _readers(spread):
        expected = _oracle(reader)
        pages = [expected[i : i + SIZE] for i in range(0, len(expected), SIZE)]
        for number, rows in enumerate(pages, start=1):
            page = list_page(reader, parse_filters({}), {"page": number}, per_page=SIZE).page
            assert [p.pk for p in page.object_list] == rows, (reader.username, number)
            assert page.has_next == (number < len(pages))
            assert page.paginator.count == len(expected)
        past = list_page(reader, parse_filters({}), {"page": len(pages) + 3}, per_page=SIZE).page
        assert [p.pk for p in past.object_list] == pages[-1]  # past the end: the last page


def test_the_api_counts_and_pages_like_the_oracle(spread, monkeypatch):
    monkeypatch.setattr(paging, "LOCATE_FROM", 1)
    _users, _units, officer = spread
    order = _oracle(officer)
    numbers = dict(Petition.objects.filter(pk__in=order).values_list("pk", "number"))
    _token, raw = ApiToken.issue(officer)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = client.get("/api/v1/petitions", {"page_size": 4}).json()
    assert body["count"] == len(order)
    last = (len(order) + 3) // 4
    for number in (2, last - 1, last):
        body = client.get("/api/v1/petitions", {"page": number, "page_size": 4}).json()
        assert [r["number"] for r in body["results"]] == [
            numbers[pk] for pk in order[(number - 1) * 4 : number * 4]
        ]
        assert (body["next"] is None) == (number == last)


def test_a_withdrawal_and_a_new_involvement_move_the_index_at_once(spread):
    """The summary's triggers and the firewall are read as they are at each request."""
    _users, units, officer = spread
    visible = _oracle(officer)
    before = list_index(officer, parse_filters({})).count
    # Two petitions only the section holds, both visible: one withdrawn, one found to involve
    # the officer.
    only_sub = [
        a
        for a in Assignment.objects.filter(unit=units["SUB"], status="received").order_by("pk")
        if a.petition_id in visible
        and not Assignment.objects.filter(petition_id=a.petition_id, unit=units["HOUSING"])
        .exclude(status="withdrawn")
        .exists()
    ]
    gone, hidden = only_sub[0], only_sub[-1]
    gone.status = "withdrawn"
    gone.save()
    InvolvedPerson.objects.create(petition_id=hidden.petition_id, name="钱七", user=officer)
    assert list_index(officer, parse_filters({})).count == before - 2 == len(_oracle(officer))


def test_filtered_lists_and_other_readers_get_no_unit_index(spread):
    _users, _units, officer = spread
    assert list_index(officer, parse_filters({"status": "registered"})) is None
    assert list_index(officer, parse_filters({"mine": "true"})) is None
    assert list_index(officer, parse_filters({"q": "路灯"})) is None


def test_a_typed_deep_page_sends_no_more_statements_than_page_one(spread, monkeypatch):
    """The index's statement stands in for the capped count; the keys, the rows and the clocks
    follow as on page 1."""
    monkeypatch.setattr(paging, "LOCATE_FROM", 1)
    _users, _units, officer = spread
    filters = parse_filters({})
    list_page(officer, filters, {}, per_page=SIZE)  # what a request reads once (the units above)
    with CaptureQueriesContext(connection) as first:
        list_page(officer, filters, {}, per_page=SIZE)
    with CaptureQueriesContext(connection) as deep:
        list_page(officer, filters, {"page": 4}, per_page=SIZE)
    assert len(deep) == len(first)
