"""API: deadline lists, extensions and pauses, supervision (docs/deadlines.md)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.accounts.models import Unit
from xinfang.audit.models import Source
from xinfang.audit.services import Context
from xinfang.core.errors import InvalidInput
from xinfang.core.ids import parse_id
from xinfang.deadlines import selectors, services
from xinfang.petitions.selectors import get_visible_petition


class DeadlineRow(serializers.Serializer):
    petition = serializers.CharField(source="petition.number")
    name = serializers.CharField()
    rule = serializers.CharField()
    due_at = serializers.DateTimeField()
    unit = serializers.IntegerField(source="unit_id", allow_null=True)
    first_responder = serializers.CharField(source="petition.first_responder.username")
    overdue = serializers.SerializerMethodField()

    def get_overdue(self, deadline) -> bool:
        return deadline.is_overdue(self.context["now"])


class SupervisionOut(serializers.Serializer):
    id = serializers.IntegerField()
    unit = serializers.IntegerField(source="unit_id")
    kind = serializers.CharField()
    message = serializers.CharField()
    due_date = serializers.DateField()
    issued_by = serializers.CharField(source="issued_by.username")
    issued_at = serializers.DateTimeField()
    response = serializers.CharField()
    responded_at = serializers.DateTimeField(allow_null=True)


def _ctx(request) -> Context:
    return Context.from_request(request, source=Source.API)


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise InvalidInput({"non_field_errors": [_("Expected a JSON object.")]})
    return request.data


class DeadlineListView(ListAPIView):
    """GET /deadlines: the caller's overdue or due-soon clocks."""

    serializer_class = DeadlineRow

    def get_queryset(self):
        filters = selectors.parse_deadline_filters(self.request.user, self.request.query_params)
        return selectors.deadline_list(self.request.user, filters)

    def get_serializer_context(self):
        from django.utils import timezone

        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=list(selectors.STATES)),
            OpenApiParameter("scope", str, enum=list(selectors.SCOPES)),
            OpenApiParameter("unit", int),
            OpenApiParameter("within_hours", int, description="due-soon window, 1-1440 (default 72)"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DeadlineActionView(APIView):
    """POST /petitions/{number}/deadlines/{name}/{extend|pause|resume} (a leader)."""

    @extend_schema(
        request={
            "application/json": {
                "type": "object",
                "properties": {
                    "days": {"type": "integer"},
                    "reason": {"type": "string"},
                    "petitioner_notice": {"type": "string"},
                },
            }
        },
        responses={200: DeadlineRow},
    )
    def post(self, request, number, name, operation):
        if operation not in ("extend", "pause", "resume"):
            raise exceptions.NotFound()
        petition = get_visible_petition(request.user, number)
        body = _body(request)
        reason = body.get("reason", "")
        if operation == "extend":
            change = services.extend_deadline(
                ctx=_ctx(request),
                petition=petition,
                name=name,
                days=body.get("days"),
                reason=reason,
                petitioner_notice=body.get("petitioner_notice", ""),
            )
        elif operation == "pause":
            change = services.pause_deadline(ctx=_ctx(request), petition=petition, name=name, reason=reason)
        else:
            change = services.resume_deadline(ctx=_ctx(request), petition=petition, name=name, reason=reason)
        deadline = change.deadline
        deadline.petition = petition
        from django.utils import timezone

        return Response(DeadlineRow(deadline, context={"now": timezone.now()}).data)


class SupervisionListView(APIView):
    """GET/POST /petitions/{number}/supervisions."""

    @extend_schema(responses={200: SupervisionOut(many=True)})
    def get(self, request, number):
        petition = get_visible_petition(request.user, number)
        return Response(SupervisionOut(selectors.supervisions_of(petition), many=True).data)

    @extend_schema(
        request={
            "application/json": {
                "type": "object",
                "properties": {
                    "unit": {"type": "integer"},
                    "kind": {"type": "string", "enum": ["reminder", "supervision"]},
                    "message": {"type": "string"},
                    "due_date": {"type": "string", "format": "date"},
                },
            }
        },
        responses={201: SupervisionOut},
    )
    def post(self, request, number):
        petition = get_visible_petition(request.user, number)
        body = _body(request)
        unit_id = parse_id(body.get("unit"))
        unit = Unit.objects.filter(pk=unit_id).first() if unit_id else None
        if unit is None:
            raise InvalidInput({"unit": [_("Choose a unit.")]})
        record = services.issue_supervision(
            ctx=_ctx(request),
            petition=petition,
            unit=unit,
            kind=body.get("kind", ""),
            message=body.get("message", ""),
            due_date=body.get("due_date", ""),
        )
        return Response(SupervisionOut(record).data, status=201)


class SupervisionResponseView(APIView):
    """POST /petitions/{number}/supervisions/{id}/response (a handler of the unit)."""

    @extend_schema(
        request={"application/json": {"type": "object", "properties": {"response": {"type": "string"}}}},
        responses={200: SupervisionOut},
    )
    def post(self, request, number, supervision_id):
        petition = get_visible_petition(request.user, number)
        record = services.respond_supervision(
            ctx=_ctx(request),
            petition=petition,
            supervision_id=supervision_id,
            response=_body(request).get("response", ""),
        )
        return Response(SupervisionOut(record).data)
