"""API views for petitions: parse, authorise, call a service or selector, render."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.audit.models import Source
from xinfang.audit.services import Context
from xinfang.core.errors import InvalidInput
from xinfang.core.replicas import lagging_response
from xinfang.petitions.actions import EXTRA_BODIES, perform
from xinfang.petitions.api.action_bodies import BODIES
from xinfang.petitions.api.pagination import PetitionPagination
from xinfang.petitions.api.serializers import (
    CategoryOut,
    EventOut,
    PetitionCreate,
    PetitionDetail,
    PetitionPatch,
    PetitionSummary,
)
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.models import Category
from xinfang.petitions.queues import counted, queues_for
from xinfang.petitions.selectors import (
    MAX_QUERY_LENGTH,
    get_visible_petition,
    mark_overdue,
    parse_filters,
    petition_detail,
    petition_list,
    search_snippets,
    visible_timeline,
)
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import correct_registration, fingerprint, register_petition
from xinfang.petitions.workflow import ACTION_LABELS

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def api_context(request) -> Context:
    return Context.from_request(request, source=Source.API)


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise InvalidInput({"non_field_errors": [_("Expected a JSON object.")]})
    return request.data


def _detail(request, number, *, status_code=200, headers=None):
    petition = petition_detail(request.user, number)
    return Response(
        PetitionDetail(petition, context={"request": request}).data, status=status_code, headers=headers
    )


class CategoryListView(ListAPIView):
    serializer_class = CategoryOut
    pagination_class = None
    queryset = Category.objects.filter(active=True)


# What parse_filters accepts, said exactly (an empty value is no filter, as a web form sends it).
_DAY_OR_EMPTY = {"type": "string", "pattern": r"^\s*([0-9]{4}-[0-9]{2}-[0-9]{2})?\s*$"}
LIST_FILTERS = [
    OpenApiParameter("status", str, enum=["", "open", *Status.values], description="a status, or `open`"),
    OpenApiParameter("channel", str, enum=["", *Channel.values]),
    OpenApiParameter("category", str, description="category code"),
    OpenApiParameter("overdue", bool),
    OpenApiParameter("mine", bool, description="registered by me (first responder)"),
    OpenApiParameter(
        "q",
        {"type": "string", "maxLength": MAX_QUERY_LENGTH},
        description='terms (all must match, each a substring; "…" is a phrase) in everything a reader '
        "may see; a whole ID number or phone matches its petitioner; results are then ordered by relevance "
        "while at most 1,000 match, newest first beyond (the answer's `order` and `count_capped` say which)",
    ),
    OpenApiParameter("received_after", _DAY_OR_EMPTY, description="YYYY-MM-DD"),
    OpenApiParameter("received_before", _DAY_OR_EMPTY, description="YYYY-MM-DD"),
]


class PetitionListView(ListAPIView):
    serializer_class = PetitionSummary
    pagination_class = PetitionPagination

    def get_queryset(self):
        # For the schema generator; the answer itself is read by list() below.
        return petition_list(self.request.user, parse_filters(self.request.query_params))

    def list(self, request, *args, **kwargs):
        # The page as the list page reads it (selectors.list_page): a search counts to a
        # bound and is ranked only below it, so a common term costs a page, not its matches.
        filters = parse_filters(request.query_params)
        page = mark_overdue(self.paginator.paginate_list(request, filters))
        if filters.q:
            search_snippets(page, filters.q)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(parameters=LIST_FILTERS)
    def get(self, request, *args, **kwargs):
        # A list may lag behind the primary, except for the person who just wrote (core/replicas.py).
        return lagging_response(
            request.user, lambda: super(PetitionListView, self).get(request, *args, **kwargs)
        )

    @extend_schema(
        request=PetitionCreate,
        responses={201: PetitionDetail},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "")
        if key and not _IDEMPOTENCY_KEY.match(key):
            raise InvalidInput({"Idempotency-Key": [_("At most 200 printable ASCII characters.")]})
        body = _body(request)
        data = check_registration(body)
        petition, created = register_petition(
            ctx=api_context(request), data=data, idempotency_key=key, request_fingerprint=fingerprint(body)
        )
        headers = {"Location": f"/api/v1/petitions/{petition.number}"}
        if not created:
            headers["Idempotent-Replayed"] = "true"
            return _detail(request, petition.number, status_code=status.HTTP_201_CREATED, headers=headers)
        # The service hands back everything it wrote (petitioners, parties, clocks, repeat
        # links) on the petition: the answer is rendered from memory, not read back. Its
        # registration event already records who saw the data; the unmasked petitioners
        # in the answer are access-logged by the serializer as for any detail.
        return Response(
            PetitionDetail(petition, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
            headers=headers,
        )


class PetitionDetailView(APIView):
    @extend_schema(responses=PetitionDetail)
    def get(self, request, number):
        return _detail(request, number)

    @extend_schema(request=PetitionPatch, responses=PetitionDetail)
    def patch(self, request, number):
        petition = get_visible_petition(request.user, number)
        correct_registration(ctx=api_context(request), petition=petition, changes=dict(_body(request)))
        return _detail(request, number)

    def http_method_not_allowed(self, request, *args, **kwargs):
        # DELETE and PUT are not methods of a petition (so OPTIONS and Allow do not list
        # them); a DELETE is told why: nothing is deleted (Rule 4.4), a mistake is voided.
        if request.method == "DELETE":
            raise exceptions.MethodNotAllowed("DELETE", detail=_("Petitions are never deleted."))
        return super().http_method_not_allowed(request, *args, **kwargs)


class EventListView(APIView):
    @extend_schema(responses=EventOut(many=True))
    def get(self, request, number):
        petition = get_visible_petition(request.user, number)
        return Response(EventOut(visible_timeline(request.user, petition), many=True).data)


class ActionSchema(AutoSchema):
    """Each action is its own operation in the document, with its own body (action_bodies.py)."""

    def get_request_serializer(self):
        name = self.view.action_name
        return BODIES[name] if name in BODIES else EXTRA_BODIES[name]

    def get_description(self):
        return str(ACTION_LABELS[self.view.action_name]) + ". " + super().get_description()

    def get_override_parameters(self):
        return [OpenApiParameter("number", str, OpenApiParameter.PATH, description="e.g. XF-2026-000123")]


class ActionView(APIView):
    """POST /petitions/{number}/actions/<action>: one step of the procedure (API.md).
    One route per action (api_urls.py), so that the document gives each its body.
    200 with the petition; 409 when the state or a rule refuses; 403 when the caller
    may see the petition but not act."""

    schema = ActionSchema()
    action_name = ""

    @extend_schema(responses={200: PetitionDetail})
    def post(self, request, number):
        petition = get_visible_petition(request.user, number)
        perform(api_context(request), petition, self.action_name, _body(request))
        return _detail(request, number)


class QueueListView(APIView):
    """GET /queues: the caller's work queues with counts (exact up to QUEUE_COUNT_CAP, "more than" beyond:
    `count_exact` false) and the first petitions in each."""

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int, description="petitions listed per queue (0-50, default 20)")
        ],
        responses=inline_serializer(
            "Queue",
            {
                "name": serializers.CharField(),
                "label": serializers.CharField(),
                "count": serializers.IntegerField(
                    help_text="exact when count_exact; otherwise there are more than this many"
                ),
                "count_exact": serializers.BooleanField(),
                "results": PetitionSummary(many=True),
            },
            many=True,
        ),
    )
    def get(self, request):
        try:
            limit = int(request.query_params.get("limit", 20))
        except ValueError:
            raise InvalidInput({"limit": [_("Must be a whole number.")]}) from None
        if not 0 <= limit <= 50:
            raise InvalidInput({"limit": [_("Must be between 0 and 50.")]})
        # Every count in one statement, exact up to QUEUE_COUNT_CAP (queues.counted).
        return Response(
            [
                {
                    "name": queue.name,
                    "label": str(queue.label),
                    "count": count,
                    "count_exact": exact,
                    "results": PetitionSummary(queue.first(limit), many=True).data if limit else [],
                }
                for queue, count, exact in counted(queues_for(request.user))
            ]
        )
