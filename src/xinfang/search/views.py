"""Pages of the search capability: the similar-petitions panel on the registration form (htmx)
and the "recurring matters" view. The search itself is the petition list's `q`."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from xinfang.core.errors import InvalidInput
from xinfang.core.replicas import lagging_view
from xinfang.search.intake import intake_suggestions
from xinfang.search.similarity import recurring_clusters

WINDOWS = (30, 90, 180, 365)


def _office_staff(request) -> None:
    from xinfang.petitions.services.registration import may_register

    if not may_register(request.user):
        raise PermissionDenied


def registration_panel(request) -> str:
    """What the registration page shows in its slot (petitions/hooks.py registration_panels):
    an empty panel that fills itself as the clerk types."""
    return render_to_string("search/_intake_slot.html", {}, request=request)


@login_required
@require_POST
def intake_panel(request):
    """The panel's content for what the form holds now (htmx, debounced on the client)."""
    from xinfang.petitions.forms import data_from_form, form_from_post

    _office_staff(request)
    data = data_from_form(form_from_post(request.POST))
    try:
        answer = intake_suggestions(request.user, data)
    except InvalidInput as exc:
        return render(request, "search/_intake_panel.html", {"errors": exc.errors}, status=400)
    from xinfang.accounts.models import Unit
    from xinfang.petitions.models import Category

    codes = [c["code"] for c in answer["categories"]]
    names = {c.code: c for c in Category.objects.filter(code__in=codes)}
    units = {u.pk: u for u in Unit.objects.filter(pk__in=[u["id"] for u in answer["units"]])}
    context = {
        "answer": answer,
        "categories": [(names[c["code"]], c["score"]) for c in answer["categories"] if c["code"] in names],
        "units": [(units[u["id"]], u["score"]) for u in answer["units"] if u["id"] in units],
        "typed": bool(data.get("title") or data.get("content")),
    }
    return render(request, "search/_intake_panel.html", context)


@login_required
@require_GET
@lagging_view
def recurring(request):
    """Matters raised again and again (by one or several people) within a window."""
    _office_staff(request)
    try:
        days = int(request.GET.get("days", 90))
    except ValueError:
        days = 90
    if days not in WINDOWS:
        days = 90
    clusters = recurring_clusters(request.user, since=timezone.now() - timedelta(days=days))
    return render(request, "search/recurring.html", {"clusters": clusters, "days": days, "windows": WINDOWS})
