"""API of API.md "Statistics, ledgers, imports": parse, authorise, call, render."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.audit.models import Source
from xinfang.audit.services import Context
from xinfang.core.errors import InvalidInput, PayloadTooLarge
from xinfang.core.replicas import lagging_response
from xinfang.petitions import hooks
from xinfang.petitions.api.views import LIST_FILTERS
from xinfang.petitions.selectors import petition_list
from xinfang.reports.exports import ledger_response
from xinfang.reports.importing.service import import_ledger
from xinfang.reports.permissions import may_read_statistics
from xinfang.reports.statistics import (
    CLOCKS,
    DIMENSIONS,
    comparison_period,
    parse_statistics_query,
    statistics,
    statistics_sets,
)


def require_statistics(user) -> None:
    if not may_read_statistics(user):
        raise PermissionDenied(_("Your role does not read petition statistics."))


class StatisticsView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="received on or after"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="received on or before"),
            OpenApiParameter("group_by", str, description="comma-separated: " + ", ".join(DIMENSIONS)),
            OpenApiParameter(
                "compare",
                str,
                enum=["previous", "year"],
                description="also count the period before (环比) or a year earlier (同比): `compare` in the answer",
            ),
            OpenApiParameter("clock", str, description="on-time rate of one clock: " + ", ".join(CLOCKS)),
            OpenApiParameter("assigned_unit", int, description="handling unit id"),
            OpenApiParameter("involved_unit", int),
            OpenApiParameter("group", bool, description="group petitions only (or not)"),
            OpenApiParameter("repeat", bool, description="repeat petitions only (or not)"),
            *LIST_FILTERS,
        ],
        responses=inline_serializer(
            "Statistics",
            {
                "total": serializers.IntegerField(),
                "overdue": serializers.IntegerField(),
                "on_time_rate": serializers.FloatField(allow_null=True),
                "rows": serializers.ListField(child=serializers.DictField()),
                "satisfaction": serializers.DictField(
                    required=False,
                    help_text="with the public portal: the petitioners' latest ratings of these "
                    'petitions, {"rows": [{"value", "count"}], "total", "satisfied", "rate", "open"}',
                ),
            },
        ),
        description="Counts over the petitions the caller may see. Group keys carry the values the list "
        "filters take; `on_time_rate` is the share of decided clocks met in time (null when none).",
    )
    def get(self, request):
        require_statistics(request.user)
        return lagging_response(request.user, lambda: self._answer(request))

    def _answer(self, request):
        query = parse_statistics_query(request.query_params)
        compare = request.query_params.get("compare", "")
        earlier = comparison_period(query, compare) if compare else None
        if compare and earlier is None:
            raise InvalidInput({"compare": [_("Use previous or year, with both from and to.")]})
        if earlier is not None and len(query.group_by) == 1:
            # Both periods as the page reads them: on PostgreSQL one statement for the stored
            # rows of both and one for each live part, instead of each period on its own.
            result, before = statistics_sets(
                request.user, [(query, query.group_by), (earlier, query.group_by)]
            )
            result, before = result[query.group_by[0]], before[query.group_by[0]]
        else:
            result = statistics(request.user, query)
            before = statistics(request.user, earlier) if earlier is not None else None
        petitions = None
        for key, field in hooks.statistics_fields.items():  # e.g. the portal's satisfaction
            petitions = petitions if petitions is not None else petition_list(request.user, query.filters)
            result[key] = field(petitions)
        if earlier is not None:
            result["compare"] = {
                "from": earlier.list_params["received_after"],
                "to": earlier.list_params["received_before"],
                **before,
            }
        return Response(result)


class _IgnoreFormat(BaseContentNegotiation):
    """`format=xlsx|csv` names the ledger's file type here (API.md), not a DRF renderer."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class LedgerExportView(APIView):
    content_negotiation_class = _IgnoreFormat

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=["xlsx", "csv"], required=True),
            OpenApiParameter("assigned_unit", int),
            OpenApiParameter("involved_unit", int),
            OpenApiParameter("group", bool),
            OpenApiParameter("repeat", bool),
            *LIST_FILTERS,
        ],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        description="The ledger (台账) of the filtered petitions the caller may see, streamed; personal "
        "data masked as on screen; one access-log entry per export.",
    )
    def get(self, request):
        require_statistics(request.user)
        return lagging_response(request.user, lambda: ledger_response(request.user, request.query_params))


def read_upload(request) -> tuple[str, bytes]:
    upload = request.FILES.get("file")
    if upload is None:
        raise InvalidInput({"file": [_("Choose the ledger file to import.")]})
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(
            _("The file is larger than %(mb)d MB.") % {"mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    return upload.name or "ledger", upload.read()


def parse_dry_run(raw) -> bool:
    word = str(raw if raw is not None else "true").strip().lower()
    if word in ("true", "1", "on", "yes"):
        return True
    if word in ("false", "0", "off", "no"):
        return False
    raise InvalidInput({"dry_run": [_("Must be true or false.")]})


class ImportView(APIView):
    # The only API door that takes a file besides attachments: JSON is the default elsewhere.
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "dry_run": {"type": "boolean"},
                },
            }
        },
        responses=inline_serializer(
            "ImportReport",
            {
                "id": serializers.IntegerField(allow_null=True),
                "rows": serializers.IntegerField(),
                "valid": serializers.IntegerField(),
                "errors": serializers.ListField(child=serializers.DictField()),
                "created": serializers.IntegerField(),
                "skipped": serializers.IntegerField(),
            },
        ),
        description="Check (dry_run=true, the default) or import a ledger. All or nothing: one wrong row and "
        "nothing is created. The same file twice creates nothing the second time.",
    )
    def post(self, request):
        dry_run = parse_dry_run(request.data.get("dry_run"))
        name, content = read_upload(request)
        report = import_ledger(
            ctx=Context.from_request(request, source=Source.API),
            filename=name,
            content=content,
            dry_run=dry_run,
        )
        return Response(report.as_dict())
