"""Error pages: problem+json under /api/, a page in the user's language elsewhere.
Nothing about the failure leaks into either."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _api(request):
    return request.path.startswith("/api/")


def _problem(status, title, detail):
    return JsonResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
        json_dumps_params={"ensure_ascii": False},
    )


def _page(request, status, title, detail):
    return render(request, "error.html", {"status": status, "title": title, "detail": detail}, status=status)


def bad_request(request, exception=None):
    title, detail = _("Invalid input"), _("The request could not be understood.")
    return _problem(400, title, detail) if _api(request) else _page(request, 400, title, detail)


def permission_denied(request, exception=None):
    title, detail = _("Forbidden"), _("You are not allowed to do this.")
    return _problem(403, title, detail) if _api(request) else _page(request, 403, title, detail)


def page_not_found(request, exception=None):
    title, detail = _("Not found"), _("Not found.")
    return _problem(404, title, detail) if _api(request) else _page(request, 404, title, detail)


def server_error(request):
    title, detail = _("Server error"), _("Something went wrong on our side. The error has been logged.")
    if _api(request):
        return _problem(500, title, detail)
    # No context processors or request-dependent rendering: this must not fail again.
    return render(request, "500.html", {"title": title, "detail": detail}, status=500)
