"""Issue 9: a handling officer's list is counted from their units' assignments
(PetitionQuerySet.handled_ids) instead of from the petitions. Oracle: the matrix below,
decided by hand from the read policy (DESIGN.md §5, Rule 4.3): a handler reads what is
assigned, not withdrawn, to their unit or a unit above it, unless the petition involves
them, their unit or a unit above it."""

from __future__ import annotations

import pytest

from xinfang.accounts.models import User
from xinfang.petitions.models import InvolvedPerson, InvolvedUnit, Petition
from xinfang.petitions.selectors import list_count, list_page, parse_filters, petition_list
from xinfang.petitions.workflow_models import Assignment

pytestmark = pytest.mark.django_db

# title -> (assigned to: [(unit code, status)], involves units, involves the handler in person, visible)
MATRIX = {
    "own unit": ([("SUB", "received")], [], False, True),
    "unit above": ([("HOUSING", "in_progress")], [], False, True),
    "both units": ([("SUB", "received"), ("HOUSING", "received")], [], False, True),
    "withdrawn": ([("SUB", "withdrawn")], [], False, False),
    "withdrawn then again": ([("SUB", "withdrawn"), ("SUB", "received")], [], False, True),
    "other unit": ([("LABOUR", "received")], [], False, False),
    "not assigned": ([], [], False, False),
    "involves own unit": ([("SUB", "received")], ["SUB"], False, False),
    "involves unit above": ([("HOUSING", "received")], ["HOUSING"], False, False),
    "involves the handler": ([("SUB", "result_submitted")], [], True, False),
    "involves another unit": ([("SUB", "received")], ["LABOUR"], False, True),
}


@pytest.fixture
def handler(housing_sub_unit, register):
    users, units, officer = housing_sub_unit
    for title, (assigned, involved, in_person, _visible) in MATRIX.items():
        petition = register(title=title)
        for code, status in assigned:
            Assignment.objects.create(
                petition=petition,
                unit=units[code],
                role="assist",
                kind="assignment",
                status=status,
                assigned_by=users["clerk"],
            )
        for code in involved:
            InvolvedUnit.objects.create(petition=petition, unit=units[code])
        if in_person:
            InvolvedPerson.objects.create(petition=petition, name="钱七", user=officer)
    return User.objects.get(pk=officer.pk)


def test_handled_ids_are_exactly_the_visible_petitions(handler):
    expected = {title for title, row in MATRIX.items() if row[3]}
    ids = list(Petition.objects.handled_ids(handler).values_list("petition_id", flat=True))
    assert len(ids) == len(set(ids))  # a petition assigned to two of the units counts once
    assert set(Petition.objects.filter(pk__in=ids).values_list("title", flat=True)) == expected
    assert set(Petition.objects.visible_to(handler).values_list("title", flat=True)) == expected


def test_the_handlers_list_counts_them(handler):
    expected = sum(1 for row in MATRIX.values() if row[3])
    filters = parse_filters({})
    page = list_page(handler, filters, {}, per_page=25).page
    assert page.paginator.count == expected == len(page.object_list)
    assert list_count(handler, filters, petition_list(handler, filters), cap=None)[0] == expected
    assert list_count(handler, filters, petition_list(handler, filters), cap=2)[0] == 3  # "more than 2"


def test_other_readers_have_no_handled_ids(demo_org):
    users, _units = demo_org
    for name in ("clerk", "secgen", "auditor", "admin"):
        assert Petition.objects.handled_ids(users[name]) is None
    users["housing"].is_active = False
    assert Petition.objects.handled_ids(users["housing"]) is None


def test_the_handlers_typed_pages_are_the_visible_list_cut_in_pages(handler, monkeypatch):
    from xinfang.petitions import paging

    monkeypatch.setattr(paging, "LOCATE_FROM", 1)  # every page past the first is located
    # Ties in received_at on purpose: the id breaks them, as in the ordering.
    tied = ["own unit", "both units", "withdrawn then again"]
    moment = Petition.objects.get(title="unit above").received_at
    Petition.objects.filter(title__in=tied).update(received_at=moment)
    # Written here past the services: the assignments carry their petition's time too.
    Assignment.objects.filter(petition__title__in=tied).update(received_at=moment)
    expected = [
        title
        for _at, _pk, title in sorted(
            ((p.received_at, p.pk, p.title) for p in Petition.objects.all() if MATRIX[p.title][3]),
            reverse=True,
        )
    ]
    filters = parse_filters({})
    pages = (len(expected) + 1) // 2
    for number in range(1, pages + 2):
        page = list_page(handler, filters, {"page": number}, per_page=2).page
        shown = min(number, pages)  # past the end: the last page
        assert [p.title for p in page.object_list] == expected[(shown - 1) * 2 : shown * 2], number


