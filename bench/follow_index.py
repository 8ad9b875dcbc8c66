"""The search index of a bulk fill, written while the fill runs, by a second process
(PostgreSQL; bench/load.py).

The fill's own Python keeps one core busy and its database little (about a seventh of its
CPU); rebuilding the index afterwards kept the loader's one core busy again for as long again
at 10⁶ (the documents' grams, the bands' MinHash, then the COPY and the GIN build). Here a
second process follows the fill: it reads the petitions committed since its last batch (each
of the fill's transactions holds a batch of petitions with everything the index reads of
them: petitioners' texts, assignments, results) and copies their rows with the same
functions `rebuild_search_index` uses (search/index.py: copy_batch), so the rows are those
a rebuild would write; the GIN and band indexes are built once at the end, as a rebuild
builds them.

One writer commits the fill's batches in id order, so a petition seen committed has every
petition before it committed too: reading by keyset after the last id indexed misses none.
"""

from __future__ import annotations

import time

POLL_SECONDS = 0.2


def index_written(finished, *, batch_size: int = 2000) -> dict:
    """Index every petition after those already indexed, following the writer until
    `finished()` is true and nothing is left, then build the search indexes. Expects the
    index's tables emptied first (search.index.empty_for_copy). Returns figures."""
    from django.db import connection, transaction

    from xinfang.search.index import build_indexes, copy_batch, petitions_after

    last, indexed, idle = 0, 0, 0.0
    started = time.perf_counter()
    while True:
        # Read before the look-up: once the writer is done, one more look-up sees all it wrote.
        done = finished()
        chunk = petitions_after(last, batch_size)
        if chunk:
            copy_batch(chunk)
            last = chunk[-1].pk
            indexed += len(chunk)
            continue
        if done:
            break
        time.sleep(POLL_SECONDS)
        idle += POLL_SECONDS
    copied = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        build_indexes(cursor)
    return {
        "indexed": indexed,
        "follow_seconds": round(copied - started, 1),
        "idle_seconds": round(idle, 1),
        "search_index_build_seconds": round(time.perf_counter() - copied, 1),
    }


def _follow(database: str, finished, results) -> None:
    """The second process's work: its own Django, connected to `database`."""
    import django

    django.setup()
    from django.db import connection

    try:
        connection.settings_dict["NAME"] = database
        with connection.cursor() as cursor:
            # As the fill's connection: no commit waits for the disk (a failed fill is thrown
            # away), and a superuser's rows fire no key triggers: the fill checks every key of
            # the index's tables once at the end (bench/bulk.py keys_checked_once).
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:
                cursor.execute("SET session_replication_role = replica")
        results.put(index_written(finished.is_set))
    except BaseException as error:  # handed to the fill's process
        results.put({"error": f"{type(error).__name__}: {error}"})
    finally:
        connection.close()


class Follower:
    """Empties the search index and starts the second process; finish() tells it the fill is
    done, waits for the rest of the index and returns its figures; stop() ends it (a failed
    fill)."""

    def __init__(self):
        import multiprocessing

        from django.db import connection, transaction

        from xinfang.search.index import empty_for_copy

        with transaction.atomic(), connection.cursor() as cursor:
            empty_for_copy(cursor)
        # spawn: a fork would share this process's open connection with the child.
        context = multiprocessing.get_context("spawn")
        self.finished = context.Event()
        self.results = context.Queue()
        self.process = context.Process(
            target=_follow,
            args=(connection.settings_dict["NAME"], self.finished, self.results),
            daemon=True,
        )
        self.process.start()

    def finish(self) -> dict:
        import queue

        self.finished.set()
        while True:
            try:
                figures = self.results.get(timeout=5)
                break
            except queue.Empty:
                if not self.process.is_alive():
                    figures = {"error": f"ended with code {self.process.exitcode} and no figures"}
                    break
        self.process.join()
        if "error" in figures:
            raise RuntimeError(f"the search index beside the fill failed: {figures['error']}")
        return figures

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
