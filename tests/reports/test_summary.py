"""The statistics summary (PostgreSQL) follows every change of the rows it counts: after random
inserts, updates and deletes, what the triggers appended equals a recount from scratch
(rebuild_statistics), before and after folding (compaction). Both tables: reports_statcount
(petitions, decided clocks) and reports_statdue (running clocks by due day)."""

import contextlib
import random
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinfang.petitions.models import Category, Deadline, Petition
from xinfang.reports import summary_sql

pytestmark = pytest.mark.django_db

KEY = "grain, day, channel, category_id, status, is_group, is_repeat, scope, clock, unit_id"
DUE_KEY = KEY + ", due"


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the summary is kept on PostgreSQL only")


def folded() -> dict:
    """The summary as {key: (petitions, settled, on time, late)} and {("due", key…, due day):
    (petitions, settled, clocks, on time, late)}, deltas summed, zero rows left out."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {KEY}, sum(petitions), sum(settled), sum(on_time), sum(late) FROM reports_statcount "
            f"GROUP BY {KEY}"
        )
        rows = cursor.fetchall()
        cursor.execute(
            f"SELECT {DUE_KEY}, sum(petitions), sum(settled), sum(clocks), sum(on_time), sum(late) "
            f"FROM reports_statdue GROUP BY {DUE_KEY}"
        )
        due = cursor.fetchall()
    out = {tuple(r[:10]): tuple(r[10:]) for r in rows if any(r[10:])}
    out.update({("due", *r[:11]): tuple(r[11:]) for r in due if any(r[11:])})
    return out


ROLLUP = {"": "all", "unit": "unit:all", "involved": "involved:all"}


def assert_rollup_is_the_sum_of_its_scope(summary: dict) -> None:
    """The roll-up rows (scopes "all", "unit:all", "involved:all") hold their scope's rows
    summed over channel, category, status, group and repeat flag, written out here."""
    want, got = Counter(), Counter()
    for key, values in summary.items():
        due = key[0] == "due"
        k = key[1:] if due else key
        grain, day, _channel, _category, _status, _group, _repeat, scope, clock, unit = k[:10]
        rolled = (due, grain, day, clock, unit, k[10] if due else None)
        if scope in ROLLUP:
            for i, value in enumerate(values):
                want[(ROLLUP[scope], *rolled, i)] += value
        else:
            assert scope in ROLLUP.values(), key
            assert k[2:7] == ("", 0, "", False, False), key
            for i, value in enumerate(values):
                got[(scope, *rolled, i)] += value
    assert {k: v for k, v in want.items() if v} == {k: v for k, v in got.items() if v}


def mutate_repeats(rng: random.Random) -> None:
    """Link petitions as repeats of others after registration and unlink them, one link and
    several per statement (the links' trigger works per statement)."""
    through = Petition.repeat_of.through
    ids = list(Petition.objects.values_list("id", flat=True))
    if len(ids) < 2:
        return
    for _ in range(4):
        change = rng.choice(["link", "link", "link_many", "unlink", "unlink_all", "move"])
        a, b = rng.sample(ids, 2)
        if change == "link":
            through.objects.get_or_create(from_petition_id=a, to_petition_id=b)
        elif change == "link_many":
            targets = [t for t in rng.sample(ids, min(len(ids), 3)) if t != a]
            through.objects.bulk_create(
                [through(from_petition_id=a, to_petition_id=t) for t in targets], ignore_conflicts=True
            )
        elif change == "unlink":
            through.objects.filter(
                pk__in=through.objects.filter(from_petition_id=a).values("pk")[:1]
            ).delete()
        elif change == "unlink_all":
            through.objects.filter(from_petition_id__in=[a, b]).delete()
        else:  # a link moved to another petition
            with contextlib.suppress(IntegrityError), transaction.atomic():
                through.objects.filter(from_petition_id=a).update(from_petition_id=b)


def mutate_units(rng: random.Random, ids: list[int]) -> None:
    """Assign, withdraw, move and delete assignments; involve and uninvolve units."""
    from xinfang.accounts.models import Unit

    units = list(Unit.objects.values_list("id", flat=True)[:4])
    clerk = Petition.objects.first().first_responder if ids else None
    for pid in rng.sample(ids, min(len(ids), 6)):
        # A change the constraints refuse (a second standing assignment of a unit) is rolled
        # back with its savepoint, triggers' rows included.
        with contextlib.suppress(IntegrityError), transaction.atomic():
            _mutate_unit(rng, pid, units, clerk)


def _mutate_unit(rng, pid, units, clerk) -> None:
    from xinfang.petitions.models import InvolvedUnit
    from xinfang.petitions.workflow_models import Assignment

    change = rng.choice(["assign", "withdraw", "restore", "move", "delete", "involve", "uninvolve"])
    assignment = Assignment.objects.filter(petition_id=pid).order_by("?").first()
    if change == "assign":
        Assignment.objects.create(
            petition_id=pid, unit_id=rng.choice(units), role="assist", kind="transfer", assigned_by=clerk
        )
    elif change == "withdraw" and assignment:
        Assignment.objects.filter(pk=assignment.pk).update(status="withdrawn")
    elif change == "restore" and assignment:
        assignment.status = "received"
        assignment.save()
    elif change == "move" and assignment:
        Assignment.objects.filter(pk=assignment.pk).update(unit_id=rng.choice(units))
    elif change == "delete" and assignment:
        assignment.delete()
    elif change == "involve":
        InvolvedUnit.objects.get_or_create(petition_id=pid, unit_id=rng.choice(units))
    elif change == "uninvolve":
        InvolvedUnit.objects.filter(
            pk__in=InvolvedUnit.objects.filter(petition_id=pid).values("pk")[:1]
        ).delete()


def mutate(rng: random.Random, now) -> None:
    """Change what the statistics count, the ways the services and bulk loads do."""
    ids = list(Petition.objects.values_list("id", flat=True))
    categories = list(Category.objects.values_list("id", flat=True)[:5])
    for pid in rng.sample(ids, min(len(ids), 8)):
        change = rng.choice(["status", "channel", "category", "received", "group", "save", "none"])
        if change == "status":
            Petition.objects.filter(pk=pid).update(status=rng.choice(["closed", "assigned", "replied"]))
        elif change == "channel":
            Petition.objects.filter(pk=pid).update(channel=rng.choice(["letter", "visit", "online"]))
        elif change == "category":
            Petition.objects.filter(pk=pid).update(category_id=rng.choice(categories))
        elif change == "received":
            p = Petition.objects.get(pk=pid)
            p.received_at -= timedelta(hours=rng.choice([1, 9, 24 * 31]))  # across a day, a month
            p.save(update_fields=["received_at"])
        elif change == "group":
            Petition.objects.filter(pk=pid).update(is_group=rng.random() < 0.5)
        elif change == "save":
            Petition.objects.get(pk=pid).save()  # nothing counted changes
    mutate_clocks(rng, now)
    Petition.objects.filter(pk__in=ids[: rng.randrange(0, 3)]).update(
        status="archived"
    )  # several rows at once


def mutate_clocks(rng: random.Random, now) -> None:
    """Meet, pause, resume, extend, move and delete clocks, one by one and several per
    statement (the running clocks' trigger works per statement), and add new ones."""
    deadlines = list(Deadline.objects.values_list("id", flat=True))
    for did in rng.sample(deadlines, min(len(deadlines), 10)):
        d = Deadline.objects.get(pk=did)
        change = rng.choice(["meet", "unmeet", "extend", "delete", "rename", "pause", "resume", "move"])
        if change == "meet":
            d.met_at = d.due_at + timedelta(days=rng.choice([-1, 1]))
        elif change == "unmeet":
            d.met_at = None
        elif change == "extend":
            d.due_at += timedelta(days=rng.choice([2, -2, 40]))
        elif change == "rename":
            d.name = f"assignment:{d.pk}"
        elif change == "pause":
            d.paused_at = now
        elif change == "resume":  # resuming moves the due time on by the time it stood still
            d.paused_at = None
            d.due_at += timedelta(hours=rng.choice([1, 30]))
        elif change == "move":  # today, yesterday, long past: the due days the summary tells apart
            d.due_at = now + timedelta(hours=rng.choice([-1, 1, -25, -24 * 9, 24 * 3]))
        if change == "delete":
            d.delete()
        else:
            d.save()
    petitions = list(Petition.objects.values_list("id", flat=True))
    if not petitions:
        return
    several = Deadline.objects.filter(petition_id__in=rng.sample(petitions, min(len(petitions), 3)))
    change = rng.choice(["meet_all", "unmeet_all", "pause_all", "shift_all", "delete_all", "add"])
    if change == "meet_all":
        several.update(met_at=now)
    elif change == "unmeet_all":
        several.update(met_at=None, paused_at=None)
    elif change == "pause_all":
        several.update(paused_at=now)
    elif change == "shift_all":
        several.update(due_at=F("due_at") - timedelta(days=rng.choice([1, 3])))
    elif change == "delete_all":
        several.delete()
    else:  # new clocks of one petition in one statement, one of them earlier than the others
        pid = rng.choice(petitions)
        Deadline.objects.filter(petition_id=pid, name__in=["reply", "transfer"]).delete()
        Deadline.objects.bulk_create(
            Deadline(
                petition_id=pid,
                name=name,
                rule="4.6",
                starts_at=now - timedelta(days=3),
                due_at=now + timedelta(hours=hours),
                met_at=None,
            )
            for name, hours in (("reply", rng.choice([-30, -2, 5])), ("transfer", rng.choice([-50, 3, 48])))
        )


def delete_petitions(rng: random.Random) -> None:
    """Delete a petition with everything it has, the petition first or its rows first (the
    foreign keys are checked at commit, so either order is possible in one transaction)."""
    ids = list(Petition.objects.values_list("id", flat=True))
    tables = ("petitions_deadline", "petitions_assignment", "petitions_involvedunit")
    links = "DELETE FROM petitions_petition_repeat_of WHERE from_petition_id = %s OR to_petition_id = %s"
    for pid in rng.sample(ids, min(len(ids), 2)):
        statements = [(f"DELETE FROM {t} WHERE petition_id = %s", [pid]) for t in tables]  # noqa: S608
        statements.append((links, [pid, pid]))  # its repeat links, either way round
        first = ("DELETE FROM petitions_petition WHERE id = %s", [pid])
        order = [first, *statements] if rng.random() < 0.5 else [*statements, first]
        with connection.cursor() as cursor:
            for sql, params in order:
                cursor.execute(sql, params)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), size=st.integers(1, 20))
