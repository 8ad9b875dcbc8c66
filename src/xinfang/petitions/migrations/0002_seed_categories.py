from django.db import migrations

from xinfang.petitions.categories import SEED_CATEGORIES


def seed(apps, schema_editor):
    Category = apps.get_model("petitions", "Category")
    for order, (code, name, name_en) in enumerate(SEED_CATEGORIES):
        Category.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("petitions", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
