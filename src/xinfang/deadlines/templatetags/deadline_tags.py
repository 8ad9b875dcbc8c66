"""`{% deadline_panel petition %}` on the petition page and `{% deadline_cards %}` on
the home page: the deadline engine's part of pages other helpers own."""

from __future__ import annotations

from django import template
from django.utils import timezone

from xinfang.accounts.models import LEADER_ROLES, OFFICE_ROLES
from xinfang.deadlines import selectors
from xinfang.deadlines.clocks import office_tz
from xinfang.deadlines.display import clock_label as _clock_label
from xinfang.deadlines.models import SupervisionKind
from xinfang.deadlines.services import FIXED_CLOCKS, may_respond
from xinfang.petitions.choices import OPEN_STATUSES
from xinfang.petitions.workflow_models import AssignmentStatus

register = template.Library()


@register.filter
def clock_label(name: str) -> str:
    return _clock_label(name)


@register.inclusion_tag("deadlines/_panel.html", takes_context=True)
def deadline_panel(context, petition):
    user = context["request"].user
    now = timezone.now()
    is_open = petition.status in OPEN_STATUSES
    leader = is_open and user.has_role(*LEADER_ROLES)
    rows = []
    for d in petition.deadlines.all():
        rows.append(
            {
                "name": d.name,
                "label": _clock_label(d.name),
                "rule": d.rule,
                "due_at": timezone.localtime(d.due_at, office_tz()),
                "met_at": timezone.localtime(d.met_at, office_tz()) if d.met_at else None,
                "paused": d.paused_at is not None,
                "overdue": d.is_overdue(now),
                "calendar_gap": d.calendar_gap,
                "may_change": leader and d.met_at is None and d.name.split(":", 1)[0] not in FIXED_CLOCKS,
            }
        )
    supervisions = selectors.supervisions_of(petition)
    units = []
    if is_open and user.has_role(*OFFICE_ROLES):
        # The petition page prefetches assignments with their units: no query here.
        units = [a.unit for a in petition.assignments.all() if a.status != AssignmentStatus.WITHDRAWN]
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "petition": petition,
        "rows": rows,
        "supervisions": [
            {"record": s, "may_respond": is_open and s.responded_at is None and may_respond(user, s)}
            for s in supervisions
        ],
        "supervise_units": units,
        "kinds": SupervisionKind.choices,
        "today": timezone.localdate(),
    }


@register.inclusion_tag("deadlines/_cards.html", takes_context=True)
def deadline_cards(context):
    user = context["request"].user
    # The home page counted these with its own numbers in one statement (home_counters).
    counts = context.get("home_counts", {}).get("deadlines") or selectors.counts_for(user)
    return {
        "counts": counts,
        "may_see_outstanding": selectors.may_see_outstanding(user),
        # A count past the home page's cap shows as the home's other badges do ("99+").
        "over_cap": context.get("over_cap"),
    }
