"""Re-seal every encrypted value under the current key (the first in XINFANG_PII_KEYS).

Rotation: put the new key first and keep the old one after it, run this command,
then remove the old key. Values already under the current key are left alone,
so the command can be interrupted and run again.
"""

from django.apps import apps
from django.core.management import BaseCommand
from django.db import connection, transaction

from xinfang.core import crypto
from xinfang.core.fields import EncryptedTextField

BATCH = 500


def encrypted_columns():
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            yield model, fields


class Command(BaseCommand):
    help = "Re-encrypt personal data under the current key of XINFANG_PII_KEYS."

    def handle(self, *args, **options):
        total = 0
        for model, fields in encrypted_columns():
            table = connection.ops.quote_name(model._meta.db_table)
            columns = [connection.ops.quote_name(f.column) for f in fields]
            pk = connection.ops.quote_name(model._meta.pk.column)
            last = 0
            while True:
                with transaction.atomic(), connection.cursor() as cursor:
                    # Names come from the models (quoted), values are parameters: no input in the SQL.
                    select = f"SELECT {pk}, {', '.join(columns)} FROM {table} WHERE {pk} > %s ORDER BY {pk} LIMIT %s"  # noqa: S608
                    cursor.execute(select, [last, BATCH])
                    rows = cursor.fetchall()
                    for row_pk, *values in rows:
                        resealed = []
                        for field, value in zip(fields, values, strict=True):
                            if value and not crypto.sealed_with_current_key(value):
                                value = crypto.encrypt(
                                    crypto.decrypt(value, purpose=field.purpose), purpose=field.purpose
                                )
                                total += 1
                            resealed.append(value)
                        if resealed != values:
                            assignments = ", ".join(f"{c} = %s" for c in columns)
                            update = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
                            cursor.execute(update, [*resealed, row_pk])
                if len(rows) < BATCH:
                    break
                last = rows[-1][0]
        self.stdout.write(f"re-sealed {total} value(s) under the current key")
