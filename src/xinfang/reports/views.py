"""Pages: statistics, the standard report, ledger exports and imports. Thin: parse, check the
role, call statistics/ledger/import services, render."""

from __future__ import annotations

import hashlib
import logging
import re
import subprocess
from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from xinfang.audit.services import Context
from xinfang.core.errors import InvalidInput, PayloadTooLarge
from xinfang.core.replicas import lagging_view
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.deadlines import office_tz
from xinfang.reports.api import read_upload
from xinfang.reports.exports import (
    XLSX_TYPE,
    filename,
    ledger_response,
    parse_export,
    start_background_export,
)
from xinfang.reports.importing.service import import_ledger
from xinfang.reports.ledger import xlsx_tempfile
from xinfang.reports.models import ExportStatus, LedgerExport
from xinfang.reports.pages import INTERVALS, Labels, build_page, extra_sections
from xinfang.reports.permissions import may_import, may_read_statistics
from xinfang.reports.standard import current_month, html_to_pdf, parse_period, standard_table, standard_xlsx
from xinfang.reports.statistics import parse_statistics_query

logger = logging.getLogger(__name__)

# Above this many rows a page export runs in the background with a progress bar.
BACKGROUND_FROM = 20_000
FORM_KEYS = ("from", "to", "interval", "compare", "channel", "category", "status", "assigned_unit")


def _require(user) -> None:
    if not may_read_statistics(user):
        raise PermissionDenied


def _default_period(params) -> dict:
    """Without a period: the last twelve months up to today, office time."""
    today = timezone.localdate(timezone.now(), office_tz())
    start = date(today.year - 1, today.month, 1) if today.month < 12 else date(today.year, 1, 1)
    values = {k: params.get(k, "") for k in FORM_KEYS}
    if not values["from"] and not values["to"]:
        values["from"], values["to"] = start.isoformat(), today.isoformat()
    values["interval"] = values["interval"] if values["interval"] in INTERVALS else "month"
    values["compare"] = values["compare"] if values["compare"] in ("previous", "year") else ""
    return values


def _choices(labels: Labels) -> dict:
    return {
        "channels": Channel.choices,
        "statuses": Status.choices,
        "categories": labels.active_categories,
        "units": labels.handling_units,
    }


@login_required
@require_GET
@lagging_view
def statistics_page(request):
    _require(request.user)
    values = _default_period(request.GET)
    params = {k: v for k, v in values.items() if v and k not in ("interval", "compare")}
    errors, page, sections = [], None, []
    labels = Labels()  # the tables' names and the form's choices
    try:
        query = parse_statistics_query(params)
    except InvalidInput as exc:
        errors = [(k, [str(m) for m in v]) for k, v in exc.errors.items()]
    else:
        page = build_page(
            request.user, query, interval=values["interval"], compare=values["compare"], labels=labels
        )
        sections = extra_sections(request, query)
    from urllib.parse import urlencode

    context = {
        "values": values,
        "errors": errors,
        "page": page,
        "extra_sections": sections,
        "export_query": urlencode(
            {
                ("received_after" if k == "from" else "received_before" if k == "to" else k): v
                for k, v in params.items()
            }
        ),
        **_choices(labels),
    }
    return render(request, "reports/statistics.html", context, status=400 if errors else 200)


@login_required
@require_GET
@lagging_view
def ledger_export(request):
    """The ledger of the list's filters. Large ones are written by the worker."""
    _require(request.user)
    try:
        fmt, filters, list_params = parse_export(request.GET)
    except InvalidInput as exc:
        return render(
            request,
            "reports/export_error.html",
            {"errors": [(k, [str(m) for m in v]) for k, v in exc.errors.items()]},
            status=400,
        )
    from xinfang.petitions.selectors import petition_list

    if petition_list(request.user, filters).count() >= BACKGROUND_FROM:
        job = start_background_export(request.user, fmt, list_params, get_language() or "zh-hans")
        return redirect("ledger_export_status", job_id=job.pk)
    return ledger_response(request.user, request.GET)


def _own_job(request, job_id) -> LedgerExport:
    _require(request.user)
    job = LedgerExport.objects.filter(pk=job_id, user=request.user).first()
    if job is None:
        raise Http404
    return job


