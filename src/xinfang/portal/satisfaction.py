"""Satisfaction on the statistics page (issue 13 item 5, issue 12 item 1): how the petitioners
rated the replies of the petitions the page counts. Registered in hooks.statistics_sections and
hooks.petition_list_filters from PortalConfig.ready(); the reports app never imports this.

Each petition counts once, with its LATEST rating (a matter reworked and replied again may be
rated again; the new rating replaces the old verdict). The same definition backs the list filter
`rating`, so a number and the list it links to always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xinfang.portal.models import FollowUp, Rating, RatingValue

RATED = "rated"  # the list filter's value for "has any rating"
# The satisfaction rate counts 满意 and 基本满意 as satisfied, as offices report it upward.
SATISFIED_VALUES = (RatingValue.SATISFIED, RatingValue.BASICALLY_SATISFIED)


def latest_ratings() -> QuerySet[Rating]:
    """Ratings no later rating of the same petition replaced (ties on rated_at broken by id)."""
    newer = Rating.objects.filter(petition=OuterRef("petition")).filter(
        Q(rated_at__gt=OuterRef("rated_at")) | Q(rated_at=OuterRef("rated_at"), pk__gt=OuterRef("pk"))
    )
    return Rating.objects.filter(~Exists(newer))


def satisfaction(petitions: QuerySet) -> dict:
    """{"rows": [{"value", "count"}], "total", "satisfied", "rate", "open"} over `petitions`
    (already visible_to the reader). One query."""
    counts = {
        row["value"]: row
        for row in latest_ratings()
        .filter(petition__in=petitions.order_by().values("pk"))
        .values("value")
        .annotate(n=Count("pk"), open=Count("pk", filter=Q(follow_up=FollowUp.OPEN)))
        .order_by()
    }
    rows = [{"value": v, "count": counts[v]["n"] if v in counts else 0} for v in RatingValue.values]
    total = sum(r["count"] for r in rows)
    satisfied = sum(r["count"] for r in rows if r["value"] in SATISFIED_VALUES)
    return {
        "rows": rows,
        "total": total,
        "satisfied": satisfied,
        "rate": round(satisfied / total, 4) if total else None,
        "open": sum(row["open"] for row in counts.values()),
    }


def _link(list_params: dict, value: str) -> str:
    params = {k: v for k, v in (list_params or {}).items() if v not in ("", None)}
    params["rating"] = value
    return reverse("petition_list") + "?" + urlencode(params)


def statistics_section(request, petitions, list_params) -> str:
    import json

    result = satisfaction(petitions)
    labels = dict(RatingValue.choices)
    rows = [
        {"label": labels[r["value"]], "count": r["count"], "link": _link(list_params, r["value"])}
        for r in result["rows"]
    ]
    chart = {
        "type": "pie",
        "labels": [str(r["label"]) for r in rows if r["count"]],
        "values": [r["count"] for r in rows if r["count"]],
        "series": gettext("Ratings"),
    }
    return render_to_string(
        "portal/office/statistics_section.html",
        {
            "result": result,
            "rows": rows,
            "rated_link": _link(list_params, RATED),
            "chart_json": json.dumps(chart, ensure_ascii=False),
        },
        request=request,
    )


# --- The list filter `rating` that the section's numbers link with ---------------------------


def parse_rating(raw: str) -> str:
    if raw in RatingValue.values or raw == RATED:
        return raw
    raise ValueError(
        gettext("Unknown rating; use %(known)s.") % {"known": ", ".join([*RatingValue.values, RATED])}
    )


def apply_rating(queryset: QuerySet, value: str) -> QuerySet:
    latest = latest_ratings().filter(petition=OuterRef("pk"))
    if value != RATED:
        latest = latest.filter(value=value)
    return queryset.filter(Exists(latest))


def describe_rating(raw: str) -> str:
    if raw == RATED:
        return gettext("rated")
    return str(dict(RatingValue.choices).get(raw, raw))


@dataclass(frozen=True)
class RatingFilter:
    """The shape hooks.petition_list_filters expects (label, parse, apply, describe)."""

    label: Promise
    parse: object
    apply: object
    describe: object


RATING_FILTER = RatingFilter(_("Satisfaction (latest rating)"), parse_rating, apply_rating, describe_rating)
