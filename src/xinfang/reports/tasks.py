"""Background ledger exports (django.tasks; the database queue runs them in the worker)."""

from __future__ import annotations

from django.utils import timezone, translation
from django_tasks import task

from xinfang.reports.models import ExportStatus, LedgerExport


@task()
def write_ledger_export(job_id: str) -> dict:
    """Write one queued export to its file, reporting progress every chunk of rows. Reads as the
    person who asked (visible_to inside ledger_rows), in the language they asked in."""
    from xinfang.petitions.selectors import parse_filters, petition_list
    from xinfang.reports.exports import export_path
    from xinfang.reports.ledger import csv_stream, ledger_rows, write_xlsx

    job = LedgerExport.objects.select_related("user").get(pk=job_id)
    if job.status != ExportStatus.QUEUED:
        return {"status": job.status}
    filters = parse_filters(job.params)
    total = petition_list(job.user, filters).count()
    LedgerExport.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, total=total)

    def progress(done: int) -> None:
        LedgerExport.objects.filter(pk=job.pk).update(done=done)

    path = export_path(job)
    try:
        with translation.override(job.language):
            rows = ledger_rows(job.user, filters)
            if job.format == "csv":
                with path.open("w", encoding="utf-8", newline="") as handle:
                    for n, line in enumerate(csv_stream(rows)):
                        handle.write(line)
                        if n and n % 2000 == 0:
                            progress(n)
            else:
                with path.open("wb") as handle:
                    write_xlsx(rows, handle, progress=progress)
        path.chmod(0o600)
    except Exception:
        LedgerExport.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED, finished_at=timezone.now())
        raise
    LedgerExport.objects.filter(pk=job.pk).update(
        status=ExportStatus.DONE, done=total, file=path.name, finished_at=timezone.now()
    )
    return {"status": "done", "rows": total}


@task()
def compact_statistics() -> dict:
    """Fold the statistics summary's appended changes (reports/summary_sql.py); idempotent, and
    a second worker running it at the same time steps aside."""
    from django.db import transaction

    from xinfang.reports.summary_sql import compact

    with transaction.atomic():
        return {"rows": compact()}
