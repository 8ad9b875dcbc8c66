from django.db import migrations, models
from django.db.models import OuterRef, Subquery

BATCH = 50_000


def backfill(apps, schema_editor):
    """Each assignment gets its petition's `received_at`, by ranges of ids (no id lists), before
    the column becomes NOT NULL and its index exists."""
    Assignment = apps.get_model("petitions", "Assignment")
    Petition = apps.get_model("petitions", "Petition")
    received = Subquery(Petition.objects.filter(pk=OuterRef("petition_id")).values("received_at")[:1])
    last = Assignment.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for start in range(0, last + 1, BATCH):
        Assignment.objects.filter(id__gte=start, id__lt=start + BATCH).update(received_at=received)


class Migration(migrations.Migration):

    dependencies = [
        ("petitions", "0012_petition_signing_columns"),
    ]

    operations = [
        migrations.AddField(
            model_name="assignment",
            name="received_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="assignment",
            name="received_at",
            field=models.DateTimeField(editable=False),
        ),
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(
                condition=models.Q(("status", "withdrawn"), _negated=True),
                fields=["unit", "-received_at", "-petition"],
                name="assignment_unit_received",
            ),
        ),
    ]
