from django.db import migrations


def seed(apps, schema_editor):
    from xinfang.deadlines.seed import seed_policies, sync_calendar

    seed_policies(apps.get_model("deadlines", "DeadlinePolicy"))
    sync_calendar(apps.get_model("deadlines", "CalendarYear"), apps.get_model("deadlines", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
