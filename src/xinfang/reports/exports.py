"""Answering an export request (page or API): check the input, log, stream the file."""

from __future__ import annotations

from django.db import transaction
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from xinfang.core.errors import InvalidInput
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.selectors import parse_filters
from xinfang.reports.ledger import csv_stream, ledger_cells, log_export, xlsx_tempfile

FORMATS = ("xlsx", "csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def parse_export(params) -> tuple[str, object, dict]:
    fmt = str(params.get("format", "")).strip().lower()
    list_params = {k: v for k, v in params.items() if k not in ("format", "page", "page_size")}
    errors = {}
    if fmt not in FORMATS:
        errors["format"] = [_("Choose xlsx or csv.")]
    try:
        filters = parse_filters(list_params)
    except InvalidInput as exc:
        errors.update(exc.errors)
        filters = None
    if errors:
        raise InvalidInput(errors)
    return fmt, filters, list_params


def filename(fmt: str) -> str:
    stamp = timezone.localtime(timezone.now(), office_tz()).strftime("%Y%m%d-%H%M")
    return f"ledger-{stamp}.{fmt}"


def ledger_response(user, params):
    fmt, filters, list_params = parse_export(params)
    log_export(fmt, list_params, user=user)
    if fmt == "csv":
        response = StreamingHttpResponse(
            csv_stream(ledger_cells(user, filters)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename(fmt)}"'
    else:
        handle, _count = xlsx_tempfile(ledger_cells(user, filters))
        response = FileResponse(handle, as_attachment=True, filename=filename(fmt), content_type=XLSX_TYPE)
    response["Cache-Control"] = "no-store"
    return response


def export_name(job) -> str:
    """The export's name in the default storage: written by whichever machine's worker ran
    it and read by whichever app server the download reaches (docs/scaling.md)."""
    return f"exports/{job.pk}.{job.format}"


def start_background_export(user, fmt: str, list_params: dict, language: str):
    """Queue a large export; the access log records it when asked, like any export."""
    from xinfang.reports.models import LedgerExport
    from xinfang.reports.tasks import write_ledger_export

    job = LedgerExport.objects.create(user=user, format=fmt, params=list_params, language=language)
    log_export(fmt, list_params, user=user)
    transaction.on_commit(lambda: write_ledger_export.enqueue(str(job.pk)))
    return job
