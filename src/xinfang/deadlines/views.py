"""Pages: due-soon and overdue lists, the outstanding page, and the forms on the
petition page (extension, pause, resume, supervision, response). Thin: parse,
load what the user may see (404 otherwise), call a service, redirect or show
the error in the user's language with its 4xx status."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xinfang.accounts.models import Unit
from xinfang.audit.services import Context
from xinfang.core.errors import DomainError, InvalidInput
from xinfang.core.ids import parse_id
from xinfang.deadlines import list_rows, selectors, services
from xinfang.petitions.selectors import get_visible_petition

PAGE_SIZE = 50
OPERATIONS = {"extend", "pause", "resume"}


def _page(request, qs, count=None, *, exact=True):
    try:
        number = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        number = 1
    paginator = Paginator(qs, PAGE_SIZE)
    if count is not None:
        paginator.count = count  # already known (a sum the caller computed): no COUNT pass
    paginator.exact = exact
    return paginator.get_page(number)


# Exact up to this many clocks, "more than" beyond (20 pages of 50).
COUNT_CAP = 1_000


def _capped_count(qs) -> tuple[int, bool]:
    """The list's count, exact up to COUNT_CAP (issue 9): an office with years of open
    matters has tens of thousands of overdue clocks at 10⁵ petitions, and an exact count
    walked every one under the Rule 4.3 firewall on each request. Capped, it reads the
    first COUNT_CAP + 1 running clocks in order (index deadline_running_due) and stops.
    Beyond the cap the page says "more than" and the pages go on by number."""
    # Sliced in the list's order: the planner then reads the index in order and stops at
    # the cap, where an unordered count built a hash of every visible open petition first.
    counted = qs.values("pk")[: COUNT_CAP + 1].count()
    return counted, counted <= COUNT_CAP


@login_required
@require_GET
def deadline_lists(request):
    errors, page, filters, rows = {}, None, None, ""
    try:
        filters = selectors.parse_deadline_filters(
            request.user, request.GET, default_scope=selectors.default_scope_for(request.user)
        )
    except InvalidInput as exc:
        errors = {k: [str(m) for m in v] for k, v in exc.errors.items()}
    else:
        listed = selectors.deadline_list(request.user, filters)
        count, exact = _capped_count(listed)
        # The rows read only the columns the table shows (list_rows.COLUMNS), not the three whole
        # rows and the unit each clock was joined to.
        page = _page(request, listed.only(*list_rows.COLUMNS), count, exact=exact)
        rows = list_rows.rows(page.object_list, overdue=filters.state == "overdue")
    context = {
        "rows": rows,
        "cap": COUNT_CAP,
        "page": page,
        "filters": filters,
        "errors": errors,
        "state": filters.state if filters else request.GET.get("state", "overdue"),
        "scope": filters.scope if filters else selectors.default_scope_for(request.user),
        "units": Unit.objects.filter(active=True).order_by("path").only("name")
        if request.user.is_office_staff
        else [],
    }
    return render(request, "deadlines/list.html", context, status=400 if errors else 200)


@login_required
@require_GET
def outstanding_page(request):
    if not selectors.may_see_outstanding(request.user):
        raise PermissionDenied
    responder_id = parse_id(request.GET.get("responder", ""))
    raw_unit = request.GET.get("unit", "")
    unit_id = 0 if raw_unit == "office" else parse_id(raw_unit)
    data = selectors.outstanding(request.user, responder_id=responder_id, unit_id=unit_id)
    # The page links keep the responder or unit chosen (they dropped it: page 2 was everyone's).
    keep = urlencode({k: request.GET[k] for k in ("responder", "unit") if request.GET.get(k)})
    return render(
        request,
        "deadlines/outstanding.html",
        {**data, "page": _page(request, data["petitions"], count=data["count"]), "keep": keep},
    )


def _fail(request, petition, exc: DomainError):
    details = []
    if isinstance(exc, InvalidInput):
        details = [str(m) for msgs in exc.errors.values() for m in msgs]
    return render(
        request,
        "deadlines/refused.html",
        {"petition": petition, "message": str(exc.message), "details": details},
        status=exc.status,
    )


@login_required
@require_POST
def deadline_action(request, number, name, operation):
    if operation not in OPERATIONS:
        raise Http404
    petition = get_visible_petition(request.user, number)
    ctx = Context.from_request(request)
    data = request.POST
    try:
        if operation == "extend":
            services.extend_deadline(
                ctx=ctx,
                petition=petition,
                name=name,
                days=data.get("days", ""),
                reason=data.get("reason", ""),
                petitioner_notice=data.get("petitioner_notice", ""),
            )
        elif operation == "pause":
            services.pause_deadline(ctx=ctx, petition=petition, name=name, reason=data.get("reason", ""))
        else:
            services.resume_deadline(ctx=ctx, petition=petition, name=name, reason=data.get("reason", ""))
    except DomainError as exc:
        return _fail(request, petition, exc)
    messages.success(request, _("The deadline was changed."))
    return redirect("petition", number=petition.number)


@login_required
@require_POST
def supervise(request, number):
    petition = get_visible_petition(request.user, number)
    unit_id = parse_id(request.POST.get("unit", ""))
    unit = Unit.objects.filter(pk=unit_id).first() if unit_id else None
    try:
        if unit is None:
            raise InvalidInput({"unit": [_("Choose a unit.")]})
        services.issue_supervision(
            ctx=Context.from_request(request),
            petition=petition,
            unit=unit,
            kind=request.POST.get("kind", ""),
            message=request.POST.get("message", ""),
            due_date=request.POST.get("due_date", ""),
        )
    except DomainError as exc:
        return _fail(request, petition, exc)
    messages.success(request, _("The unit was pressed for a response."))
    return redirect("petition", number=petition.number)


@login_required
@require_POST
def respond(request, number, supervision_id):
    petition = get_visible_petition(request.user, number)
    try:
        services.respond_supervision(
            ctx=Context.from_request(request),
            petition=petition,
            supervision_id=supervision_id,
            response=request.POST.get("response", ""),
        )
    except DomainError as exc:
        return _fail(request, petition, exc)
    messages.success(request, _("Your response was recorded."))
    return redirect("petition", number=petition.number)