def test_the_handlers_next_and_previous_keys_walk_the_same_pages(handler):
    # The handler's rows are read by id first (paging._reader): the walk must give the same pages.
    expected = [
        title
        for _at, _pk, title in sorted(
            ((p.received_at, p.pk, p.title) for p in Petition.objects.all() if MATRIX[p.title][3]),
            reverse=True,
        )
    ]
    filters = parse_filters({})
    page = list_page(handler, filters, {}, per_page=2).page
    seen = [[p.title for p in page.object_list]]
    while page.has_next:
        page = list_page(
            handler, filters, {"page": page.number + 1, "after": page.next_cursor}, per_page=2
        ).page
        seen.append([p.title for p in page.object_list])
    assert seen == [expected[i : i + 2] for i in range(0, len(expected), 2)]
    back = [[p.title for p in page.object_list]]
    while page.has_previous():
        params = {"page": page.number - 1, "before": page.previous_cursor}
        page = list_page(handler, filters, params, per_page=2).page
        back.append([p.title for p in page.object_list])
    assert back[::-1] == seen


def test_statements_of_a_handlers_page(handler, django_assert_num_queries):
    filters = parse_filters({})
    list_page(handler, filters, {}, per_page=2)  # the handler's roles and unit, read once
    # The count from the assignments (1, was a count over the petitions), the page's keys along
    # the assignments' index (1: selectors._handled_list_keys; was the ids down the petitions'
    # received-order index), its rows by id (1).
    with django_assert_num_queries(3):
        page = list_page(handler, filters, {"page": 2}, per_page=2).page
    assert len(page.object_list) == 2


def test_every_page_of_a_handlers_list_is_read_along_their_assignments(handler):
    """The first page, a "next" link's, a "previous" link's and a typed number's: the page's
    keys come from the assignments (one statement on petitions_assignment, none walking the
    petitions newest first), then the rows by id through the read policy."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    filters = parse_filters({})
    first = list_page(handler, filters, {}, per_page=2).page
    asks = [
        {},
        {"page": 2, "after": first.next_cursor},
        {"page": 1, "before": list_page(handler, filters, {"page": 2}, per_page=2).page.previous_cursor},
        {"page": 3},
    ]
    for params in asks:
        with CaptureQueriesContext(connection) as ctx:
            page = list_page(handler, filters, params, per_page=2).page
        selects = [q["sql"] for q in ctx.captured_queries]
        keys = [sql for sql in selects if "petitions_petition" not in sql.split(" WHERE ")[0]]
        by_id = '"petitions_petition"."id" IN ('
        walks = [
            sql
            for sql in selects
            if 'ORDER BY "petitions_petition"."received_at"' in sql and by_id not in sql
        ]
        visible = sum(1 for row in MATRIX.values() if row[3])  # 5: pages of 2, 2 and 1
        assert len(page.object_list) == (1 if page.number == 3 else 2) and page.paginator.count == visible, (
            params
        )
        assert any('FROM "petitions_assignment"' in sql and "LIMIT" in sql for sql in keys), params
        assert walks == [], params


def test_the_handlers_located_pages_read_few_statements(handler, monkeypatch, django_assert_num_queries):
    """A typed page located along the assignments: the count (1), the page's keys from the
    assignments' index (1) and its rows by id (1): as many statements as by OFFSET, which walked
    every petition above the page."""
    from xinfang.petitions import paging

    monkeypatch.setattr(paging, "LOCATE_FROM", 1)
    filters = parse_filters({})
    list_page(handler, filters, {}, per_page=2)
    with django_assert_num_queries(3):
        page = list_page(handler, filters, {"page": 2}, per_page=2).page
    assert len(page.object_list) == 2


def test_assignments_carry_their_petitions_time(demo_org, register):
    """Every way an assignment is written copies the petition's received_at (save, bulk_create
    with the petition or only its id); a correction of the time copies it again."""
    from datetime import timedelta

    from xinfang.audit.services import Context
    from xinfang.petitions.services.registration import correct_registration

    users, units = demo_org
    petitions = [register(title=f"p{i}") for i in range(3)]
    common = {"role": "assist", "kind": "assignment", "assigned_by": users["clerk"]}
    Assignment.objects.create(petition=petitions[0], unit=units["HOUSING"], **common)
    Assignment.objects.bulk_create(
        [
            Assignment(petition=petitions[1], unit=units["HOUSING"], **common),
            Assignment(petition_id=petitions[2].pk, unit=units["LABOUR"], **common),
        ]
    )
    # A registered petition has no assignment through the services; one is written here to see
    # that a correction of the time reaches it.
    moved = petitions[0].received_at - timedelta(hours=5)
    correct_registration(
        ctx=Context(actor=users["clerk"]), petition=petitions[0], changes={"received_at": moved.isoformat()}
    )
    expected = dict(Petition.objects.values_list("pk", "received_at"))
    rows = list(Assignment.objects.values_list("petition_id", "received_at"))
    assert len(rows) == 3
    assert all(at == expected[pk] for pk, at in rows)
    assert expected[petitions[0].pk] == moved
