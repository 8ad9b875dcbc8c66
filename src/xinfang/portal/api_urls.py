from django.urls import path

from xinfang.portal import api

urlpatterns = [
    path("portal/status", api.PortalStatusView.as_view(), name="api-portal-status"),
    path("portal/rating", api.PortalRatingView.as_view(), name="api-portal-rating"),
    path("ratings/statistics", api.RatingStatisticsView.as_view(), name="api-rating-statistics"),
    path("intake", api.IntakeListView.as_view(), name="api-intake"),
    path("intake/<int:submission_id>/accept", api.IntakeAcceptView.as_view(), name="api-intake-accept"),
    path("intake/<int:submission_id>/decline", api.IntakeDeclineView.as_view(), name="api-intake-decline"),
    path("intake/<int:submission_id>/link", api.IntakeLinkView.as_view(), name="api-intake-link"),
]
