"""Work queues on the web (DESIGN.md §4): the home page's count cards and one page per queue."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xinfang.petitions.queues import queues_for
from xinfang.petitions.selectors import overdue_deadlines

PAGE_SIZE = 25


def _with_overdue(petitions):
    """The queue's petitions with `is_overdue`, in one query for a list or a queryset."""
    overdue = Exists(overdue_deadlines().filter(petition=OuterRef("pk")))
    if isinstance(petitions, QuerySet):
        return petitions.annotate(is_overdue=overdue).order_by("received_at", "id")
    late = set(
        overdue_deadlines().filter(petition__in=[p.pk for p in petitions]).values_list("petition", flat=True)
    )
    for p in petitions:
        p.is_overdue = p.pk in late
    return petitions


def _page_number(raw) -> int:
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 1


@login_required
@require_GET
def queue_page(request, name):
    """One of the caller's queues, oldest first; someone else's queue name is a 404."""
    queue = next((q for q in queues_for(request.user) if q.name == name), None)
    if queue is None:
        raise Http404
    paginator = Paginator(_with_overdue(queue.petitions), PAGE_SIZE)
    page = paginator.get_page(_page_number(request.GET.get("page")))
    return render(request, "petitions/queue.html", {"queue": queue, "page": page})
