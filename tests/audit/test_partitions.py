"""The audit tables partitioned by month on PostgreSQL (migration 0007, pg_partman):
rows land in their month, existing rows survive the conversion, and retention drops
whole months, sealing where each event chain resumes, never before 184 days."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from xinfang.audit import retention
from xinfang.audit.access import record
from xinfang.audit.models import AccessLog, ChainCheckpoint, Event
from xinfang.audit.services import Context, append_event

pytestmark = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="only PostgreSQL partitions the audit tables; SQLite is unchanged",
)


def where(table, pk):
    """The partition a row is stored in (an oracle independent of the application)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def month_name(table, moment):
    return f"{table}_p{moment:%Y_%m}"


def run(*args):
    out = []

    class Out:
        def write(self, text):
            out.append(text)

    call_command("audit_partitions", *args, stdout=Out(), stderr=Out())
    return "".join(out)


def test_rows_land_in_their_month(register, client):
    petition = register()
    client.post("/accounts/login/", {"username": "clerk", "password": "nope"})
    now = timezone.now()
    assert where("audit_event", petition.events.get().pk) == month_name("audit_event", now)
    assert where("audit_accesslog", AccessLog.objects.latest("id").pk) == month_name("audit_accesslog", now)
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname IN ('audit_event', 'audit_accesslog')")
        assert [kind for (kind,) in cursor.fetchall()] == ["p", "p"]


def test_maintenance_keeps_four_months_ahead(db):
    with connection.cursor() as cursor:  # as if the months ahead had run out
        for table in retention.TABLES:
            for month in retention.months(table):
                if month.start > timezone.now():
                    cursor.execute(f'DROP TABLE "{month.name}"')
    run()
    ahead = timezone.now()
    for _ in range(4):
        ahead = (ahead.replace(day=1) + timedelta(days=32)).replace(day=1)
        for table in retention.TABLES:
            assert month_name(table, ahead) in {m.name for m in retention.months(table)}


@pytest.fixture
def old_and_new(register, demo_org):
    """Petition `whole` has all its events 300 days ago; `split` has three then and two now."""
    users, _units = demo_org
    then = timezone.now() - timedelta(days=300)
    retention.add_months("audit_event", [then])
    retention.add_months("audit_accesslog", [then])
    clerk = Context(actor=users["clerk"])
    with time_machine.travel(then, tick=False):
        whole, split = register(), register()
        for petition in (whole, split):
            append_event(petition, clerk, "petition.noted", {"n": 1})
            append_event(petition, clerk, "petition.noted", {"n": 2})
        record("petition.view", object_type="petition", object_ref=whole.number, user=users["clerk"])
    for n in (3, 4):
        append_event(split, clerk, "petition.noted", {"n": n})
    record("petition.view", object_type="petition", object_ref=split.number, user=users["clerk"])
    return whole, split, then


def test_retention_drops_the_month_and_every_chain_still_verifies(old_and_new, settings, demo_org):
    whole, split, then = old_and_new
    settings.EVENT_RETENTION_DAYS = 200
    settings.ACCESS_LOG_RETENTION_DAYS = 200
    call_command("verify_audit")
    out = run("--drop-expired")
    assert f"dropped {month_name('audit_event', then)}" in out
    assert f"dropped {month_name('audit_accesslog', then)}" in out
    assert not Event.objects.filter(petition=whole).exists()
    assert list(Event.objects.filter(petition=split).values_list("seq", flat=True)) == [4, 5]
    assert AccessLog.objects.filter(object_ref=split.number).exists()
    assert not AccessLog.objects.filter(object_ref=whole.number).exists()
    cut = {c.petition_id: c.seq for c in ChainCheckpoint.objects.all()}
    assert cut == {whole.pk: 3, split.pk: 3}
    call_command("verify_audit")
    # Chains go on from their checkpoints.
    users, _units = demo_org
    assert append_event(whole, Context(actor=users["clerk"]), "petition.noted", {}).seq == 4
    call_command("verify_audit")


