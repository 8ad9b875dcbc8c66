from datetime import date

from django.db import migrations, models

FOLD_KEY = [
    "grain",
    "day",
    "scope",
    "clock",
    "channel",
    "category_id",
    "status",
    "is_group",
    "is_repeat",
    "unit_id",
]


def pending(model_name: str) -> list:
    # The rows already there count as folded (false, a constant default: no table rewrite), what
    # is appended from now on as pending (true). A key whose earlier deltas were never folded
    # (a database without a worker) keeps its several rows until a change touches it, then
    # folds whole; the reads sum a key's rows either way.
    return [
        migrations.AddField(
            model_name=model_name, name="pending", field=models.BooleanField(db_default=False)
        ),
        migrations.AlterField(
            model_name=model_name, name="pending", field=models.BooleanField(db_default=True)
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0010_statcount_month_status"),
    ]

    operations = [
        *pending("statcount"),
        *pending("statdue"),
        # The fold's look-ups (models.py says why partial); the (grain, day) index no read used.
        migrations.RemoveIndex(model_name="statcount", name="statcount_grain_day"),
        migrations.AddIndex(
            model_name="statcount",
            index=models.Index(fields=["id"], condition=models.Q(pending=True), name="statcount_pending"),
        ),
        migrations.AddIndex(
            model_name="statcount",
            index=models.Index(fields=FOLD_KEY, condition=models.Q(pending=False), name="statcount_key"),
        ),
        migrations.AddIndex(
            model_name="statdue",
            index=models.Index(fields=["id"], condition=models.Q(pending=True), name="statdue_pending"),
        ),
        migrations.AddIndex(
            model_name="statdue",
            index=models.Index(
                fields=[*FOLD_KEY, "due"], condition=models.Q(pending=False), name="statdue_key"
            ),
        ),
        migrations.AddIndex(
            model_name="statdue",
            index=models.Index(
                fields=["due"], condition=models.Q(pending=False, due__gt=date(1, 1, 1)), name="statdue_due"
            ),
        ),
    ]
