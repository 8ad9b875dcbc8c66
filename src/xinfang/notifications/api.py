"""API: the caller's notifications."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.core.errors import InvalidInput
from xinfang.core.ids import MAX_ID, parse_id
from xinfang.notifications.selectors import inbox
from xinfang.notifications.services import mark_read


class NotificationOut(serializers.Serializer):
    id = serializers.IntegerField()
    petition = serializers.CharField(source="petition.number")
    kind = serializers.CharField()
    data = serializers.JSONField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationListView(ListAPIView):
    serializer_class = NotificationOut

    def get_queryset(self):
        raw = self.request.query_params.get("unread", "").strip().lower()
        if raw not in ("", "1", "true", "yes", "0", "false", "no"):
            raise InvalidInput({"unread": [_("Must be true or false.")]})
        return inbox(self.request.user, unread_only=raw in ("1", "true", "yes"))

    @extend_schema(parameters=[OpenApiParameter("unread", bool)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MarkReadView(APIView):
    @extend_schema(
        request={
            "application/json": {
                "type": "object",
                "properties": {
                    "ids": {
                        "type": "array",
                        "maxItems": 1000,
                        "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    }
                },
            }
        },
        responses=inline_serializer("Marked", {"marked": serializers.IntegerField()}),
        description="Mark the given notifications read, or all of the caller's when `ids` is absent "
        "(`null` is refused).",
    )
    def post(self, request):
        body = request.data if isinstance(request.data, dict) else None
        if body is None:
            raise InvalidInput({"non_field_errors": [_("Expected a JSON object.")]})
        ids = None
        if "ids" in body:
            # Only a missing "ids" means all: null, a number or a string is a mistake to refuse,
            # not a request to mark everything read.
            raw = body["ids"]
            if not isinstance(raw, list) or len(raw) > 1000:
                raise InvalidInput({"ids": [_("Must be a list of notification ids.")]})
            ids = [parse_id(i) if isinstance(i, int) else None for i in raw]
            if None in ids:
                raise InvalidInput({"ids": [_("Must be a list of notification ids.")]})
        return Response({"marked": mark_read(request.user, ids)})