def test_triggers_keep_the_summary_equal_to_a_recount(world_factory, seed, size):
    rng = random.Random(seed)
    with transaction.atomic():
        sid = transaction.savepoint()
        world_factory(rng, size, timezone.now())
        mutate_repeats(rng)
        mutate(rng, timezone.now())
        mutate_units(rng, list(Petition.objects.values_list("id", flat=True)))
        mutate_repeats(rng)
        mutate_clocks(rng, timezone.now())
        delete_petitions(rng)
        world_factory(rng, 2, timezone.now())  # more petitions after the changes
        kept = folded()
        assert_rollup_is_the_sum_of_its_scope(kept)
        summary_sql.compact()
        assert folded() == kept
        summary_sql.rebuild()
        assert folded() == kept
        world_factory(rng, 2, timezone.now())  # the roll-up follows changes after a fold
        assert_rollup_is_the_sum_of_its_scope(folded())
        transaction.savepoint_rollback(sid)


def test_rebuild_command_recounts_and_compacts(world_factory, capsys):
    world_factory(random.Random(5), 15, timezone.now())
    kept = folded()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reports_statcount; DELETE FROM reports_statdue")  # as if lost
    assert folded() == {}
    call_command("rebuild_statistics")
    assert folded() == kept
    assert "rows" in capsys.readouterr().out
    world_factory(random.Random(6), 5, timezone.now())
    before = folded()
    call_command("rebuild_statistics", "--compact")
    assert folded() == before
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM reports_statcount GROUP BY {KEY} HAVING count(*) > 1) x"
        )
        assert cursor.fetchone()[0] == 0  # one row per key once folded


