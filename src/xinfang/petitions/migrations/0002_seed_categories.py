from django.db import migrations

from xinfang.petitions.categories import seed_categories


def seed(apps, schema_editor):
    seed_categories(apps.get_model("petitions", "Category"))


class Migration(migrations.Migration):
    dependencies = [("petitions", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
