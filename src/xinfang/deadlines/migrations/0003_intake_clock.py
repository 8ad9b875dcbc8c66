from django.db import migrations, models


def seed(apps, schema_editor):
    from xinfang.deadlines.seed import seed_channel_policies

    seed_channel_policies(apps.get_model("deadlines", "DeadlinePolicy"))


class Migration(migrations.Migration):
    """The portal's intake clock becomes policy data (issue 13): a choice and its seeded rows."""

    dependencies = [("deadlines", "0002_seed")]

    operations = [
        migrations.AlterField(
            model_name="deadlinepolicy",
            name="clock",
            field=models.CharField(
                choices=[
                    ("handling", "Handling (office)"),
                    ("transfer", "Transfer after instruction"),
                    ("reply", "Reply to the petitioner"),
                    ("superior_report", "Report to the superior"),
                    ("assignment", "Assigned unit's due date"),
                    ("supervision", "Response to supervision"),
                    ("review", "Review (复查)"),
                    ("re_review", "Re-review (复核)"),
                    ("objection", "Objection to a wrong transfer"),
                    ("intake", "Online intake (accept or decline)"),
                ],
                max_length=24,
                verbose_name="clock",
            ),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