def test_a_loader_pauses_every_summary_trigger_then_recounts(world_factory):
    """bench/load.py fills with the triggers paused for its connection and rebuilds afterwards:
    every function behind a summary trigger (read from the catalogue) must honour the pause,
    nothing may be counted while paused, and the rebuild must leave the same summary the
    triggers would have kept."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgname, p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND t.tgname LIKE 'reports_stat%'"
        )
        installed = dict(cursor.fetchall())
    assert len(installed) >= 4
    assert all("xinfang.stat_paused" in source for source in installed.values()), installed.keys()
    world_factory(random.Random(7), 8, timezone.now())
    kept = folded()
    summary_sql.pause_session()
    try:
        world_factory(random.Random(8), 8, timezone.now())
        assert folded() == kept  # nothing counted while paused
    finally:
        summary_sql.resume_session()
    summary_sql.rebuild()
    after_rebuild = folded()
    world_factory(random.Random(9), 3, timezone.now())
    assert folded() != after_rebuild  # counting again
    summary_sql.rebuild()
    assert folded() != kept


@pytest.mark.django_db(transaction=True)
def test_rebuild_runs_outside_a_transaction_too():
    """A loader calls rebuild between its own commits (autocommit): PostgreSQL refuses LOCK TABLE
    outside a transaction block, which ended a 10^6 bench fill without its summary."""
    assert connection.get_autocommit()
    summary_sql.rebuild()
    assert summary_sql.row_count() == 0  # nothing to count in the flushed database


def test_the_rollup_is_written_by_the_statements_that_write_its_rows():
    """The roll-up rows come from the same INSERT as the rows they sum (no statement trigger on
    the summary tables, which cost every summary insert one more statement)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relname IN ('reports_statcount', 'reports_statdue')"
        )
        assert cursor.fetchall() == []


