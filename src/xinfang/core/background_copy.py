"""COPYs sent by a second thread while the importing thread builds the next rows (PostgreSQL).

A ledger import spends about as much time in the database server (the search documents' GIN
index, the band keys' index, the petitions' own indexes) as in its own Python (building,
sealing, hashing rows), and did one after the other: while a COPY ran, the process waited;
while the process built rows, the server idled. Inside `background_copies()` each COPY of
`inserts.copy_rows` is handed, its rows already built, to a writer thread that sends it on the
same connection, and so in the same transaction, while the calling thread goes on; on two
cores the server's work and the process's then overlap.

Order is kept. The COPYs run one by one in the order they were handed over, and every other
statement on the connection (through Django's cursor: reads, savepoints, SET) first waits until
every COPY handed over before it has finished, so a statement sees every row copied before it,
as without the thread. A failed COPY is raised in the calling thread, as Django raises database
errors, at the next statement, hand-over or the block's end; the COPYs handed over after it are
dropped (the transaction is aborted anyway). On leaving the block, normally or by an exception,
the writer finishes or drops what it holds and stops before anything else uses the connection.
Outside PostgreSQL the block does nothing (`copy_rows` is PostgreSQL's only).

The writer thread uses the psycopg connection under Django's wrapper, never the wrapper itself:
psycopg connections are thread-safe (each command holds the connection's lock), and the waits
above keep the two threads' statements apart.
"""

from __future__ import annotations

import queue
import threading
from contextlib import contextmanager

from django.db import connection as default_connection

# COPYs built and waiting at most (each a table's rows for one chunk of a ledger, up to a few
# tens of MB for the search documents): the builder waits when the server is that far behind.
MAX_PENDING = 16
_STOP = object()


class _Dropped(Exception):
    """A COPY not sent because an earlier one failed or the block was left by an exception."""


class Writer:
    def __init__(self, connection):
        self.connection = connection
        self.raw = connection.connection
        self.pending: queue.Queue = queue.Queue(maxsize=MAX_PENDING)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="xinfang-copy-writer", daemon=True)

    def _run(self) -> None:
        while True:
            item = self.pending.get()
            try:
                if item is _STOP:
                    return
                if self.error is None:
                    sql, rows = item
                    with self.raw.cursor() as cursor, cursor.copy(sql) as copy:
                        for row in rows:
                            copy.write_row(row)
            except BaseException as exc:  # noqa: BLE001 (handed to the calling thread, see raise_error)
                self.error = exc
            finally:
                self.pending.task_done()

    def send(self, sql: str, rows: list) -> None:
        self.raise_error()
        self.pending.put((sql, rows))

    def wait(self) -> None:
        """Until every COPY handed over has finished; its error, if one failed."""
        self.pending.join()
        self.raise_error()

    def raise_error(self) -> None:
        if self.error is not None and not isinstance(self.error, _Dropped):
            error = self.error
            # The same exception classes as any statement through Django raises (IntegrityError…).
            with self.connection.wrap_database_errors:
                raise error

    def stop(self, *, drop: bool) -> None:
        if drop and self.error is None:
            self.error = _Dropped()
        self.pending.put(_STOP)
        self.thread.join()


def active_writer(connection) -> Writer | None:
    return getattr(connection, "_xinfang_copy_writer", None)


@contextmanager
def background_copies(connection=default_connection):
    """COPYs of `copy_rows` on `connection` inside the block are sent by a writer thread (the
    module's docstring). Nested blocks share the outer block's thread."""
    if connection.vendor != "postgresql" or active_writer(connection) is not None:
        yield
        return
    connection.ensure_connection()
    writer = Writer(connection)
    writer.thread.start()

    def in_order(execute, sql, params, many, context):
        writer.wait()
        return execute(sql, params, many, context)

    connection._xinfang_copy_writer = writer
    try:
        with connection.execute_wrapper(in_order):
            yield
            writer.wait()
    except BaseException:
        writer.stop(drop=True)
        raise
    else:
        writer.stop(drop=False)
    finally:
        connection._xinfang_copy_writer = None
