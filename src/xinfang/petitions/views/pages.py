"""Reading pages: my work, the petition list and the petition page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from xinfang.accounts.models import OFFICE_ROLES, Role
from xinfang.audit.display import describe_all, status_change
from xinfang.core.errors import InvalidInput
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.masking import petitioner_rows
from xinfang.petitions.models import Category
from xinfang.petitions.next_step import next_step
from xinfang.petitions.permissions import allowed_actions, can_see_personal_data
from xinfang.petitions.queues import queues_for
from xinfang.petitions.selectors import my_work, parse_filters, petition_detail, petition_list, timeline
from xinfang.petitions.services.registration import may_register
from xinfang.petitions.views.procedure import action_buttons

PAGE_SIZE = 25
FILTER_KEYS = ("q", "status", "channel", "category", "received_after", "received_before", "overdue", "mine")


# A leader's queues lead straight to the form of the step waiting for them, so that on a
# phone an instruction or a signature is two taps from "My work" (issue 8: at most three).
QUICK_ACTIONS = {
    "to_instruct": "instruct",
    "to_instruct_important": "instruct",
    "to_sign": "sign_off",
    "reports_to_approve": "approve_report",
}
QUICK_LINKS = 3


def _queue_card(queue) -> dict:
    card = {"name": queue.name, "label": queue.label, "count": queue.count}
    action = QUICK_ACTIONS.get(queue.name)
    if action and card["count"]:
        card["action"] = action
        card["first"] = list(queue.petitions[:QUICK_LINKS])
    return card


@login_required
@require_GET
def home(request):
    user = request.user
    queues = [_queue_card(q) for q in queues_for(user)]
    if not user.has_role(*OFFICE_ROLES) and not queues:
        # Administrators see no petition content here (三员分立).
        return render(
            request,
            "petitions/home_other.html",
            {
                "is_system_admin": user.has_role(Role.SYSTEM_ADMIN),
                "is_audit_admin": user.has_role(Role.AUDIT_ADMIN),
                "is_handler": user.has_role(Role.HANDLER),
            },
        )
    context = {
        "queues": queues,
        "may_register": may_register(user),
        "is_handler": user.has_role(Role.HANDLER),
    }
    if user.has_role(*OFFICE_ROLES):
        context["work"] = my_work(user)
    return render(request, "petitions/home.html", context)


def filter_labels() -> dict:
    return {
        "q": _("Search"),
        "status": _("Status"),
        "channel": _("Channel"),
        "category": _("Category"),
        "received_after": _("Received from"),
        "received_before": _("Received to"),
        "overdue": _("Overdue only"),
        "mine": _("I am first responder"),
    }


def _filter_query(params) -> str:
    """The filters as a query string, for page links that keep them."""
    return urlencode([(k, params.get(k)) for k in FILTER_KEYS if params.get(k)])


def _page_number(raw) -> int:
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 1


@login_required
@require_GET
def petition_list_page(request):
    params = request.GET
    errors = []
    page = None
    try:
        filters = parse_filters(params)
    except InvalidInput as exc:
        labels = filter_labels()
        errors = [(labels.get(k, k), [str(m) for m in v]) for k, v in exc.errors.items()]
    else:
        paginator = Paginator(petition_list(request.user, filters), PAGE_SIZE)
        # An out-of-range page shows the last one rather than an error.
        page = paginator.get_page(_page_number(params.get("page")))
    language = get_language() or "zh-hans"
    context = {
        "page": page,
        "errors": errors,
        "values": {k: params.get(k, "") for k in FILTER_KEYS},
        "query": _filter_query(params),
        "statuses": Status.choices,
        "channels": Channel.choices,
        "categories": [(c.code, c.localized_name(language)) for c in Category.objects.filter(active=True)],
    }
    status = 400 if errors else 200
    # The filter form swaps only the results; a history restore needs the whole page.
    fragment = request.htmx and not request.htmx.history_restore_request
    template = "petitions/htmx/results.html" if fragment else "petitions/list.html"
    response = render(request, template, context, status=status)
    response["Vary"] = "HX-Request"
    return response


def _petitioners(user, petition) -> list[dict]:
    # Masked on the page; the entitled reveal them explicitly (logged), see personal_data().
    return petitioner_rows(user, petition, reveal=False)


def deadline_rows(petition) -> list[dict]:
    now = timezone.now()
    # A unit's own deadline is named "assignment:<unit id>"; show the unit's name.
    units = {f"assignment:{a.unit_id}": a.unit.name for a in petition.assignments.all()}
    return [
        {
            "name": d.name,
            "unit": units.get(d.name, ""),
            "due_at": timezone.localtime(d.due_at, office_tz()),
            "met_at": timezone.localtime(d.met_at, office_tz()) if d.met_at else None,
            "overdue": d.is_overdue(now),
            "rule": d.rule,
        }
        for d in petition.deadlines.all()
    ]


def detail_context(request, petition) -> dict:
    actions = allowed_actions(request.user, petition)
    deadlines = deadline_rows(petition)
    return {
        "petition": petition,
        "reception": getattr(petition, "reception", None),
        "petitioners": _petitioners(request.user, petition),
        "may_reveal": can_see_personal_data(request.user, petition),
        "deadlines": deadlines,
        "overdue": any(d["overdue"] for d in deadlines),
        "attachments": list(petition.attachments.all()),
        "may_attach": "attach" in actions,
        "may_correct": "correct" in actions,
        "category_name": petition.category.localized_name(get_language() or "zh-hans"),
        "buttons": action_buttons(actions),
        "next_step": next_step(petition),
        "events": [
            {
                "at": timezone.localtime(e.at, office_tz()),
                "sentence": sentence,
                "change": status_change(e),
                "seq": e.seq,
            }
            for e, sentence in describe_all(timeline(petition))
        ],
    }


@login_required
@require_GET
def petition_page(request, number):
    petition = petition_detail(request.user, number, records=True)
    return render(request, "petitions/detail.html", detail_context(request, petition))