@pytest.mark.django_db(transaction=True)
def test_a_database_with_petitions_upgrades_from_before_the_recount(world_factory):
    """A database at reports 0006 that holds petitions migrates to the latest summary: 0007
    recounts with today's functions, which also write the roll-up scopes ("involved:all" is
    longer than 0006's scope column), and the result equals a recount from scratch."""
    from django.db.migrations.executor import MigrationExecutor

    rng = random.Random(7)
    world_factory(rng, 25, timezone.now())
    summary_sql.rebuild()
    expected = folded()
    assert any(key[7] == "involved:all" for key in expected)
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("reports", "0006_statistics_new_petition")])
        # Forward to the recount alone and back again: its roll-up rows go with it.
        for target in ("0007_statistics_repeat_settled", "0006_statistics_new_petition"):
            executor = MigrationExecutor(connection)
            executor.migrate([("reports", target)])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert folded() == expected
    assert_rollup_is_the_sum_of_its_scope(folded())


@pytest.mark.django_db(transaction=True)
def test_a_database_past_the_recount_gets_the_wider_scope(world_factory):
    """A database that ran 0007 before 0007 widened the scope column (8 characters, no roll-up
    rows) is widened by 0008, and its summary then recounts with the roll-up scopes."""
    from django.db.migrations.executor import MigrationExecutor

    world_factory(random.Random(3), 15, timezone.now())
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("reports", "0007_statistics_repeat_settled")])
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM reports_statcount WHERE scope LIKE '%%all'")
            cursor.execute("DELETE FROM reports_statdue WHERE scope LIKE '%%all'")
            for table in ("reports_statcount", "reports_statdue"):
                cursor.execute(f"ALTER TABLE {table} ALTER COLUMN scope TYPE varchar(8)")
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT character_maximum_length FROM information_schema.columns "
            "WHERE table_name IN ('reports_statcount', 'reports_statdue') AND column_name = 'scope'"
        )
        assert cursor.fetchall() == [(16,)]
    summary_sql.rebuild()
    assert_rollup_is_the_sum_of_its_scope(folded())
