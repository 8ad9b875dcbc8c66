"""The public portal's pages (no account). Own templates and base (portal/base.html), never
the staff pages; no inline script (CSP). Every POST is validated on the server; a refusal
re-shows the form with its messages in place and stores nothing."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from xinfang.core.errors import Conflict, InvalidInput
from xinfang.petitions.models import Category
from xinfang.portal import captcha, lookup, throttle
from xinfang.portal.checks import check_submission
from xinfang.portal.errors import Throttled
from xinfang.portal.models import RatingValue
from xinfang.portal.projection import documents_for, project
from xinfang.portal.services.rating import check_rating, rate
from xinfang.portal.services.submission import submit

HONEYPOT = "website"
FORM_FIELDS = ("name", "id_number", "phone", "address", "title", "content", "requests", "category")


def _categories(request):
    language = getattr(request, "LANGUAGE_CODE", "zh-hans")
    return [(c.code, c.localized_name(language)) for c in Category.objects.filter(active=True)]


def notice(request):
    return render(request, "portal/notice.html", {"notice": settings.PORTAL_NOTICE})


def _form_page(request, values=None, errors=None, status=200, refused=""):
    context = {
        "values": values or {},
        "errors": errors or {},
        "categories": _categories(request),
        "captcha_key": captcha.new_challenge(),
        "refused": refused,
        "max_files": settings.PORTAL_MAX_FILES,
        "max_mb": settings.MAX_UPLOAD_BYTES // 2**20,
        "demo": settings.PORTAL_DEMO_CAPTCHA,
    }
    return render(request, "portal/submit.html", context, status=status)


# never_cache: the slip and the status page carry the secret; no browser or proxy may keep them.
@never_cache
@require_http_methods(["GET", "POST"])
def submit_page(request):
    if request.method == "GET":
        return _form_page(request)
    post = request.POST
    values = {k: post.get(k, "")[:20000] for k in FORM_FIELDS}
    values["anonymous"] = bool(post.get("anonymous"))
    values["consent"] = bool(post.get("consent"))
    if post.get(HONEYPOT):
        # A field people never see: only robots fill it. Refused like a spam burst, nothing stored.
        throttle.logger.info("portal: honeypot filled from %s", throttle.client_address(request))
        return _form_page(request, values, status=400, refused=_("The submission could not be accepted."))
    if not captcha.solved(post.get("captcha_key"), post.get("captcha")):
        errors = {"captcha": [_("The characters do not match the picture. Please try again.")]}
        # The rest of the form is checked too, so that all problems show at once.
        try:
            check_submission(post, request.FILES.getlist("files"))
        except InvalidInput as exc:
            errors = exc.errors | errors
        return _form_page(request, values, errors, status=400)
    try:
        data = check_submission(post, request.FILES.getlist("files"))
        submission, secret = submit(data=data, address=throttle.client_address(request))
    except InvalidInput as exc:
        return _form_page(request, values, exc.errors, status=400)
    except Throttled as exc:
        return _form_page(request, values, status=429, refused=str(exc.message))
    return render(
        request,
        "portal/submitted.html",
        {"submission": submission, "secret": secret},
    )


def _status_page(request, context, status=200):
    context.setdefault("ratings", RatingValue.choices)
    return render(request, "portal/status.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def status_page(request):
    """GET: the query form. POST: the public projection for a code and secret."""
    if request.method == "GET":
        return _status_page(request, {})
    code, secret = request.POST.get("query_code", ""), request.POST.get("secret", "")
    try:
        submission = lookup.find(throttle.client_address(request), code, secret)
    except Http404:
        return _status_page(
            request,
            {"query_code": code[:32], "not_found": _("No matter matches this query code and secret.")},
            status=404,
        )
    except Throttled as exc:
        return _status_page(request, {"query_code": code[:32], "not_found": str(exc.message)}, status=429)
    context = {"query_code": submission.query_code, "secret": secret[:32], "status": project(submission)}
    if request.POST.get("rating") is not None or request.POST.get("rate"):
        try:
            value, comment = check_rating(request.POST)
            rate(submission=submission, value=value, comment=comment)
            context["rated"] = True
            context["status"] = project(submission)
        except InvalidInput as exc:
            context["rating_errors"] = exc.errors
            context["comment"] = request.POST.get("comment", "")[:2000]
            return _status_page(request, context, status=400)
        except Conflict as exc:
            context["rating_refused"] = str(exc.message)
            return _status_page(request, context, status=409)
    return _status_page(request, context)


@never_cache
@require_http_methods(["POST"])
def document_download(request, index: int):
    """A document addressed to the petitioner: the code and secret again, then the bytes."""
    try:
        submission = lookup.find(
            throttle.client_address(request), request.POST.get("query_code"), request.POST.get("secret")
        )
    except Throttled as exc:
        return HttpResponse(str(exc.message), status=429, content_type="text/plain; charset=utf-8")
    documents = documents_for(submission)
    if index >= len(documents):
        raise Http404
    document = documents[index]
    response = HttpResponse(document.open(), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, str(document.name))
    return response
