"""API plumbing shared by every endpoint: problem+json errors and pagination."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler

from xinfang.core.errors import DomainError, InvalidInput

PROBLEM_TYPE = "about:blank"


def problem(status_code: int, title: str, detail: str, errors: dict | None = None, **extra) -> Response:
    body = {"type": PROBLEM_TYPE, "title": title, "status": status_code, "detail": str(detail)}
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(body, status=status_code, content_type="application/problem+json")
    return response


def _titles():
    return {
        400: _("Invalid input"),
        401: _("Not authenticated"),
        403: _("Forbidden"),
        404: _("Not found"),
        405: _("Method not allowed"),
        406: _("Not acceptable"),
        409: _("Conflict"),
        413: _("Payload too large"),
        415: _("Invalid input"),
        422: _("Unprocessable request"),
        429: _("Too many requests"),
    }


def _flatten(detail) -> dict[str, list[str]]:
    """DRF's nested error detail → {"field.sub.0": ["message"]}."""
    out: dict[str, list[str]] = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list):
            if all(not isinstance(v, (dict, list)) for v in value):
                out.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in value)
            else:
                for i, sub in enumerate(value):
                    if sub:
                        walk(f"{prefix}.{i}", sub)
        else:
            out.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", detail)
    return out


def problem_exception_handler(exc, context):
    titles = _titles()
    if isinstance(exc, InvalidInput):
        errors = {k: [str(m) for m in v] for k, v in exc.errors.items()}
        return problem(400, titles[400], exc.message, errors)
    if isinstance(exc, DomainError):
        return problem(exc.status, titles.get(exc.status, titles[400]), exc.message)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.UnsupportedMediaType):
        # The contract lists 400 for wrong content types: the body was not understood.
        return problem(400, titles[400], exc.detail)
    if isinstance(exc, exceptions.NotFound):
        # One body for "missing" and "not visible": nothing to learn from a 404.
        return problem(404, titles[404], _("Not found."))
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = response.status_code
    if isinstance(exc, exceptions.ValidationError):
        return problem(code, titles[400], _("Some fields are not valid."), _flatten(exc.detail))
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    if isinstance(detail, (list, dict)):
        return problem(code, titles.get(code, ""), _("Some fields are not valid."), _flatten(detail))
    result = problem(code, titles.get(code, response.status_text), str(detail))
    for header in ("WWW-Authenticate", "Allow", "Retry-After"):
        if header in response:
            result[header] = response[header]
    return result


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param) or 1
        try:
            number = int(raw)
        except (TypeError, ValueError):
            raise exceptions.ValidationError({"page": [_("Must be a whole number.")]}) from None
        if number < 1:
            raise exceptions.ValidationError({"page": [_("Must be at least 1.")]})
        return number

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise exceptions.ValidationError({"page_size": [_("Must be a whole number.")]}) from None
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {"page_size": [_("Must be between 1 and %(max)d.") % {"max": self.max_page_size}]}
            )
        return size


__all__ = ["problem", "problem_exception_handler", "Pagination", "status"]
