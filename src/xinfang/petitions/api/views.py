"""API views for petitions: parse, authorise, call a service or selector, render."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.audit.models import Source
from xinfang.audit.services import Context
from xinfang.core.errors import InvalidInput
from xinfang.petitions.actions import REGISTRY, perform
from xinfang.petitions.api.serializers import (
    CategoryOut,
    EventOut,
    PetitionCreate,
    PetitionDetail,
    PetitionPatch,
    PetitionSummary,
)
from xinfang.petitions.models import Category
from xinfang.petitions.queues import queues_for
from xinfang.petitions.selectors import (
    get_visible_petition,
    parse_filters,
    petition_detail,
    petition_list,
    search_snippets,
    timeline,
)
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.services.registration import correct_registration, fingerprint, register_petition

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


LIST_FILTERS = [
    OpenApiParameter("status", str, description="a status, or `open`"),
    OpenApiParameter("channel", str),
    OpenApiParameter("category", str, description="category code"),
    OpenApiParameter("overdue", bool),
    OpenApiParameter("mine", bool, description="registered by me (first responder)"),
    OpenApiParameter(
        "q",
        str,
        description='terms (all must match, each a substring; "…" is a phrase) in everything a reader '
        "may see; a whole ID number or phone matches its petitioner; results are then ordered by relevance",
    ),
    OpenApiParameter("received_after", OpenApiTypes.DATE),
    OpenApiParameter("received_before", OpenApiTypes.DATE),
]


class PetitionListView(ListAPIView):
    serializer_class = PetitionSummary

    def get_queryset(self):
        return petition_list(self.request.user, parse_filters(self.request.query_params))

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        q = self.request.query_params.get("q", "").strip()
        if page is not None and q:
            search_snippets(page, q)
        return page

    @extend_schema(parameters=LIST_FILTERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

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


class PetitionDetailView(APIView):
    @extend_schema(responses=PetitionDetail)
    def get(self, request, number):
        return _detail(request, number)

    @extend_schema(request=PetitionPatch, responses=PetitionDetail)
    def patch(self, request, number):
        petition = get_visible_petition(request.user, number)
        correct_registration(ctx=api_context(request), petition=petition, changes=dict(_body(request)))
        return _detail(request, number)

    @extend_schema(exclude=True)
    def delete(self, request, number):
        # Nothing is ever deleted (Rule 4.4); a mistaken registration is voided instead.
        raise exceptions.MethodNotAllowed("DELETE", detail=_("Petitions are never deleted."))

    @extend_schema(exclude=True)
    def put(self, request, number):
        raise exceptions.MethodNotAllowed("PUT")


class EventListView(APIView):
    @extend_schema(responses=EventOut(many=True))
    def get(self, request, number):
        petition = get_visible_petition(request.user, number)
        return Response(EventOut(timeline(petition), many=True).data)


class ActionView(APIView):
    """POST /petitions/{number}/actions/{action}: one step of the procedure (API.md)."""

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses={200: PetitionDetail},
        description="Body per action: see API.md. 409 when the state or a rule refuses; 403 when the caller "
        "may see the petition but not act.",
    )
    def post(self, request, number, action):
        if action not in REGISTRY:
            raise exceptions.NotFound()
        petition = get_visible_petition(request.user, number)
        perform(api_context(request), petition, action, _body(request))
        return _detail(request, number)


class QueueListView(APIView):
    """GET /queues: the caller's work queues with counts and the first petitions in each."""

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int, description="petitions listed per queue (0-50, default 20)")
        ],
        responses=inline_serializer(
            "Queue",
            {
                "name": serializers.CharField(),
                "label": serializers.CharField(),
                "count": serializers.IntegerField(),
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
        return Response(
            [
                {
                    "name": queue.name,
                    "label": str(queue.label),
                    "count": queue.count,
                    "results": PetitionSummary(list(queue.petitions[:limit]), many=True).data,
                }
                for queue in queues_for(request.user)
            ]
        )
