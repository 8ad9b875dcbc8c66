from django.db import migrations, models


class Migration(migrations.Migration):
    # The clerk's "to archive" queue, newest first, from its own partial index (models.py).
    dependencies = [
        ("petitions", "0013_assignment_received_at"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="petition",
            index=models.Index(
                condition=models.Q(("status__in", ["closed", "persuaded", "referred_to_police"])),
                fields=["-received_at", "-id"],
                name="petition_to_archive_order",
            ),
        ),
    ]
