"""API: the caller's notifications."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.core.errors import InvalidInput
from xinfang.core.ids import parse_id
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
        unread = self.request.query_params.get("unread", "").lower() in ("1", "true", "yes")
        return inbox(self.request.user, unread_only=unread)

    @extend_schema(parameters=[OpenApiParameter("unread", bool)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MarkReadView(APIView):
    @extend_schema(
        request={
            "application/json": {
                "type": "object",
                "properties": {"ids": {"type": "array", "items": {"type": "integer"}}},
            }
        },
        responses=inline_serializer("Marked", {"marked": serializers.IntegerField()}),
        description="Mark the given notifications read, or all of the caller's when `ids` is absent.",
    )
    def post(self, request):
        body = request.data if isinstance(request.data, dict) else None
        if body is None:
            raise InvalidInput({"non_field_errors": [_("Expected a JSON object.")]})
        ids = body.get("ids")
        if ids is not None:
            if not isinstance(ids, list) or len(ids) > 1000:
                raise InvalidInput({"ids": [_("Must be a list of notification ids.")]})
            parsed = [parse_id(i) for i in ids]
            if None in parsed:
                raise InvalidInput({"ids": [_("Must be a list of notification ids.")]})
            ids = parsed
        return Response({"marked": mark_read(request.user, ids)})
