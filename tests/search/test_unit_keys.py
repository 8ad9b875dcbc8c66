"""The documents' live units (PostgreSQL: `units` beside `grams` under the GIN index), which
narrow a handling officer's search to their units' documents.

Expectations come from the assignment rows (`oracle_units`, read here with the ORM, not by the
index's code) and, for search results, from the LIKE oracle through visible_to: after every
assignment action, and after random sequences of them, the units equal the assignments and a
handling officer finds exactly the oracle's petitions. SQLite keeps no units; there the search
half of each test still runs."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.search.conftest import like_oracle
from tests.workflow.conftest import registration
from xinfang.audit.services import Context
from xinfang.petitions.actions import perform
from xinfang.petitions.hooks import petition_units_changed
from xinfang.petitions.models import Petition
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import register_petition
from xinfang.petitions.workflow_models import Assignment
from xinfang.search import index
from xinfang.search.models import SearchDocument

TERMS = ("补偿", "拖欠工资", "电梯", "路灯", "小区", "资")
TEXTS = (
    ("拖欠工资", "工地拖欠工资三个月，要求补偿。"),
    ("电梯停运", "小区电梯停运，要求维修。"),
    ("拆迁补偿", "拆迁补偿款未到位。"),
    ("路灯损坏", "小区路灯坏了。"),
    ("工资补偿", "公司拖欠工资，电梯也坏了，要求补偿。"),
    ("噪音扰民", "夜间施工噪音。"),
)
HANDLERS = ("housing", "labour", "police", "h2")
UNITS = ("HOUSING", "LABOUR", "POLICE", "SUB")


def oracle_units(petition_id: int) -> list[int]:
    """The units holding a live (not withdrawn) assignment of the petition, from the rows."""
    rows = Assignment.objects.filter(petition_id=petition_id).exclude(status="withdrawn")
    return sorted(set(rows.values_list("unit_id", flat=True)))


def stored_units() -> dict[int, list[int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT petition_id, units FROM search_searchdocument")
        return {pk: list(units) for pk, units in cursor.fetchall()}


def assert_units_match_assignments() -> None:
    if connection.vendor != "postgresql":
        return
    stored = stored_units()
    assert stored, "no documents"
    assert stored == {pk: oracle_units(pk) for pk in stored}


def assert_handlers_find_the_oracle(users, search_ids) -> None:
    for name in HANDLERS:
        for term in TERMS:
            assert search_ids(users[name], term) == like_oracle(users[name], term), (name, term)


@pytest.fixture
def world(housing_sub_unit):
    users, units, officer = housing_sub_unit
    users = {**users, "h2": officer}
    made = []
    for title, content in TEXTS:
        data = registration(units, title=title, content=content)
        made.append(register_petition(ctx=Context(actor=users["clerk"]), data=check_registration(data))[0])
    return users, units, made


def _do(users, petition, actor, action, body):
    perform(Context(actor=users[actor]), Petition.objects.get(pk=petition.pk), action, body)


def _instruct(users, petition):
    _do(users, petition, "clerk", "propose", {"opinion": "拟转办"})
    _do(users, petition, "secgen", "instruct", {"instruction": "请核实处理。"})


def _withdraw(petition, unit):
    """What a withdrawing service would do (none exists yet): the assignment row withdrawn and
    the hook sent in the same transaction, as transitions.UNIT_ACTIONS requires of it."""
    Assignment.objects.filter(petition=petition, unit=unit).exclude(status="withdrawn").update(
        status="withdrawn"
    )
    petition_units_changed.send(sender=Petition, petition_ids=[petition.pk])


@pytest.mark.django_db
def test_units_follow_every_action_of_the_procedure(world, search_ids):
    """Through assign, accept, submit, sign-off, reply, close, archive and coordinate: after
    each action the documents' units are the live assignments' units."""
    users, units, made = world
    first, second = made[0], made[4]
    assert_units_match_assignments()
    _instruct(users, first)
    _do(
        users,
        first,
        "clerk",
        "assign",
        {
            "assignments": [
                {"unit": units["HOUSING"].pk, "role": "lead", "kind": "assignment"},
                {"unit": units["LABOUR"].pk, "role": "assist", "kind": "assignment"},
            ]
        },
    )
    assert_units_match_assignments()
    if connection.vendor == "postgresql":
        assert stored_units()[first.pk] == sorted([units["HOUSING"].pk, units["LABOUR"].pk])
    steps = [
        ("housing", "accept_assignment", {}),
        ("housing", "submit_result", {"findings": "经核实拖欠工资属实", "result": "已补偿"}),
        ("housing", "sign_off", {"password": "demo-pass-2026"}),
        ("deputy", "sign_off", {"password": "demo-pass-2026"}),
        ("clerk", "reply", {"method": "written", "content": "已书面答复"}),
        ("clerk", "close", {"outcome": "问题已解决"}),
        ("clerk", "archive", {"archive_number": "DA-UNIT-1"}),
    ]
    for actor, action, body in steps:
        _do(users, first, actor, action, body)
        assert_units_match_assignments()
    assert_handlers_find_the_oracle(users, search_ids)
    _instruct(users, second)
    _do(
        users,
        second,
        "deputy",
        "coordinate",
        {"lead_unit": units["SUB"].pk, "units": [units["POLICE"].pk], "note": "联合处理"},
    )
    assert_units_match_assignments()
    assert_handlers_find_the_oracle(users, search_ids)
    _withdraw(Petition.objects.get(pk=second.pk), units["POLICE"])
    assert_units_match_assignments()
    assert_handlers_find_the_oracle(users, search_ids)


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_assignment_sequences(world, search_ids, seed):
    """Random assign / coordinate / withdraw / text-changing steps over the petitions: after
    each, the units equal the assignments and every handling officer's search equals the LIKE
    oracle filtered by visible_to (their unit, or the unit above it for h2)."""
    users, units, made = world
    rng = random.Random(seed)
    for petition in made:
        _instruct(users, petition)
    for _step in range(10):
        petition = Petition.objects.get(pk=rng.choice(made).pk)
        live = oracle_units(petition.pk)
        choice = rng.choice(("assign", "coordinate", "withdraw", "reply"))
        picked = rng.sample(UNITS, rng.randint(1, 3))
        if choice == "assign" and petition.status == "instructed":
            body = {
                "assignments": [
                    {"unit": units[code].pk, "role": "lead" if i == 0 else "assist", "kind": "assignment"}
                    for i, code in enumerate(picked)
                ]
            }
            _do(users, petition, "clerk", "assign", body)
        elif choice == "coordinate" and petition.status in ("instructed", "assigned") and len(picked) > 1:
            body = {
                "lead_unit": units[picked[0]].pk,
                "units": [units[code].pk for code in picked[1:]],
                "note": "联合处理",
            }
            _do(users, petition, "deputy", "coordinate", body)
        elif choice == "withdraw" and live:
            _withdraw(petition, rng.choice(live))
        else:
            petition.title = rng.choice(TERMS) + petition.title
            petition.save(update_fields=["title"])
            index.on_text_changed(None, petition=petition, reason="corrected")
        assert_units_match_assignments()
        assert_handlers_find_the_oracle(users, search_ids)


@pytest.mark.django_db
def test_units_never_reach_the_text(world, search_ids):
    """The units are not text: the document's body and grams are the same before and after an
    assignment, a unit's id typed as a term matches only where the text holds it, and no
    snippet shows it."""
    from xinfang.petitions.selectors import list_page, parse_filters, search_snippets

    users, units, made = world
    petition = made[0]
    before = SearchDocument.objects.get(pk=petition.pk).body
    _instruct(users, petition)
    _do(
        users,
        petition,
        "clerk",
        "assign",
        {"assignments": [{"unit": units["HOUSING"].pk, "role": "lead", "kind": "assignment"}]},
    )
    assert SearchDocument.objects.get(pk=petition.pk).body == before
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT grams FROM search_searchdocument WHERE petition_id = %s", [petition.pk])
            # Every key is a piece of the text (no unit id among them), of at most three
            # characters.
            assert all(g in before and len(g) <= 3 for g in cursor.fetchone()[0])
    for term in (
        str(units["HOUSING"].pk),
        f"unit:{units['HOUSING'].pk}",
        "{" + str(units["HOUSING"].pk) + "}",
    ):
        for name in ("clerk", "housing"):
            assert search_ids(users[name], term) == like_oracle(users[name], term)
    page = list_page(users["housing"], parse_filters({"q": "拖欠"}), {}, per_page=25).page.object_list
    search_snippets(page, "拖欠")
    assert [p.pk for p in page] == [petition.pk]
    assert str(units["HOUSING"].pk) not in page[0].search_highlight


@pytest.mark.django_db
def test_rebuild_and_the_backfill_write_the_assignments_units(world):
    """`rebuild` (COPY) and migration 0005's backfill write what the actions wrote."""
    if connection.vendor != "postgresql":
        pytest.skip("the units are PostgreSQL's")
    from importlib import import_module

    users, units, made = world
    for petition, code in zip(made[:3], UNITS, strict=False):
        _instruct(users, petition)
        _do(
            users,
            petition,
            "clerk",
            "assign",
            {"assignments": [{"unit": units[code].pk, "role": "lead", "kind": "assignment"}]},
        )
    written = stored_units()
    assert index.rebuild(batch_size=4) == len(made)
    assert stored_units() == written
    assert_units_match_assignments()
    backfill = import_module("xinfang.search.migrations.0005_document_units").FORWARD[2]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE search_searchdocument SET units = '{}'")
        cursor.execute(backfill)
    assert stored_units() == written


