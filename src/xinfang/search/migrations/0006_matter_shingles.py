"""Each petition's distinct matter shingles (search/similarity.py `stored_codes`), written from
now on with its MinHash bands, so that the similar-petition look-up scores its candidates
without reading their text. Existing petitions are filled here from their title, problem and
requests, 2,000 at a time in id order (COPY on PostgreSQL); `rebuild_search_index` writes the
same rows. At 10⁵ petitions the fill took 11 s on the bench machine (61 MiB); expect minutes at
10⁶, during which registrations wait on the new table.
"""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 2000


def fill(apps, schema_editor):
    from xinfang.core.inserts import copy_rows
    from xinfang.search.similarity import matter_text, shingle_codes, stored_codes

    Petition = apps.get_model("petitions", "Petition")
    connection = schema_editor.connection
    last = 0
    while True:
        chunk = list(
            Petition.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "title", "content", "requests")[:BATCH]
        )
        if not chunk:
            break
        last = chunk[-1][0]
        rows = [(pk, stored_codes(shingle_codes(matter_text(t, c, r)))) for pk, t, c, r in chunk]
        if connection.vendor == "postgresql":
            copy_rows(connection, "search_mattershingles", ["petition_id", "codes"], rows)
        else:
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO search_mattershingles (petition_id, codes) VALUES (%s, %s)", rows
                )
    if connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE search_mattershingles")


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0015_open_status_and_office_clocks"),
        ("search", "0005_document_units"),
    ]

    operations = [
        migrations.CreateModel(
            name="MatterShingles",
            fields=[
                (
                    "petition",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="matter_shingles",
                        serialize=False,
                        to="petitions.petition",
                    ),
                ),
                ("codes", models.BinaryField()),
            ],
            options={"verbose_name": "matter shingles"},
        ),
        # Reversed by dropping the table (CreateModel's reverse): nothing to undo before.
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
