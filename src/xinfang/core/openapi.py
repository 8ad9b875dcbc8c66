"""What the served OpenAPI document says beyond what drf-spectacular infers.

drf-spectacular describes the success answers it can see in the views; the
problem+json errors every endpoint may give (core/api.py turns each refusal into
one), and the limits the views enforce by hand, are invisible to it. This hook
adds them so that the document is true: a client generated from it, or a
schema-driven fuzzer (tests/contract), expects what the server really does.
Registered in SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"].
"""

from __future__ import annotations

from xinfang.core.ids import MAX_ID

PROBLEM = "Problem"
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details; `errors` maps field paths to messages (400 only).",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}

# Why each status is answered (API.md, "Errors"); messages follow Accept-Language.
REASONS = {
    "400": "Invalid input: a field, a filter or the body (see `errors`).",
    "401": "Not authenticated: no token, or an expired or revoked one.",
    "403": "Visible but not allowed to the caller.",
    "404": "Not found, or not visible to the caller (the same answer).",
    "405": "Method not allowed.",
    "409": "The petition's state or a rule does not allow it now.",
    "413": "The file or the body is too large.",
    "422": "The Idempotency-Key was used before with a different body.",
    "429": "Too many requests; retry after the `Retry-After` seconds.",
}
BY_METHOD = {
    "get": ("400", "401", "403", "404", "429"),
    "post": ("400", "401", "403", "404", "409", "413", "429"),
    "patch": ("400", "401", "403", "404", "409", "413", "429"),
    "put": ("400", "401", "403", "404", "409", "413", "429"),
    "delete": ("401", "403", "404", "405", "429"),
}
# Signing in: nobody is authenticated yet and there is no object to miss.
UNAUTHENTICATED = ("400", "401", "429")

# Query parameters the views check by hand (core/api.Pagination, the ids parsed by core/ids).
LIMITS = {
    "page": {"minimum": 1, "maximum": MAX_ID},
    "page_size": {"minimum": 1, "maximum": 200},
}
ID_PARAMETERS = {"unit", "assigned_unit", "responder", "supervision_id", "attachment_id", "id"}


def _problem_response(code: str) -> dict:
    return {
        "description": REASONS[code],
        "content": {"application/problem+json": {"schema": {"$ref": f"#/components/schemas/{PROBLEM}"}}},
    }


def _limit(parameter: dict) -> None:
    schema = parameter.setdefault("schema", {})
    name = parameter.get("name")
    if name in LIMITS:
        schema.update({"type": "integer", **LIMITS[name]})
    elif name in ID_PARAMETERS:
        schema.update({"type": "integer", "minimum": 1, "maximum": MAX_ID})


def declare_problems(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry: error responses and limits on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})[PROBLEM] = PROBLEM_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in BY_METHOD:
                continue
            # Operations open to everyone (auth=[]) carry no security requirement.
            codes = BY_METHOD[method] if operation.get("security") else UNAUTHENTICATED
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, _problem_response(code))
            for parameter in operation.get("parameters", []):
                _limit(parameter)
                if parameter.get("name") == "Idempotency-Key":
                    responses.setdefault("422", _problem_response("422"))
    return result