@login_required
@require_GET
def ledger_export_status(request, job_id):
    job = _own_job(request, job_id)
    template = "reports/htmx/export_progress.html" if request.htmx else "reports/export_status.html"
    return render(request, template, {"job": job})


@login_required
@require_GET
def ledger_export_download(request, job_id):
    job = _own_job(request, job_id)
    if job.status != ExportStatus.DONE or not job.file:
        raise Http404
    if not default_storage.exists(job.file):
        raise Http404
    return FileResponse(
        default_storage.open(job.file, "rb"), as_attachment=True, filename=filename(job.format)
    )


def _staged(user, digest: str) -> str:
    """Where a checked upload waits for the "Import" button: per user, named by its SHA-256,
    in the default storage (the button may reach another app server)."""
    return f"imports/{user.pk}-{digest}.upload"


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    """Check an uploaded ledger (dry run, row by row), then import the checked file."""
    if not may_import(request.user):
        raise PermissionDenied
    context: dict = {"report": None, "errors": [], "staged": ""}
    status = 200
    if request.method == "POST":
        ctx = Context.from_request(request)
        staged = request.POST.get("staged", "")
        try:
            if staged:
                if not re.fullmatch(r"[0-9a-f]{64}", staged) or not default_storage.exists(
                    _staged(request.user, staged)
                ):
                    raise InvalidInput({"file": [_("Upload the file again: the checked copy is gone.")]})
                stored = _staged(request.user, staged)
                with default_storage.open(stored, "rb") as handle:
                    content = handle.read()
                name = request.POST.get("name", "ledger")[:200]
                report = import_ledger(ctx=ctx, filename=name, content=content, dry_run=False)
                if not report.errors:
                    default_storage.delete(stored)
            else:
                name, content = read_upload(request)
                report = import_ledger(ctx=ctx, filename=name, content=content, dry_run=True)
                if report.valid and not report.errors:
                    digest = hashlib.sha256(content).hexdigest()
                    target = _staged(request.user, digest)
                    if not default_storage.exists(target):  # the same file checked again
                        default_storage.save(target, ContentFile(content))
                    context.update(staged=digest, name=name)
            context["report"] = report
        except InvalidInput as exc:
            context["errors"] = [str(m) for v in exc.errors.values() for m in v]
            status = 400
        except PayloadTooLarge as exc:
            context["errors"] = [str(exc)]
            status = 413
    return render(request, "reports/import.html", context, status=status)


@login_required
@require_GET
def import_template(request):
    """An empty ledger with Xinfang's headings: the documented import template."""
    if not may_import(request.user):
        raise PermissionDenied
    handle, _count = xlsx_tempfile(iter(()))
    return FileResponse(handle, as_attachment=True, filename="ledger-template.xlsx", content_type=XLSX_TYPE)


@login_required
@require_GET
@lagging_view
def standard_report(request):
    """信访情况统计表 for a month, quarter or year: page, .xlsx (formulas) or PDF."""
    _require(request.user)
    raw = request.GET.get("period") or current_month()
    fmt = request.GET.get("format", "html")
    try:
        period = parse_period(raw)
        if fmt not in ("html", "xlsx", "pdf"):
            raise InvalidInput({"format": [_("Choose html, xlsx or pdf.")]})
    except InvalidInput as exc:
        context = {"errors": [str(m) for v in exc.errors.values() for m in v], "period_raw": raw[:20]}
        return render(request, "reports/standard.html", context, status=400)
    table = standard_table(request.user, period)
    title = _("Petition statistics %(period)s") % {"period": period.label()}
    context = {"table": table, "title": title, "period_raw": period.code}
    name = f"statistics-{period.code}"
    if fmt == "xlsx":
        response = HttpResponse(standard_xlsx(table, title), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    if fmt == "pdf":
        html = render_to_string("reports/standard_print.html", context, request=request)
        try:
            pdf = html_to_pdf(html)
        except (OSError, RuntimeError, subprocess.SubprocessError):
            logger.exception("the standard report could not be printed to PDF")
            context["errors"] = [
                _("The PDF could not be made on this server; download the Excel file instead.")
            ]
            return render(request, "reports/standard.html", context, status=503)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    return render(request, "reports/standard.html", context)
