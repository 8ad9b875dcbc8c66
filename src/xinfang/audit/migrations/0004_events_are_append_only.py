"""On PostgreSQL the database itself refuses to change or delete events, and to
change access log entries or remove them before 184 days (LG-3).

TRUNCATE stays possible for the table's owner (test databases are emptied that
way); in production the application connects as a role that does not own the
tables (docs/security.md).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION xinfang_refuse_event_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION xinfang_refuse_event_change();
CREATE OR REPLACE FUNCTION xinfang_guard_access_log() RETURNS trigger AS $$
BEGIN
    -- Entries are never changed, and removed only once past the legal minimum of 184 days.
    IF TG_OP = 'UPDATE' OR OLD.at > now() - interval '184 days' THEN
        RAISE EXCEPTION 'access log entries are kept at least 184 days (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_accesslog_guard BEFORE UPDATE OR DELETE ON audit_accesslog
    FOR EACH ROW EXECUTE FUNCTION xinfang_guard_access_log();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event;
DROP FUNCTION IF EXISTS xinfang_refuse_event_change();
DROP TRIGGER IF EXISTS audit_accesslog_guard ON audit_accesslog;
DROP FUNCTION IF EXISTS xinfang_guard_access_log();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # the SQL has % in it, not placeholders

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chainhead")]
    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
