"""API: `POST /api/v1/suggestions` (API.md "Search, recognition and suggestions")."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.core.errors import InvalidInput
from xinfang.search.intake import intake_suggestions

SuggestionsOut = inline_serializer(
    "Suggestions",
    {
        "categories": serializers.ListField(child=serializers.DictField()),
        "units": serializers.ListField(child=serializers.DictField()),
        "similar": serializers.ListField(child=serializers.DictField()),
        "model": serializers.DictField(),
    },
)
SuggestionsIn = inline_serializer(
    "SuggestionsRequest",
    {
        "title": serializers.CharField(required=False),
        "content": serializers.CharField(required=False),
        "requests": serializers.CharField(required=False),
        "petitioners": serializers.ListField(child=serializers.DictField(), required=False),
    },
)


class SuggestionsView(APIView):
    """Similar visible petitions, and category and unit suggested from the office's history."""

    @extend_schema(request=SuggestionsIn, responses={200: SuggestionsOut})
    def post(self, request):
        if not isinstance(request.data, dict):
            raise InvalidInput({"non_field_errors": [_("Expected a JSON object.")]})
        return Response(intake_suggestions(request.user, request.data))
