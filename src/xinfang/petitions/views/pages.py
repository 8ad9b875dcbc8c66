"""Reading pages: my work, the petition list and the petition page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from xinfang.accounts.models import OFFICE_ROLES, Role
from xinfang.audit.display import describe_all, status_change
from xinfang.core.errors import InvalidInput
from xinfang.core.replicas import lagging_view
from xinfang.petitions import hooks
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.home import statements_for as home_statements
from xinfang.petitions.hooks import petition_panels
from xinfang.petitions.list_rows import COLUMNS as LIST_COLUMNS
from xinfang.petitions.list_rows import list_rows, options
from xinfang.petitions.masking import petitioner_rows
from xinfang.petitions.models import Category
from xinfang.petitions.next_step import next_step
from xinfang.petitions.paging import COUNT_CAP
from xinfang.petitions.permissions import allowed_actions, can_see_personal_data
from xinfang.petitions.selectors import (
    list_page,
    mark_overdue,
    parse_filters,
    petition_detail,
    search_snippets,
    visible_timeline,
)
from xinfang.petitions.services.registration import may_register
from xinfang.petitions.views.procedure import action_buttons

PAGE_SIZE = 25
# The home page's numbers are badges, each leading to its queue or list, which counts and lists
# every petition: a badge is counted up to this and shows "99+" beyond, as most systems' badges
# do. A count stops after HOME_COUNT_CAP + 1 rows, each tested against the read policy (Rule
# 4.3): with 999, a handling unit's three queues probed about 2,300 candidates at 10^6 petitions,
# 38 ms of its home page (issue 9); with 99, at most 300.
HOME_COUNT_CAP = 99


def _capped(number: int) -> int | str:
    return number if number <= HOME_COUNT_CAP else f"{HOME_COUNT_CAP}+"


def _over_cap() -> dict:
    """What a badge past the cap shows, and the tooltip that says so (cards' `title`)."""
    return {
        "shown": f"{HOME_COUNT_CAP}+",
        "title": _("More than %(cap)s: open it to see them all") % {"cap": HOME_COUNT_CAP},
    }


FILTER_KEYS = ("q", "status", "channel", "category", "received_after", "received_before", "overdue", "mine")


def _queue_card(spec, count, statements, now) -> dict:
    card = {"name": spec.name, "label": spec.label, "count": count}
    if spec.action and card["count"]:
        card["action"] = spec.action
        card["first"] = statements.first(spec, now)
    return card


@login_required
@require_GET
def home(request):
    user = request.user
    office = user.has_role(*OFFICE_ROLES)
    # Every number on the page in one statement: the queues, "my work" and what the
    # capabilities add (hooks.home_counters), instead of one COUNT each; compiled once per
    # reader and sent again with the request's clock (petitions/home.py).
    statements = home_statements(user, office=office, cap=HOME_COUNT_CAP)
    if not office and not statements.queues:
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
    now = timezone.now()
    numbers = {name: _capped(n) for name, n in statements.numbers(now).items()}
    queues = [
        # A queue narrowed in Python is a list already: its length is its count.
        _queue_card(
            spec,
            len(spec.listed) if spec.listed is not None else numbers[f"queue.{i}"],
            statements,
            now,
        )
        for i, spec in enumerate(statements.queues)
    ]
    home_counts: dict[str, dict[str, int]] = {}
    for full_name, number in numbers.items():
        key, name = full_name.split(".", 1)
        home_counts.setdefault(key, {})[name] = number
    context = {
        "queues": queues,
        "may_register": may_register(user),
        "is_handler": user.has_role(Role.HANDLER),
        "home_counts": home_counts,
        "over_cap": _over_cap(),
    }
    if office:
        context["work"] = {**home_counts["work"], "recent_mine": statements.recent_mine(now)}
    return render(request, "petitions/home.html", context)


def _filter_keys() -> tuple[str, ...]:
    # The core's filters, then those capabilities registered (hooks.petition_list_filters).
    return FILTER_KEYS + tuple(name for name, _f in hooks.petition_list_filters.items())


def filter_labels() -> dict:
    extra = {name: str(flt.label) for name, flt in hooks.petition_list_filters.items()}
    return {
        **extra,
        "q": _("Search"),
        "status": _("Status"),
        "channel": _("Channel"),
        "category": _("Category"),
        "received_after": _("Received from"),
        "received_before": _("Received to"),
        "overdue": _("Overdue only"),
        "mine": _("I am first responder"),
        "after": _("Pages"),
        "before": _("Pages"),
    }


def _filter_query(params) -> str:
    """The filters as a query string, for page links that keep them."""
    return urlencode([(k, params.get(k)) for k in _filter_keys() if params.get(k)])


@login_required
@require_GET
@lagging_view
def petition_list_page(request):
    params = request.GET
    errors = []
    page = None
    rows = []
    cap, order = COUNT_CAP, ""
    try:
        filters = parse_filters(params)
        # Counted up to a cap (lower with a search, whose count also decides its order),
        # paged by key (paging.py); an out-of-range page number shows the last page.
        # Unsearched, only the columns the rows show are read (a search's snippets read the text).
        columns = () if filters.q else LIST_COLUMNS
        listed = list_page(request.user, filters, params, per_page=PAGE_SIZE, columns=columns)
        page, cap, order = listed.page, listed.cap, listed.order
    except InvalidInput as exc:
        labels = filter_labels()
        errors = [(labels.get(k, k), [str(m) for m in v]) for k, v in exc.errors.items()]
        page = None
    else:
        page.object_list = mark_overdue(page.object_list)
        if filters.q:
            search_snippets(page.object_list, filters.q)
        rows = list_rows(page.object_list, searched=bool(order))
    context = {
        "page": page,
        "rows": rows,
        "errors": errors,
        "values": {k: params.get(k, "") for k in FILTER_KEYS},
        # Registered filters the form has no field for: kept as hidden fields and shown.
        "extra_filters": [
            {
                "name": name,
                "value": params.get(name),
                "label": flt.label,
                "shown": flt.describe(params.get(name)),
            }
            for name, flt in hooks.petition_list_filters.items()
            if params.get(name)
        ],
        "query": _filter_query(params),
        "cap": f"{cap:,}",
        # With a search: which order the rows are in ("relevance" or "newest"), shown above them.
        "search_order": order if page is not None else "",
    }
    status = 400 if errors else 200
    # The filter form swaps only the results; a history restore needs the whole page.
    fragment = request.htmx and not request.htmx.history_restore_request
    template = "petitions/htmx/results.html" if fragment else "petitions/list.html"
    if not fragment:
        # The filter form's choices (the whole page only), each <select>'s options written in one
        # join (list_rows.options).
        context["status_options"] = options(Status.choices, params.get("status", ""))
        context["channel_options"] = options(Channel.choices, params.get("channel", ""))
        categories = Category.objects.filter(active=True)
        language = get_language() or "zh-hans"
        choices = [(c.code, c.localized_name(language)) for c in categories]
        context["category_options"] = options(choices, params.get("category", ""))
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


def _loaded_unit_names(petition) -> dict[int, str]:
    """The units the page has read with the petition (its assignments' and involved units, the
    sending organ), by id: the timeline's sentences name mostly these."""
    units = [a.unit for a in petition.assignments.all()]
    units += [iu.unit for iu in petition.involved_units.all()]
    if petition.superior_unit is not None:
        units.append(petition.superior_unit)
    return {unit.pk: unit.name for unit in units}


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
        # Panels of capabilities (documents, ...) from petitions.hooks; each checks its reader
        # and returns HTML rendered from its own (autoescaping) template.
        "panels": [
            mark_safe(html)  # noqa: S308
            for _key, panel in petition_panels.items()
            if (html := panel(request, petition))
        ],
        "events": [
            {
                "at": timezone.localtime(e.at, office_tz()),
                "sentence": sentence,
                "change": status_change(e),
                "seq": e.seq,
            }
            for e, sentence in describe_all(
                visible_timeline(request.user, petition), unit_names=_loaded_unit_names(petition)
            )
        ],
    }


@login_required
@require_GET
def petition_page(request, number):
    petition = petition_detail(request.user, number, records=True)
    return render(request, "petitions/detail.html", detail_context(request, petition))
