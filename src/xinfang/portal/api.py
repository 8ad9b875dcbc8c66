"""The portal's API (API.md "Public portal"): the citizen's status and rating by code and
secret (no account), and the office's intake queue (signed-in office staff)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.core.errors import Forbidden, InvalidInput
from xinfang.petitions.api.serializers import PetitionDetail
from xinfang.petitions.api.views import _detail, api_context
from xinfang.portal import lookup, throttle
from xinfang.portal.projection import project
from xinfang.portal.selectors import get_submission, is_overdue, waiting
from xinfang.portal.services import intake
from xinfang.portal.services.rating import check_rating, rate

StatusIn = inline_serializer(
    "PortalStatusIn", {"query_code": serializers.CharField(), "secret": serializers.CharField()}
)
StatusOut = inline_serializer(
    "PortalStatus",
    {
        "query_code": serializers.CharField(),
        "number": serializers.CharField(required=False),
        "stage": serializers.ChoiceField(
            ["received", "declined", "accepted", "handling", "replied", "closed"]
        ),
        "stage_label": serializers.CharField(),
        "reply": serializers.CharField(required=False),
        "replied_at": serializers.DateTimeField(required=False),
        "decline_reason": serializers.CharField(required=False),
        "rating_answer": serializers.CharField(required=False),
        "documents": serializers.ListField(child=serializers.DictField()),
        "can_rate": serializers.BooleanField(),
    },
)
RatingIn = inline_serializer(
    "PortalRatingIn",
    {
        "query_code": serializers.CharField(),
        "secret": serializers.CharField(),
        "rating": serializers.ChoiceField(["satisfied", "basically_satisfied", "unsatisfied"]),
        "comment": serializers.CharField(required=False),
    },
)
INTAKE_FIELDS = {
    "id": serializers.IntegerField(),
    "submitted_at": serializers.DateTimeField(),
    "due_at": serializers.DateTimeField(),
    "overdue": serializers.BooleanField(),
    "title": serializers.CharField(),
    "content": serializers.CharField(),
    "requests": serializers.CharField(),
    "category": serializers.CharField(allow_null=True),
    "anonymous": serializers.BooleanField(),
    "petitioner": serializers.DictField(allow_null=True),
    "files": serializers.ListField(child=serializers.DictField()),
}
IntakeList = inline_serializer("IntakeSubmission", INTAKE_FIELDS, many=True)


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise InvalidInput({"non_field_errors": [_("Expected a JSON object.")]})
    return request.data


def _public(data: dict) -> dict:
    out = dict(data)
    out.pop("submitted_at", None)
    out.pop("title", None)
    out["documents"] = [{"index": i, "name": str(d.name)} for i, d in enumerate(data["documents"])]
    if out.get("replied_at"):
        out["replied_at"] = out["replied_at"].isoformat()
    return out


class PublicView(APIView):
    """No account and no session: nothing of a signed-in user reaches these views."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


class PortalStatusView(PublicView):
    @extend_schema(request=StatusIn, responses={200: StatusOut})
    def post(self, request):
        body = _body(request)
        submission = lookup.find(throttle.client_address(request), body.get("query_code"), body.get("secret"))
        return Response(_public(project(submission)))


class PortalRatingView(PublicView):
    @extend_schema(request=RatingIn, responses={200: StatusOut})
    def post(self, request):
        body = _body(request)
        submission = lookup.find(throttle.client_address(request), body.get("query_code"), body.get("secret"))
        value, comment = check_rating(body)
        rate(submission=submission, value=value, comment=comment)
        return Response(_public(project(submission)))


def _office(request) -> None:
    if not intake.may_take_in(request.user):
        raise Forbidden(_("Only petition office staff and leaders take in online submissions."))


def intake_row(submission) -> dict:
    return {
        "id": submission.pk,
        "submitted_at": submission.submitted_at.isoformat(),
        "due_at": submission.due_at.isoformat(),
        "overdue": is_overdue(submission),
        "title": submission.title,
        "content": submission.content,
        "requests": submission.requests,
        "category": submission.category.code if submission.category_id else None,
        "anonymous": submission.anonymous,
        "petitioner": None
        if submission.anonymous
        else {
            "name": submission.name,
            "id_number": submission.id_number,
            "phone": submission.phone,
            "address": submission.address,
        },
        "files": [
            {"id": f.pk, "name": f.name, "size": f.size, "content_type": f.content_type}
            for f in submission.files.all()
        ],
    }


class IntakeListView(APIView):
    @extend_schema(responses=IntakeList)
    def get(self, request):
        _office(request)
        # A plain list (API.md): the queue is short by nature; the oldest 200 come first.
        rows = [intake_row(s) for s in waiting(request.user)[:200]]
        return Response(rows)


class IntakeAcceptView(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: PetitionDetail})
    def post(self, request, submission_id):
        _office(request)
        submission = get_submission(request.user, submission_id)
        petition = intake.accept(
            ctx=api_context(request), submission_id=submission.pk, changes=_body(request)
        )
        return _detail(request, petition.number, status_code=status.HTTP_201_CREATED)


class IntakeDeclineView(APIView):
    @extend_schema(
        request=inline_serializer("IntakeDecline", {"reason": serializers.CharField()}),
        responses={
            200: inline_serializer(
                "IntakeDeclined",
                {
                    "id": serializers.IntegerField(),
                    "status": serializers.CharField(),
                    "reason": serializers.CharField(),
                },
            )
        },
    )
    def post(self, request, submission_id):
        _office(request)
        submission = get_submission(request.user, submission_id)
        reason = intake.check_reason(_body(request))
        declined = intake.decline(ctx=api_context(request), submission_id=submission.pk, reason=reason)
        return Response({"id": declined.pk, "status": declined.status, "reason": declined.decline_reason})


class IntakeLinkView(APIView):
    @extend_schema(
        request=inline_serializer("IntakeLink", {"number": serializers.CharField()}),
        responses={200: PetitionDetail},
    )
    def post(self, request, submission_id):
        _office(request)
        submission = get_submission(request.user, submission_id)
        petition = intake.link_repeat(
            ctx=api_context(request), submission_id=submission.pk, number=_body(request).get("number")
        )
        return _detail(request, petition.number)


class RatingStatisticsView(APIView):
    """Satisfaction ratings of the caller's visible petitions, for the statistics."""

    @extend_schema(
        parameters=[OpenApiParameter("from", str), OpenApiParameter("to", str)],
        responses={
            200: inline_serializer(
                "RatingStatistics",
                {
                    "total": serializers.IntegerField(),
                    "rows": serializers.ListField(child=serializers.DictField()),
                    "unsatisfied_open": serializers.IntegerField(),
                },
            )
        },
    )
    def get(self, request):
        from datetime import date

        from xinfang.portal.selectors import rating_statistics

        errors = {}
        bounds = {}
        for key in ("from", "to"):
            raw = request.query_params.get(key)
            if raw:
                try:
                    bounds[key] = date.fromisoformat(raw[:10])
                except ValueError:
                    errors[key] = [_("A date as YYYY-MM-DD.")]
        if errors:
            raise InvalidInput(errors)
        return Response(
            rating_statistics(request.user, date_from=bounds.get("from"), date_to=bounds.get("to"))
        )
