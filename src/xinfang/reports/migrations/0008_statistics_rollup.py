from django.db import migrations, models


def install_rollup(apps, schema_editor):
    # The functions that keep the roll-up, then its rows for what the tables already hold
    # (PostgreSQL; one read of each table, about a minute at 10^6 petitions). The functions
    # first: a change committed meanwhile is rolled up by them, and the backfill recounts the
    # roll-up under the lock. (Written for roll-up triggers on the summary tables; today's
    # functions write the roll-up themselves, 0009.)
    if schema_editor.connection.vendor != "postgresql":
        return
    from xinfang.reports import summary_sql
    from xinfang.reports.summary_rollup_sql import ROLLUP_BACKFILL_SQL

    summary_sql.install(schema_editor)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "LOCK TABLE petitions_petition, petitions_deadline, petitions_assignment, "
            "petitions_involvedunit IN SHARE MODE"
        )
        cursor.execute(ROLLUP_BACKFILL_SQL)


def drop_rollup(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from xinfang.reports.summary_rollup_sql import ROLLUP_DELETE_SQL, ROLLUP_DROP_SQL

    schema_editor.execute(ROLLUP_DROP_SQL)
    schema_editor.execute(ROLLUP_DELETE_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0007_statistics_repeat_settled"),
    ]

    operations = [
        # "involved:all" is 12 characters; widening a varchar rewrites neither table nor index.
        migrations.AlterField(
            model_name="statcount", name="scope", field=models.CharField(default="", max_length=16)
        ),
        migrations.AlterField(
            model_name="statdue", name="scope", field=models.CharField(default="", max_length=16)
        ),
        migrations.RunPython(install_rollup, drop_rollup),
    ]
