"""API for the audit administrator: the access log and the event log's metadata."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.generics import ListAPIView

from xinfang.audit.selectors import access_log, event_metadata, may_read_audit


class IsAuditAdmin(permissions.BasePermission):
    def has_permission(self, request, view):
        return may_read_audit(request.user)


class AccessLogOut(serializers.Serializer):
    at = serializers.DateTimeField()
    username = serializers.CharField()
    unit = serializers.IntegerField(source="unit_id", allow_null=True)
    ip = serializers.CharField(allow_null=True)
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_ref = serializers.CharField()
    outcome = serializers.CharField()
    detail = serializers.CharField()
    request_id = serializers.CharField()


class EventMetaOut(serializers.Serializer):
    petition = serializers.CharField(source="petition.number")
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    action = serializers.CharField()
    source = serializers.CharField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()


class AccessLogView(ListAPIView):
    permission_classes = [IsAuditAdmin]
    serializer_class = AccessLogOut

    def get_queryset(self):
        return access_log(self.request.query_params)

    @extend_schema(
        parameters=[OpenApiParameter(n, str) for n in ("user", "action", "outcome", "object", "from", "to")]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EventMetaView(ListAPIView):
    permission_classes = [IsAuditAdmin]
    serializer_class = EventMetaOut

    def get_queryset(self):
        return event_metadata(self.request.query_params)

    @extend_schema(parameters=[OpenApiParameter("petition", str)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
