"""The Rule 3 procedure on the petition page: one view per action form.

GET answers the action's form (a fragment for htmx, a whole page otherwise);
POST gathers the form into the plain data shape `actions.read_input` reads and
calls `actions.perform`, the same door the API uses. The view decides nothing:
the workflow table and the services refuse what is not allowed, and their
messages are shown in the form (400 with errors by field, 409, 403).
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from xinfang.accounts.models import Unit, UnitKind
from xinfang.audit.services import Context
from xinfang.core.errors import Conflict, Forbidden, InvalidInput
from xinfang.petitions.actions import REGISTRY, perform
from xinfang.petitions.actors import Facts, matches
from xinfang.petitions.deadlines import office_tz
from xinfang.petitions.guards import signing_capacity
from xinfang.petitions.selectors import get_visible_petition, petition_detail
from xinfang.petitions.services.handling import ASSIGNABLE_KINDS, involved_among
from xinfang.petitions.workflow import ACTION_LABELS, transition_for
from xinfang.petitions.workflow_models import (
    AssignmentKind,
    AssignmentRole,
    ReplyMethod,
    Report,
    Result,
    Signoff,
    SignoffCapacity,
)

# Actions that take a petition out of the ordinary procedure: shown apart, below it.
SIDE_ACTIONS = (
    "flag_urgent",
    "record_persuasion",
    "conclude_persuasion",
    "refer_to_police",
    "merge",
    "void",
    "record_involvement",
)
# Form fields that carry several values (multi-selects).
LIST_FIELDS = frozenset({"notify_units", "units"})
_ROW_FIELD = re.compile(r"^assignments-(\d{1,2})-(unit|role|kind|due_date|share_contact)$")


def action_buttons(actions: list[str]) -> dict:
    """The workflow actions among `allowed_actions`, in the table's order, split into
    the procedure's next steps and the side exits."""
    workflow = [a for a in ACTION_LABELS if a in actions]
    return {
        "main": [(a, ACTION_LABELS[a]) for a in workflow if a not in SIDE_ACTIONS],
        "side": [(a, ACTION_LABELS[a]) for a in workflow if a in SIDE_ACTIONS],
    }


def form_data(action: str, post) -> dict:
    """The posted form as the plain dict the action's reader expects."""
    if action == "assign":
        rows: dict[int, dict] = {}
        for key in post:
            match = _ROW_FIELD.match(key)
            if match:
                rows.setdefault(int(match.group(1)), {})[match.group(2)] = post.get(key)
        # A row without a unit is an empty row the add-row button left behind.
        return {"assignments": [rows[i] for i in sorted(rows) if rows[i].get("unit")]}
    if action == "record_involvement":
        name = (post.get("person_name") or "").strip()
        person = {"name": name, "user": (post.get("person_user") or "").strip() or None}
        return {"units": post.getlist("units"), "persons": [person] if name else []}
    data = {}
    for key in post:
        if key == "csrfmiddlewaretoken":
            continue
        data[key] = post.getlist(key) if key in LIST_FIELDS else post.get(key)
    return data


def _field_errors(errors: dict) -> tuple[dict, list]:
    """Errors by template-friendly key ("assignments.0.unit" → "assignments__0__unit"),
    and the messages that belong to no field shown in the form."""
    fields = {}
    general = []
    for key, msgs in errors.items():
        if key == "non_field_errors":
            general += [str(m) for m in msgs]
        else:
            fields[key.replace(".", "__")] = [str(m) for m in msgs]
    return fields, general


def _assignable_units(petition) -> list[Unit]:
    """Departments, public security and outside units, minus the involved ones: an
    involved unit is never offered (the service refuses it anyway, Rule 4.3)."""
    units = list(Unit.objects.filter(active=True, kind__in=ASSIGNABLE_KINDS).order_by("sort_order", "code"))
    hidden = {u.pk for u in involved_among(petition, units)}
    return [u for u in units if u.pk not in hidden]


def _assignment_rows(values: dict, errors: dict) -> list[dict]:
    rows = values.get("assignments") or [{"role": AssignmentRole.LEAD, "kind": AssignmentKind.ASSIGNMENT}]
    return [
        {
            "index": i,
            "values": row,
            "errors": {
                key: errors.get(f"assignments__{i}__{key}", [])
                for key in ("unit", "role", "kind", "due_date", "share_contact")
            },
        }
        for i, row in enumerate(rows)
    ]


def _signing_capacity(user, petition, result) -> str | None:
    """The capacity the caller would sign in, as sign_off decides it."""
    transition = transition_for(petition.status, "sign_off")
    if result is None or transition is None:
        return None
    facts = Facts(user, petition)
    return signing_capacity(facts, matches(transition.who, facts))


