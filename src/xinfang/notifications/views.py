"""The caller's notifications on the web: the list, opening one (marks it read) and
marking all read. Reads go through selectors.inbox, which keeps to visible petitions."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from xinfang.core.ids import parse_id
from xinfang.notifications.display import sentence
from xinfang.notifications.selectors import inbox
from xinfang.notifications.services import mark_read

PAGE_SIZE = 25


@login_required
@require_GET
def notification_list(request):
    try:
        number = max(1, int(request.GET.get("page", 1)))
    except (TypeError, ValueError):
        number = 1
    page = Paginator(inbox(request.user), PAGE_SIZE).get_page(number)
    rows = [{"n": n, "sentence": sentence(n)} for n in page.object_list]
    return render(request, "notifications/list.html", {"page": page, "rows": rows})


@login_required
@require_GET
def open_notification(request, notification_id):
    """Following a notification marks it read and opens its petition."""
    pk = parse_id(notification_id)
    notification = inbox(request.user).filter(pk=pk).first() if pk else None
    if notification is None:
        raise Http404
    mark_read(request.user, [notification.pk])
    return redirect(reverse("petition", args=[notification.petition.number]))


@login_required
@require_POST
def mark_all_read(request):
    mark_read(request.user)
    return redirect(reverse("notifications"))
