"""The reminder sweep: twice, late, by two workers at once; escalation; e-mail."""

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection

from xinfang.deadlines.models import Reminder
from xinfang.deadlines.sweep import sweep
from xinfang.notifications.models import Notification

SH = ZoneInfo("Asia/Shanghai")


def kinds():
    return sorted(
        Notification.objects.filter(kind__startswith="deadline_").values_list(
            "recipient__username", "kind", "data__deadline"
        )
    )


@pytest.mark.django_db
def test_overdue_is_escalated_once_even_when_run_twice(drive, demo_org, django_capture_on_commit_callbacks):
    users, _units = demo_org
    users["clerk"].email = "clerk@example.org"
    users["clerk"].save()
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        drive("registered")
    with time_machine.travel(datetime(2026, 4, 20, 9, 0, tzinfo=SH), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            first = sweep()
        with django_capture_on_commit_callbacks(execute=True):
            second = sweep()
    assert first.overdue == 2 and second.overdue == 0 and second.notifications == 0
    # The first responder hears, and the leaders in charge (no unit names one: SG and deputies).
    assert kinds() == [
        ("clerk", "deadline_overdue", "handling"),
        ("clerk", "deadline_overdue", "reply"),
        ("deputy", "deadline_escalated", "handling"),
        ("deputy", "deadline_escalated", "reply"),
        ("secgen", "deadline_escalated", "handling"),
        ("secgen", "deadline_escalated", "reply"),
    ]
    assert len(mail.outbox) == 2 and mail.outbox[0].to == ["clerk@example.org"]


@pytest.mark.django_db
def test_a_late_run_catches_up_without_a_stale_due_soon(drive):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        drive("registered")
    # Not run for a week and more: the handling clock (March 9) is past, the reply one is not near.
    with time_machine.travel(datetime(2026, 3, 12, 9, 0, tzinfo=SH), tick=False):
        result = sweep()
    assert (result.overdue, result.due_soon) == (1, 0)
    assert not Reminder.objects.filter(kind="due_soon").exists()


@pytest.mark.django_db
def test_due_soon_then_overdue(drive, demo_org):
    _users, units = demo_org
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        petition = drive("assigned")
    with time_machine.travel(datetime(2026, 3, 9, 9, 0, tzinfo=SH), tick=False):
        soon = sweep()
    # The assignments' due dates (7 days: March 9) are near: their units' handlers are reminded.
    assert soon.due_soon == 2
    assert ("housing", "deadline_due_soon", f"assignment:{units['HOUSING'].pk}") in kinds()
    with time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=SH), tick=False):
        late = sweep()
    assert late.overdue == 2
    # HOUSING's leader in charge is the deputy Secretary-General.
    assert ("deputy", "deadline_escalated", f"assignment:{units['HOUSING'].pk}") in kinds()
    assert petition.deadlines.count() >= 4


@pytest.mark.django_db
def test_an_extended_clock_is_reminded_again(drive, demo_org):
    from xinfang.audit.services import Context
    from xinfang.deadlines.services import extend_deadline

    users, _units = demo_org
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        petition = drive("registered")
    with time_machine.travel(datetime(2026, 3, 9, 9, 0, tzinfo=SH), tick=False):
        assert sweep().due_soon == 1
        extend_deadline(
            ctx=Context(actor=users["secgen"]), petition=petition, name="handling", days=2, reason="补充材料"
        )
    with time_machine.travel(datetime(2026, 3, 11, 9, 0, tzinfo=SH), tick=False):
        assert sweep().due_soon == 1


@pytest.mark.django_db(
    transaction=True
)  # the worker closes stale connections, as a long-running process must
def test_the_worker_command_runs_a_sweep(drive):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        drive("registered")
    call_command("run_deadline_worker", "--once")
    assert Reminder.objects.filter(kind="overdue").count() == 2


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once(drive):
    with time_machine.travel(datetime(2026, 1, 5, 9, 0, tzinfo=SH), tick=False):
        for _ in range(6):
            drive("registered")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            results.append(sweep(batch_size=3))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sum(r.overdue for r in results) == 12
    assert Reminder.objects.count() == 12
    # 12 clocks: first responder + SG + deputy each, exactly once.
    assert Notification.objects.filter(kind__startswith="deadline_").count() == 36
    assert not any(r.overdue for r in [sweep()])


