"""Work queues on the web (DESIGN.md §4): the home page's count cards and one page per queue."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xinfang.petitions.queues import queues_for
from xinfang.petitions.selectors import mark_overdue

PAGE_SIZE = 25


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
    if queue.keys is not None:
        # Counted and cut along the assignments (queues._along_assignments); the page's rows
        # are then read by id through the read policy, in one statement.
        petitions = queue.keys.order_by("received_at", "petition_id")
    else:
        petitions = queue.petitions
        if isinstance(petitions, QuerySet):
            petitions = petitions.order_by("received_at", "id")
    paginator = Paginator(petitions, PAGE_SIZE)
    page = paginator.get_page(_page_number(request.GET.get("page")))
    if queue.keys is not None:
        start = (page.number - 1) * PAGE_SIZE
        page.object_list = queue.first(PAGE_SIZE, start=start, oldest=True) if paginator.count else []
    # The overdue flag for the page's rows only (selectors.mark_overdue).
    page.object_list = mark_overdue(page.object_list)
    return render(request, "petitions/queue.html", {"queue": queue, "page": page})
