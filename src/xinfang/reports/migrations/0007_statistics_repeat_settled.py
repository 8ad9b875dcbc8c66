from django.db import migrations, models


def install_summary(apps, schema_editor):
    # The triggers now keep the repeat flag, the settled petitions and the met clocks of the
    # running petitions too: recreate them and recount both tables (PostgreSQL; writers wait).
    from xinfang.reports import summary_sql

    summary_sql.rebuild(schema_editor)


def widen_scope(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in ("reports_statcount", "reports_statdue"):
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN scope TYPE varchar(16)")


def narrow_scope(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in ("reports_statcount", "reports_statdue"):
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN scope TYPE varchar(8)")


def drop_summary(apps, schema_editor):
    # Today's functions write the columns this migration adds: going back drops them all (the
    # summary is then no longer kept; migrate forward again).
    if schema_editor.connection.vendor == "postgresql":
        from xinfang.reports import summary_sql
        from xinfang.reports.summary_rollup_sql import ROLLUP_DELETE_SQL

        schema_editor.execute(summary_sql.DROP_SQL)
        # The roll-up rows the recount wrote, before the scope column narrows again.
        schema_editor.execute(ROLLUP_DELETE_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_statistics_new_petition"),
    ]

    operations = [
        migrations.AddField(
            model_name="statcount", name="is_repeat", field=models.BooleanField(default=False)
        ),
        migrations.AddField(model_name="statcount", name="settled", field=models.IntegerField(default=0)),
        migrations.AddField(model_name="statdue", name="is_repeat", field=models.BooleanField(default=False)),
        migrations.AddField(model_name="statdue", name="settled", field=models.IntegerField(default=0)),
        migrations.AddField(model_name="statdue", name="on_time", field=models.IntegerField(default=0)),
        migrations.AddField(model_name="statdue", name="late", field=models.IntegerField(default=0)),
        # The recount below runs today's functions, which also write the roll-up scopes of 0008
        # ("involved:all": 12 characters): the scope column is widened here already, or a
        # database that holds petitions could not get past this migration. In the database
        # only: 0008 still declares the width (a database that ran this migration before it
        # widened anything is widened there), so the two agree whichever ran it.
        migrations.RunPython(widen_scope, narrow_scope),
        migrations.RunPython(install_summary, drop_summary),
    ]
