"""The bands' rows without a database foreign key to their petition (MatterBand.petition,
db_constraint=False). Sixteen rows a petition, each checked against the petitions' key at
commit: for a ledger import of 10⁵ rows 1.6·10⁶ checks, measured in docs/benchmarks.md. The
rows are the search index's own, written only from petitions in hand and rebuilt from them
(`rebuild_search_index`); Django's delete still removes them with their petition (on_delete is
Django's, not the database's). Dropping the constraint is instant at any size."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0015_open_status_and_office_clocks"),
        ("search", "0006_matter_shingles"),
    ]

    operations = [
        migrations.AlterField(
            model_name="matterband",
            name="petition",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="petitions.petition",
            ),
        ),
    ]
