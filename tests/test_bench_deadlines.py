"""`make bench-deadlines` fills with the statistics summary's triggers paused and counts the new
petitions once (bench/deadlines.py): the summary must still equal a recount from scratch, which
the reports' tests hold equal to what the triggers keep. Sizes grow one from the other, and the
first sweep of each size claims the due clocks of all its petitions again."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

SUMMARY = """
SELECT md5(coalesce(string_agg(x, ',' ORDER BY x), '')) FROM (
  SELECT concat_ws('|', grain, day, channel, category_id, status, is_group, scope, clock, unit_id,
                   is_repeat, settled, sum(petitions), sum(on_time), sum(late)) x
  FROM reports_statcount
  GROUP BY grain, day, channel, category_id, status, is_group, scope, clock, unit_id, is_repeat, settled
  HAVING sum(petitions) <> 0 OR sum(on_time) <> 0 OR sum(late) <> 0
  UNION ALL
  SELECT concat_ws('|', 'due', grain, day, channel, category_id, status, is_group, scope, clock, unit_id,
                   due, is_repeat, settled, sum(petitions), sum(clocks), sum(on_time), sum(late))
  FROM reports_statdue
  GROUP BY grain, day, channel, category_id, status, is_group, scope, clock, unit_id, due, is_repeat, settled
  HAVING sum(petitions) <> 0 OR sum(clocks) <> 0
) t"""


def summary() -> str:
    with connection.cursor() as cursor:
        cursor.execute(SUMMARY)
        return cursor.fetchone()[0]


def recounted() -> str:
    from xinfang.reports import summary_sql

    summary_sql.rebuild(reinstall=False)
    return summary()


def test_the_fill_counts_what_the_triggers_would(demo_org):
    if connection.vendor != "postgresql":
        pytest.skip("bench/deadlines.py measures PostgreSQL")
    from xinfang.petitions.categories import seed_categories
    from xinfang.petitions.models import Category, Deadline, Petition

    seed_categories(Category)
    from bench import deadlines

    from xinfang.deadlines.models import Reminder
    from xinfang.deadlines.sweep import sweep

    deadlines.fill(300)
    assert Petition.objects.filter(number__startswith="BENCH-").count() == 300
    assert Deadline.objects.filter(petition__number__startswith="BENCH-", met_at=None).count() == 300
    filled = summary()
    assert filled == recounted()

    first = sweep()
    assert first.overdue == 3  # serials 100, 200, 300
    deadlines.fill(500)  # grows: 200 more, and the 300's reminders are gone
    assert Petition.objects.filter(number__startswith="BENCH-").count() == 500
    assert not Reminder.objects.exists()
    assert sweep().overdue == 5
    grown = summary()
    assert grown != filled and grown == recounted()

    deadlines.clear()  # what a new run starts with
    assert not Petition.objects.filter(number__startswith="BENCH-").exists()
    assert summary() == recounted()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="it would run the whole bench")
def test_without_postgresql_it_says_so_and_lets_make_bench_go_on(capsys):
    """`make bench` runs the deadline bench first: on a machine whose DATABASE_URL is unset it
    used to stop the whole bench with an error before SQLite was measured."""
    from bench import deadlines

    deadlines.main()  # no SystemExit
    assert "skipped" in capsys.readouterr().out
