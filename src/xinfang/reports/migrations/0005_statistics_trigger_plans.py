from django.db import migrations


def reinstall(apps, schema_editor):
    # The clocks' trigger functions changed (per-petition look-ups the planner cannot send down
    # the running-clocks index; set-based "earliest due" for bulk statements): recreate the
    # functions in place. The summary's rows are unchanged, so nothing is recounted.
    from xinfang.reports import summary_sql

    summary_sql.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_statcount_petition_rows"),
    ]

    operations = [
        migrations.RunPython(reinstall, migrations.RunPython.noop),
    ]
