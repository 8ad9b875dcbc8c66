"""Statements sent through psycopg's own cursor, logged as Django logs its own; and whether a
cursor may send several statements in one message.

A few reads bypass Django's cursor for what it cannot do (rows streamed as the server computes
them, a result in binary format). Django records its statements only through its debug cursor
(DEBUG, tests capturing the queries, the debug toolbar); wrapped in `logged`, such a statement
is recorded the same way, with the time the block takes, so that statement counts see it.
"""

from __future__ import annotations

from contextlib import nullcontext

from django.db.backends.utils import CursorDebugWrapper


def logged(cursor, sql: str, params):
    """A context manager recording `sql` when Django's `cursor` records statements."""
    return cursor.debug_sql(sql, params) if isinstance(cursor, CursorDebugWrapper) else nullcontext()


def several_statements(cursor) -> bool:
    """Can this Django cursor send several statements in one message? psycopg's client-side
    binding cursor (Django's default) can; the server-side binding one prepares a single
    statement per message."""
    import psycopg

    return isinstance(getattr(cursor, "cursor", None), psycopg.ClientCursor)
