from django.db import migrations


def install(apps, schema_editor):
    # The trigger functions write the roll-up rows in the same INSERT as their detail rows, and
    # the roll-up's triggers on the summary tables (0008) are dropped: one statement fewer for
    # every summary insert (PostgreSQL). The rows already written stay as they are: the same
    # counts whichever statement wrote them.
    from xinfang.reports import summary_sql

    summary_sql.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0008_statistics_rollup"),
    ]

    # Backwards: the functions today's code installs write the roll-up themselves, whatever
    # 0008 left; nothing to undo.
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