def test_a_dropped_month_without_its_checkpoint_shows(old_and_new, settings, tamper):
    whole, split, then = old_and_new
    settings.EVENT_RETENTION_DAYS = 200
    run("--drop-expired")
    tamper("DELETE FROM audit_chaincheckpoint WHERE petition_id = %s", [split.pk])
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_a_tampered_month_is_not_sealed_nor_dropped(old_and_new, settings, tamper):
    whole, split, then = old_and_new
    settings.EVENT_RETENTION_DAYS = 200
    tamper("UPDATE audit_event SET data = '{\"n\": 99}' WHERE petition_id = %s AND seq = 2", [whole.pk])
    with pytest.raises(CommandError) as refused:
        run("--drop-expired")
    assert f"petition {whole.pk}" in str(refused.value)
    assert month_name("audit_event", then) in {m.name for m in retention.months("audit_event")}
    assert not ChainCheckpoint.objects.exists()
    assert Event.objects.filter(petition=whole).count() == 3


def test_a_kept_event_older_in_its_chain_than_a_dropped_one_stops_the_drop(register, demo_org, settings):
    """Clocks that disagree (two app servers) can put a later event in an earlier month:
    dropping that month would cut the chain in the middle."""
    users, _units = demo_org
    then = timezone.now() - timedelta(days=300)
    retention.add_months("audit_event", [then])
    petition = register()  # event 1 now
    with time_machine.travel(then, tick=False):
        append_event(petition, Context(actor=users["clerk"]), "petition.noted", {})  # event 2, "then"
    settings.EVENT_RETENTION_DAYS = 200
    with pytest.raises(CommandError) as refused:
        run("--drop-expired")
    assert "older in the chain" in str(refused.value)
    assert Event.objects.filter(petition=petition).count() == 2


def test_nothing_younger_than_184_days_goes(old_and_new, settings):
    whole, split, then = old_and_new
    settings.ACCESS_LOG_RETENTION_DAYS = 100  # below the legal minimum: refused, nothing dropped
    settings.EVENT_RETENTION_DAYS = 100
    with pytest.raises(CommandError) as refused:
        run("--drop-expired")
    assert "at least 184 days" in str(refused.value)
    assert AccessLog.objects.filter(object_ref=whole.number).exists()
    assert Event.objects.filter(petition=whole).count() == 3
    # A month is dropped only when all of it is past the period.
    assert retention.expired("audit_accesslog", 301) == []
    assert [m.name for m in retention.expired("audit_accesslog", 184)][-1] == month_name(
        "audit_accesslog", then
    )


def test_events_are_kept_for_ever_by_default(old_and_new):
    out = run("--drop-expired")
    assert "audit_event: kept for ever" in out
    assert Event.objects.filter(petition=old_and_new[0]).count() == 3


def test_rows_outside_the_months_are_reported(register, demo_org):
    users, _units = demo_org
    petition = register()
    with time_machine.travel(timezone.now() + timedelta(days=800), tick=False):
        append_event(petition, Context(actor=users["clerk"]), "petition.noted", {})
    assert retention.outside_months("audit_event") == 1
    with pytest.raises(CommandError) as refused:
        run()
    assert "outside the months" in str(refused.value)


@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_existing_rows(register, client):
    """Back to plain tables and forward again, with rows: all kept, ids and chains intact."""
    petition = register()
    client.post("/accounts/login/", {"username": "clerk", "password": "nope"})
    before = (
        list(Event.objects.order_by("id").values_list("id", "hash")),
        list(AccessLog.objects.order_by("id").values_list("id", "action")),
    )
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("audit", "0006_chain_checkpoint")])
        assert not retention.partitioned()
        executor = MigrationExecutor(connection)
        executor.migrate([("audit", "0007_partition_by_month")])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert retention.partitioned()
    after = (
        list(Event.objects.order_by("id").values_list("id", "hash")),
        list(AccessLog.objects.order_by("id").values_list("id", "action")),
    )
    assert after == before
    call_command("verify_audit")
    # The identity sequences carried on past the copied rows.
    later = register()
    assert later.events.get().id > max(pk for pk, _hash in before[0])
    assert where("audit_event", petition.events.get().pk) == month_name("audit_event", timezone.now())
