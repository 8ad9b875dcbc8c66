"""Background ledger exports (django.tasks; the database queue runs them in the worker)."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connections, router
from django.utils import timezone, translation
from django_tasks import task

from xinfang.core.replicas import reads_may_lag
from xinfang.reports.models import ExportStatus, LedgerExport


@task()
def write_ledger_export(job_id: str) -> dict:
    """Write one queued export to its file, reporting progress every chunk of rows. Reads as the
    person who asked (visible_to inside ledger_cells), in the language they asked in."""
    from xinfang.petitions.selectors import parse_filters, petition_list
    from xinfang.reports.exports import export_name
    from xinfang.reports.ledger import csv_stream, ledger_cells, write_xlsx

    job = LedgerExport.objects.select_related("user").get(pk=job_id)
    if job.status != ExportStatus.QUEUED:
        return {"status": job.status}
    filters = parse_filters(job.params)

    name = export_name(job)
    try:
        # The rows may come from the replica, unless the person who asked wrote since it last caught up.
        with reads_may_lag(job.user), translation.override(job.language), _progress(job) as progress:
            total = petition_list(job.user, filters).count()
            LedgerExport.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, total=total)
            rows = ledger_cells(job.user, filters)
            # Written to a local scratch file, then handed to the storage whole: a storage
            # other than the local disk (shared by several machines) takes a finished file.
            with tempfile.TemporaryFile() as handle:
                if job.format == "csv":
                    for part in csv_stream(rows, progress=progress):
                        handle.write(part)
                else:
                    write_xlsx(rows, handle, progress=progress)
                handle.seek(0)
                default_storage.delete(name)  # a retried job replaces its own file
                stored = default_storage.save(name, File(handle))
    except Exception:
        LedgerExport.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED, finished_at=timezone.now())
        raise
    LedgerExport.objects.filter(pk=job.pk).update(
        status=ExportStatus.DONE, done=total, file=stored, finished_at=timezone.now()
    )
    return {"status": "done", "rows": total}


@contextmanager
def _progress(job):
    """`progress(done)` for the export's rows. On PostgreSQL the rows stream through the
    reading connection until the last one (reports/ledger._stream), so the count goes through a
    connection of its own, opened for the export and closed after it; elsewhere through the
    task's connection, which is free between chunks of rows."""
    alias = router.db_for_write(LedgerExport)
    if connections[alias].vendor != "postgresql":
        yield lambda done: LedgerExport.objects.filter(pk=job.pk).update(done=done)
        return
    own = connections.create_connection(alias)
    meta, q = LedgerExport._meta, own.ops.quote_name
    table, done_column, pk_column = q(meta.db_table), q(meta.get_field("done").column), q(meta.pk.column)
    update = f"UPDATE {table} SET {done_column} = %s WHERE {pk_column} = %s"  # noqa: S608 - names from the model

    def progress(done: int) -> None:
        with own.cursor() as cursor:
            cursor.execute(update, [done, job.pk])

    try:
        yield progress
    finally:
        own.close()


@task()
def compact_statistics() -> dict:
    """Fold the statistics summary's appended changes (reports/summary_sql.py); idempotent, and
    a second worker running it at the same time steps aside."""
    from django.db import transaction

    from xinfang.reports.summary_sql import compact

    with transaction.atomic():
        return {"rows": compact()}
