from django.db import migrations


def install(apps, schema_editor):
    # The trigger functions now return at once while a bulk writer has paused them for its
    # transaction (summary_sql.pause), and the clocks' statement trigger no longer scans its
    # transition table once per petition. Today's functions write columns of 0006, which
    # recreates them.
    pass


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_statcount_petition_rows"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
