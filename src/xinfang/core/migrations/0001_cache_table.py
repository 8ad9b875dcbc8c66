"""The database cache's table, so that the shared default cache (throttles, rate
limits) works on a fresh database without a separate createcachetable step.

It is created whatever the current cache setting says: an instance that later
drops Redis for the database cache, or a process started with a different
setting (tests), finds it there.
"""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

from xinfang.env import CACHE_TABLE


def create(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, CACHE_TABLE, dry_run=False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = []
    operations = [migrations.RunPython(create, drop, elidable=False)]