@pytest.mark.django_db
def test_an_assignment_costs_one_statement_more(world):
    """The assign action with the units kept (one UPDATE, which writes only a document whose
    units changed) against the same action without the receiver."""
    users, units, made = world

    def statements(petition, unit):
        _instruct(users, petition)
        with CaptureQueriesContext(connection) as queries:
            _do(
                users,
                petition,
                "clerk",
                "assign",
                {"assignments": [{"unit": units[unit].pk, "role": "lead", "kind": "assignment"}]},
            )
        return len(queries)

    with_units = statements(made[0], "HOUSING")
    petition_units_changed.disconnect(dispatch_uid="xinfang.search.units")
    try:
        without = statements(made[1], "HOUSING")
    finally:
        petition_units_changed.connect(index.on_units_changed, dispatch_uid="xinfang.search.units")
    assert with_units == without + (1 if connection.vendor == "postgresql" else 0)


@pytest.mark.django_db
def test_the_units_read_back_and_the_units_of_rows_in_hand_are_one_rule(world):
    """index.live_units (what `rebuild` writes) and workflow_models.live_unit_ids (what the ledger
    import writes from the assignments it holds) against the oracle: a withdrawn assignment's
    unit is left out, a petition without a live assignment has none, both ways."""
    from xinfang.petitions.workflow_models import live_unit_ids

    users, units, made = world
    for petition, codes in zip(made[:3], (("HOUSING", "LABOUR"), ("POLICE",), ("LABOUR",)), strict=True):
        _instruct(users, petition)
        _do(
            users,
            petition,
            "clerk",
            "assign",
            {
                "assignments": [
                    {"unit": units[code].pk, "role": "lead" if i == 0 else "assist", "kind": "assignment"}
                    for i, code in enumerate(codes)
                ]
            },
        )
    _withdraw(made[0], units["LABOUR"])
    _withdraw(made[2], units["LABOUR"])
    expected = {made[0].pk: [units["HOUSING"].pk], made[1].pk: [units["POLICE"].pk]}
    assert {pk: oracle_units(pk) for pk in expected} == expected  # the oracle agrees with the matrix
    assert index.live_units(p.pk for p in made) == expected
    for petition in made:
        held = list(Assignment.objects.filter(petition=petition))
        assert live_unit_ids(held) == expected.get(petition.pk, [])
