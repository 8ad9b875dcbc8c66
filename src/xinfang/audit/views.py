"""The audit administrator's pages: the access log (with CSV export) and the event
log's metadata. Only the audit administrator may read them."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xinfang.audit.access import record
from xinfang.audit.labels import access_choices
from xinfang.audit.selectors import access_log, event_metadata, may_read_audit
from xinfang.core.csv_export import csv_response
from xinfang.core.errors import InvalidInput

EXPORT_LIMIT = 100_000


def _require_auditor(request):
    if not may_read_audit(request.user):
        raise PermissionDenied


@login_required
@require_GET
def access_log_page(request):
    _require_auditor(request)
    try:
        qs = access_log(request.GET)
        errors = {}
    except InvalidInput as exc:
        qs, errors = access_log({}), exc.errors
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    response = render(
        request,
        "audit/access_log.html",
        {"page": page, "errors": errors, "params": request.GET, "actions": access_choices()},
        status=400 if errors else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def access_log_csv(request):
    _require_auditor(request)
    try:
        qs = access_log(request.GET)
    except InvalidInput as exc:
        return render(
            request,
            "error.html",
            {
                "status": 400,
                "title": "400",
                "detail": "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items()),
            },
            status=400,
        )
    record("audit.export", object_type="access_log", detail=request.GET.urlencode()[:200])
    rows = (
        (
            e.at.isoformat(),
            e.username,
            e.unit.name if e.unit_id else "",
            e.ip or "",
            e.action,
            e.object_type,
            e.object_ref,
            e.outcome,
            e.detail,
            e.request_id,
        )
        for e in qs[:EXPORT_LIMIT]
    )
    header = [
        "at",
        "user",
        "unit",
        "ip",
        "action",
        "object_type",
        "object",
        "outcome",
        "detail",
        "request_id",
    ]
    return csv_response("access-log.csv", header, rows)


@login_required
@require_GET
def events_page(request):
    _require_auditor(request)
    page = Paginator(event_metadata(request.GET), 50).get_page(request.GET.get("page"))
    response = render(request, "audit/events.html", {"page": page, "params": request.GET})
    response["Cache-Control"] = "no-store"
    return response