@pytest.mark.django_db
def test_small_batches_claim_every_clock_once_even_when_ends_coincide(drive):
    """Each batch starts at the latest end the previous one claimed, inclusively: clocks that end
    at the same moment across a batch boundary are all reminded, each once. Oracle: the running,
    past-due clocks of open petitions, counted in SQL."""
    from xinfang.petitions.models import Deadline

    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        for _ in range(4):
            drive("registered")
    running = list(Deadline.objects.filter(met_at=None, paused_at=None).order_by("pk"))
    ends = [datetime(2026, 3, 5, 9, 0, tzinfo=SH), datetime(2026, 3, 6, 9, 0, tzinfo=SH)]
    for i, clock in enumerate(running):  # three and more share each end
        Deadline.objects.filter(pk=clock.pk).update(due_at=ends[i * len(ends) // len(running)])
    with time_machine.travel(datetime(2026, 3, 12, 9, 0, tzinfo=SH), tick=False):
        result = sweep(batch_size=2)
        again = sweep(batch_size=2)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM petitions_deadline d JOIN petitions_petition p ON p.id = d.petition_id"
            " WHERE d.met_at IS NULL AND d.paused_at IS NULL AND d.due_at < %s"
            " AND p.status IN ('registered', 'proposed', 'instructed', 'assigned', 'investigating',"
            " 'result_submitted', 'confirmed', 'replied', 'reported')",
            [datetime(2026, 3, 12, 9, 0, tzinfo=SH)],
        )
        (expected,) = cursor.fetchone()
    assert expected == len(running) >= 6
    assert result.overdue == expected and again.overdue == 0
    claimed = list(Reminder.objects.filter(kind="overdue").values_list("deadline_id", flat=True))
    assert sorted(claimed) == sorted(c.pk for c in running)


@pytest.mark.django_db
def test_a_large_pass_refreshes_the_reminder_tables_statistics(drive, monkeypatch):
    """After a pass that adds many reminders, the planner knows the table holds them (the next
    pass's "reminded already?" probe is planned on it). Oracle: the rows counted in SQL against
    the table's row estimate in pg_class, which ANALYZE sets and nothing else in a pass does."""
    if connection.vendor != "postgresql":
        pytest.skip("the planner's statistics are PostgreSQL's")
    from xinfang.deadlines import sweep as sweep_module

    monkeypatch.setattr(sweep_module, "ANALYZE_AFTER", 3, raising=False)
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        for _ in range(4):
            drive("registered")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE deadlines_reminder")  # taken while the table is empty

        def estimate():
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'deadlines_reminder'")
            return cursor.fetchone()[0]

        assert estimate() <= 0
        with time_machine.travel(datetime(2026, 3, 12, 9, 0, tzinfo=SH), tick=False):
            result = sweep()
        cursor.execute("SELECT count(*) FROM deadlines_reminder")
        (rows,) = cursor.fetchone()
        assert result.overdue == rows >= 3
        assert estimate() == rows
        # A small pass leaves the statistics alone (ANALYZE is not run every minute).
        monkeypatch.setattr(sweep_module, "ANALYZE_AFTER", rows + 1)
        Reminder.objects.filter(pk=Reminder.objects.order_by("pk").values("pk")[:1]).delete()
        with time_machine.travel(datetime(2026, 3, 12, 9, 0, tzinfo=SH), tick=False):
            assert sweep().overdue == 1
        assert estimate() == rows


@pytest.mark.django_db
def test_a_notice_holds_its_clock_the_time_of_the_pass_and_is_unread(drive):
    """The notices are written without model instances on PostgreSQL (one COPY of plain values):
    every column must still hold what the model would have saved."""
    petition = drive("registered")
    clock = petition.deadlines.get(name="handling")
    moment = datetime(2026, 12, 1, 9, 0, tzinfo=SH)
    clock.due_at = datetime(2026, 11, 30, 17, 0, tzinfo=SH)
    clock.save(update_fields=["due_at"])
    with time_machine.travel(moment, tick=False):
        sweep()
    notices = list(Notification.objects.filter(kind="deadline_overdue", petition=petition))
    assert len(notices) == 1
    (notice,) = notices
    assert notice.recipient_id == petition.first_responder_id
    assert notice.data == {
        "deadline": "handling",
        "due_at": clock.due_at.astimezone(ZoneInfo("UTC")).isoformat(),
    }
    assert notice.created_at == moment and notice.read_at is None
    assert Notification.objects.filter(
        recipient_id=petition.first_responder_id, read_at__isnull=True
    ).exists()
