from django.db import migrations, models


def install_summary(apps, schema_editor):
    # The triggers now keep the repeat flag, the settled petitions and the met clocks of the
    # running petitions too: recreate them and recount both tables (PostgreSQL; writers wait).
    from xinfang.reports import summary_sql

    summary_sql.rebuild(schema_editor)


def drop_summary(apps, schema_editor):
    # Today's functions write the columns this migration adds: going back drops them all (the
    # summary is then no longer kept; migrate forward again).
    if schema_editor.connection.vendor == "postgresql":
        from xinfang.reports import summary_sql

        schema_editor.execute(summary_sql.DROP_SQL)


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
        migrations.RunPython(install_summary, drop_summary),
    ]
