"""On PostgreSQL the event log and the access log become tables partitioned by month
(`at`), their partitions made ahead by pg_partman; existing rows are copied across.
SQLite is left as it was (docs/scaling.md, "Partitions and retention").

Why: both tables only grow (an event per action, an access log entry per read) and
retention must be able to remove a whole month without a DELETE that rewrites
indexes and leaves bloat; the newest-first screens read one month instead of all.

What changes on PostgreSQL, for every later migration to know:
- The primary key is (id, at) and the unique constraint `unique_event_seq` is
  (petition_id, seq, at): a partitioned table's unique keys must hold the partition key.
  `id` still comes from the table's identity sequence, so it stays unique, and one
  petition's events are appended under its row lock with `at` taken inside it, so
  (petition_id, seq) stays unique in practice; `verify_audit` reports a repeated or
  missing sequence number either way.
- The event log gains an index on (at, id), for the auditor's newest-first screen; the
  indexes on events' petition_id and on access log entries' user_id are not recreated:
  `unique_event_seq` and `access_user_at` lead with those columns.
- pg_partman keeps four months of partitions ahead and a default partition for rows
  outside them; `manage.py audit_partitions` runs its maintenance.

The extension needs a superuser once (`CREATE EXTENSION pg_partman SCHEMA partman`);
if it already exists, the migration only uses it.
"""

from django.db import migrations

TABLES = {
    # table: indexes to add besides those the old table had (which are recreated as they were)
    "audit_event": ["CREATE INDEX audit_event_at_id ON audit_event (at, id)"],
    "audit_accesslog": [],
}
# Foreign-key indexes another index already leads with: not recreated (each costs every insert).
COVERED = {"audit_event": "petition_id", "audit_accesslog": "user_id"}
UNIQUE_WITH_AT = {"audit_event": ("unique_event_seq", "petition_id, seq")}
TRIGGERS = {
    "audit_event": "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION xinfang_refuse_event_change()",
    "audit_accesslog": "CREATE TRIGGER audit_accesslog_guard BEFORE UPDATE OR DELETE ON audit_accesslog "
    "FOR EACH ROW EXECUTE FUNCTION xinfang_guard_access_log()",
}
PREMAKE = 4


def _partman(cursor):
    """The schema pg_partman lives in and its major version, installing it when absent."""
    cursor.execute(
        "SELECT n.nspname, e.extversion FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_partman'"
    )
    row = cursor.fetchone()
    if row is None:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_partman'")
        if cursor.fetchone() is None:
            raise RuntimeError(
                "PostgreSQL has no pg_partman extension: install the package "
                "postgresql-<version>-partman on the database server (docs/scaling.md)"
            )
        cursor.execute("CREATE SCHEMA IF NOT EXISTS partman")
        cursor.execute("CREATE EXTENSION pg_partman SCHEMA partman")
        return _partman(cursor)
    return row[0], int(row[1].split(".")[0])


def _rows(cursor, sql, params=None):
    cursor.execute(sql, params)
    return cursor.fetchall()


def _definitions(cursor, table: str) -> tuple[list, list]:
    """The table's indexes (name, definition, unique?) and foreign keys (name, definition), to
    recreate them on the table that replaces it (either way)."""
    [(relid,)] = _rows(cursor, "SELECT %s::regclass::oid", [table])
    indexes = _rows(
        cursor,
        "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisprimary OR i.indisunique "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s",
        [relid],
    )
    foreign_keys = _rows(
        cursor,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s AND contype = 'f'",
        [relid],
    )
    return indexes, foreign_keys


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        schema, major = _partman(cursor)
        for table, extra_indexes in TABLES.items():
            old = f"{table}_unpartitioned"
            indexes, foreign_keys = _definitions(cursor, table)
            # Names of indexes and of the identity sequence are schema-wide: the old ones step aside.
            cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
            cursor.execute(f"ALTER SEQUENCE {table}_id_seq RENAME TO {old}_id_seq")
            for name, _definition, _unique in indexes:
                cursor.execute(f'ALTER INDEX "{name}" RENAME TO "{name[:50]}_unpart"')
            cursor.execute(
                f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                "INCLUDING IDENTITY INCLUDING STORAGE) PARTITION BY RANGE (at)"
            )
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id, at)")
            if table in UNIQUE_WITH_AT:
                name, columns = UNIQUE_WITH_AT[table]
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE ({columns}, at)")
            for name, definition in foreign_keys:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for name, definition, unique in indexes:
                if unique or definition.endswith(f"USING btree ({COVERED[table]})"):
                    continue
                cursor.execute(definition)  # read before the renames: the old name, on the table's name
            for sql in extra_indexes:
                cursor.execute(sql)
            [(first,)] = _rows(
                cursor, f"SELECT to_char(date_trunc('month', coalesce(min(at), now())), 'YYYY-MM-DD') FROM {old}"
            )
            # pg_partman 5 calls native range partitioning 'range'; 4.x called it 'native'.
            cursor.execute(
                f"SELECT {schema}.create_parent(p_parent_table := %s, p_control := 'at', "
                "p_interval := '1 month', p_type := %s, p_premake := %s, p_start_partition := %s)",
                [f"public.{table}", "range" if major >= 5 else "native", PREMAKE, first],
            )
            # Months ahead are made from today, not from the newest row: a quiet table still gets them.
            cursor.execute(
                f"UPDATE {schema}.part_config SET infinite_time_partitions = true WHERE parent_table = %s",
                [f"public.{table}"],
            )
            cursor.execute(f"INSERT INTO {table} SELECT * FROM {old}")
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) "
                f"FROM {table}"
            )
            cursor.execute(f"DROP TABLE {old}")
            cursor.execute(TRIGGERS[table])
            cursor.execute(f"ANALYZE {table}")


def unpartition(apps, schema_editor):
    """Back to one plain table each (the rows copied back), for a rollback."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        schema, _major = _partman(cursor)
        for table in TABLES:
            old = f"{table}_partitioned"
            indexes, foreign_keys = _definitions(cursor, table)
            cursor.execute(f"DELETE FROM {schema}.part_config WHERE parent_table = %s", [f"public.{table}"])
            cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
            cursor.execute(f"ALTER SEQUENCE {table}_id_seq RENAME TO {old}_id_seq")
            for name, _definition, _unique in indexes:
                cursor.execute(f'ALTER INDEX "{name}" RENAME TO "{name[:50]}_part"')
            cursor.execute(
                f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                "INCLUDING IDENTITY INCLUDING STORAGE)"
            )
            cursor.execute(f"INSERT INTO {table} SELECT * FROM {old}")
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) "
                f"FROM {table}"
            )
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id)")
            if table in UNIQUE_WITH_AT:
                name, columns = UNIQUE_WITH_AT[table]
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE ({columns})")
            for name, definition in foreign_keys:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for name, definition, unique in indexes:
                if not unique and not any(name in sql for sql in TABLES[table]):
                    cursor.execute(definition.replace(" ON ONLY ", " ON ", 1))
            cursor.execute(f"CREATE INDEX {table}_{COVERED[table]}_fk ON {table} ({COVERED[table]})")
            cursor.execute(f"DROP TABLE {old} CASCADE")
            cursor.execute(f"DROP TABLE IF EXISTS {schema}.template_public_{table}")
            cursor.execute(TRIGGERS[table])


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_chain_checkpoint")]
    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
