"""Digests of every row the newest ledger import wrote, table by table, for comparing two
versions of the import on the same input (PostgreSQL).

    # on two fresh copies of one database, one import each (bench/reports.py --existing --stage
    # import ...), each from its own checkout; then, with the same environment:
    .venv/bin/python bench/import_rows.py --summary-after 123456,7890 > a.txt
    diff a.txt b.txt

The import's petitions are those of the newest LedgerImport (ImportedPetition); every table
keyed by petition is read for them, through the ORM (sealed personal data compared opened: its
ciphertext differs from write to write by its random nonce), the search index's own columns
(grams, units) and the statistics summary's rows by SQL. `--summary-after S,D`: the largest ids of
reports_statcount and reports_statdue before the import (the summary's rows are appended by it).
Each table prints its row count and one digest of its rows as a multiset (ids and the columns that
hold the moment of writing left out, listed in VOLATILE), then one digest per column, so that a
difference names its column.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

# Columns set from the clock when written (or hashed over such a column): not the import's input.
VOLATILE = {
    "petitions.Petition": {"created_at", "updated_at"},
    "petitions.Assignment": {"assigned_at"},
    "reports.LedgerImport": {"at"},
    "audit.Event": {"at", "hash"},
    "audit.ChainHead": {"hash", "mac"},
    "audit.ChainCount": {"mac"},
}
BY_PETITION = (
    ("petitions.Petition", "id"),
    ("petitions.Petitioner", "petition_id"),
    ("petitions.InvolvedUnit", "petition_id"),
    ("petitions.InvolvedPerson", "petition_id"),
    ("petitions.ReceptionRecord", "petition_id"),
    ("petitions.Deadline", "petition_id"),
    ("petitions.Reply", "petition_id"),
    ("petitions.Assignment", "petition_id"),
    ("reports.ImportedPetition", "petition_id"),
    ("audit.Event", "petition_id"),
    ("audit.ChainHead", "petition_id"),
    ("search.MatterBand", "petition_id"),
    ("search.MatterShingles", "petition_id"),
)


def digest(rows) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(repr(row).encode())
        h.update(b"\n")
    return h.hexdigest()[:16]


def report(name: str, columns: list[str], rows: list[tuple]) -> None:
    rows = sorted(rows, key=repr)
    print(f"{name} rows={len(rows)} all={digest(rows)}")
    for i, column in enumerate(columns):
        print(f"  {name}.{column} {digest(sorted((r[i] for r in rows), key=repr))}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--summary-after", default="", help="largest statcount,statdue ids before the import")
    args = parser.parse_args()
    import django

    django.setup()
    from django.apps import apps
    from django.db import connection

    from xinfang.petitions.models import Petition
    from xinfang.reports.models import ImportedPetition, LedgerImport

    ledger = LedgerImport.objects.order_by("-pk").first()
    ids = ImportedPetition.objects.filter(ledger_import=ledger).values_list("petition_id", flat=True)
    first, last = min(ids), max(ids)
    print(
        f"ledger created={ledger.created} skipped={ledger.skipped} rows={ledger.rows} sha256={ledger.sha256}"
    )
    for label, key in BY_PETITION:
        model = apps.get_model(label)
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if not f.primary_key and f.attname not in VOLATILE.get(label, set())
        ]
        if label == "petitions.Petition":
            columns = ["id", *columns]  # the petitions' own ids are the import's, drawn in row order
        qs = model.objects.filter(**{f"{key}__gte": first, f"{key}__lte": last}).values_list(*columns)
        report(label, columns, [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in qs])
    through = Petition.repeat_of.through
    report(
        "petitions.repeat_of",
        ["from", "to"],
        list(
            through.objects.filter(from_petition_id__gte=first, from_petition_id__lte=last).values_list(
                "from_petition_id", "to_petition_id"
            )
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT petition_id, body, grams::text, units::text FROM search_searchdocument"
            " WHERE petition_id BETWEEN %s AND %s",
            [first, last],
        )
        report("search.SearchDocument", ["petition_id", "body", "grams", "units"], cursor.fetchall())
        cursor.execute("SELECT count, last_petition_id FROM audit_chaincount")
        report("audit.ChainCount", ["count", "last_petition_id"], cursor.fetchall())
        if args.summary_after:
            for table, after in zip(
                ("reports_statcount", "reports_statdue"), args.summary_after.split(","), strict=True
            ):
                cursor.execute(f"SELECT * FROM {table} WHERE id > %s", [int(after)])  # noqa: S608
                names = [c.name for c in cursor.description]
                keep = [i for i, n in enumerate(names) if n != "id"]
                report(
                    table, [names[i] for i in keep], [tuple(r[i] for i in keep) for r in cursor.fetchall()]
                )


if __name__ == "__main__":
    main()
