import pytest


@pytest.fixture
def tamper():
    """Run raw SQL as someone who went around the application and its triggers (on
    PostgreSQL a superuser can: session_replication_role = replica skips them)."""
    from django.db import connection

    def run(sql, params=()):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = replica")
            try:
                cursor.execute(sql, params)
            finally:
                if connection.vendor == "postgresql":
                    cursor.execute("SET session_replication_role = DEFAULT")

    return run