def form_context(
    request, petition, action: str, values: dict | None = None, errors: dict | None = None
) -> dict:
    """What the action's form shows: the values typed so far, errors in place, and
    the choices and records the action needs."""
    values = values or {}
    fields, general = _field_errors(errors or {})
    context = {
        "petition": petition,
        "action": action,
        "label": ACTION_LABELS[action],
        "values": values,
        "errors": fields,
        "general_errors": general,
        "template": f"petitions/actions/{action}.html",
        "rule": getattr(transition_for(petition.status, action), "rule", ""),
    }
    if action in ("assign", "flag_urgent", "coordinate"):
        context["units"] = _assignable_units(petition)
    if action == "assign":
        context["rows"] = _assignment_rows(values, fields)
        context["roles"] = AssignmentRole.choices
        context["kinds"] = AssignmentKind.choices
    if action == "coordinate":
        live = [a for a in petition.assignments.all() if a.status != "withdrawn"]
        context["selected_units"] = values.get("units") or [str(a.unit_id) for a in live]
        lead = next((a for a in live if a.role == AssignmentRole.LEAD), None)
        context["selected_lead"] = values.get("lead_unit") or (str(lead.unit_id) if lead else "")
    if action == "refer_to_police":
        units = list(Unit.objects.filter(active=True, kind=UnitKind.PUBLIC_SECURITY).order_by("sort_order"))
        hidden = {u.pk for u in involved_among(petition, units)}
        context["police_units"] = [u for u in units if u.pk not in hidden]
    if action == "reply":
        methods = [ReplyMethod.ORAL, ReplyMethod.WRITTEN] + ([ReplyMethod.NONE] if petition.anonymous else [])
        context["methods"] = [(m.value, m.label) for m in methods]
        context["now"] = timezone.localtime(timezone.now(), office_tz()).strftime("%Y-%m-%dT%H:%M")
    if action in ("sign_off", "send_back"):
        result = Result.objects.filter(petition=petition, sent_back_at__isnull=True).order_by("-id").first()
        context["result"] = result
        if action == "sign_off":
            capacity = _signing_capacity(request.user, petition, result)
            context["capacity"] = capacity
            context["capacity_label"] = SignoffCapacity(capacity).label if capacity else ""
            context["signed"] = (
                list(Signoff.objects.filter(result=result).select_related("user")) if result else []
            )
    if action == "approve_report":
        context["draft"] = (
            Report.objects.filter(petition=petition).select_related("drafted_by").order_by("-id").first()
        )
    if action == "record_involvement":
        already = {iu.unit_id for iu in petition.involved_units.all()}
        context["units"] = [
            u for u in Unit.objects.filter(active=True).order_by("path") if u.pk not in already
        ]
    if action == "instruct":
        context["proposal"] = petition.proposals.order_by("-id").select_related("by").first()
    return context


def _refusal(request, petition, action) -> tuple[str, int] | None:
    """Why the caller cannot open this form now, in the services' own words, or None."""
    transition = transition_for(petition.status, action)
    if transition is None:
        return (
            _("“%(action)s” is not possible while the petition is %(state)s.")
            % {"action": ACTION_LABELS[action], "state": petition.get_status_display()},
            409,
        )
    if not matches(transition.who, Facts(request.user, petition)):
        return _("You may not “%(action)s” on this petition.") % {"action": ACTION_LABELS[action]}, 403
    return None


def _render_form(request, petition, context, status=200) -> HttpResponse:
    fragment = request.htmx and not request.htmx.history_restore_request
    template = "petitions/htmx/action_form.html" if fragment else "petitions/action.html"
    response = render(request, template, context, status=status)
    response["Vary"] = "HX-Request"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def action_form(request, number, action):
    if action not in REGISTRY:
        raise Http404
    petition = get_visible_petition(request.user, number)
    if request.method == "GET":
        refusal = _refusal(request, petition, action)
        context = form_context(request, petition, action)
        if refusal:
            context["refused"] = refusal[0]
            context["blocked"] = True
            return _render_form(request, petition, context, status=refusal[1])
        return _render_form(request, petition, context)

    data = form_data(action, request.POST)
    try:
        perform(Context.from_request(request), petition, action, data)
    except InvalidInput as exc:
        context = form_context(request, petition, action, _echo(action, request.POST), exc.errors)
        return _render_form(request, petition, context, status=400)
    except (Conflict, Forbidden) as exc:
        context = form_context(request, petition, action, _echo(action, request.POST))
        context["refused"] = str(exc.message)
        return _render_form(request, petition, context, status=exc.status)

    done = _("“%(action)s” done.") % {"action": ACTION_LABELS[action]}
    if request.htmx and not _on_the_form_page(request):
        return _petition_body(request, number, done)
    if request.htmx:
        # The form's own page (a quick link from "My work") has no petition body to swap
        # into: go to the petition page, as without JavaScript.
        messages.success(request, done)
        return HttpResponseClientRedirect(reverse("petition", args=[number]))
    messages.success(request, done)
    return redirect(reverse("petition", args=[number]))


def _on_the_form_page(request) -> bool:
    current = request.htmx.current_url_abs_path or ""
    return "/actions/" in current.split("?", 1)[0]


def _echo(action: str, post) -> dict:
    """The typed values, to show again next to their errors (never the password).
    Assignment rows keep the numbering their errors were reported under."""
    values = form_data(action, post)
    values.pop("password", None)
    return values


def _petition_body(request, number, done: str) -> HttpResponse:
    """After an action: the petition's whole main content (status, actions, panels,
    timeline) replaces the page's, with the success message on top."""
    from xinfang.petitions.views.pages import detail_context

    try:
        petition = petition_detail(request.user, number, records=True)
    except Http404:
        # The action took the petition out of the caller's sight: back to their work.
        response = HttpResponse(status=200)
        response["HX-Redirect"] = reverse("home")
        return response
    context = detail_context(request, petition) | {"done_message": done}
    response = render(request, "petitions/_petition_body.html", context)
    response["HX-Retarget"] = "#petition-body"
    response["HX-Reswap"] = "outerHTML"
    return response
