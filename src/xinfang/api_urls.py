"""/api/v1/: the contract of API.md; the served OpenAPI document is the full reference."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from xinfang.accounts import api as accounts_api
from xinfang.audit import api as audit_api
from xinfang.deadlines import api as deadlines_api
from xinfang.documents import api as documents_api
from xinfang.documents import official_api
from xinfang.notifications import api as notifications_api
from xinfang.petitions.actions import REGISTRY as ACTIONS
from xinfang.petitions.api import views as petitions_api
from xinfang.reports import api as reports_api
from xinfang.search import api as search_api

urlpatterns = [
    path("auth/token", accounts_api.TokenView.as_view(), name="api-token"),
    path("me", accounts_api.MeView.as_view(), name="api-me"),
    path("units", accounts_api.UnitListView.as_view(), name="api-units"),
    path("categories", petitions_api.CategoryListView.as_view(), name="api-categories"),
    path("petitions", petitions_api.PetitionListView.as_view(), name="api-petitions"),
    path("suggestions", search_api.SuggestionsView.as_view(), name="api-suggestions"),
    # Before petitions/<number>: "export" is not a petition number.
    path("petitions/export", reports_api.LedgerExportView.as_view(), name="api-ledger-export"),
    path("petitions/<str:number>", petitions_api.PetitionDetailView.as_view(), name="api-petition"),
    # One route per workflow action (the table's and those capabilities added from their ready()):
    # each is its own operation, with its body, in the OpenAPI document.
    *[
        path(
            f"petitions/<str:number>/actions/{action}",
            petitions_api.ActionView.as_view(action_name=action),
            name="api-petition-action",
        )
        for action in ACTIONS
    ],
    path("petitions/<str:number>/events", petitions_api.EventListView.as_view(), name="api-petition-events"),
    path(
        "petitions/<str:number>/attachments",
        documents_api.AttachmentListView.as_view(),
        name="api-petition-attachments",
    ),
    path(
        "petitions/<str:number>/attachments/<str:attachment_id>",
        documents_api.AttachmentDownloadView.as_view(),
        name="api-petition-attachment",
    ),
    # Official documents (文书), API.md "Documents".
    path("document-types", official_api.DocumentTypeListView.as_view(), name="api-document-types"),
    path("document-types/<str:code>/master", official_api.MasterView.as_view(), name="api-document-master"),
    path(
        "document-types/<str:code>/master/revert",
        official_api.MasterRevertView.as_view(),
        name="api-document-master-revert",
    ),
    path(
        "petitions/<str:number>/documents",
        official_api.PetitionDocumentsView.as_view(),
        name="api-petition-documents",
    ),
    path(
        "petitions/<str:number>/documents/<str:document_id>/deliveries",
        official_api.DeliveryView.as_view(),
        name="api-petition-document-deliveries",
    ),
    path(
        "petitions/<str:number>/documents/<str:document_id>/<str:fmt>",
        official_api.DocumentFileView.as_view(),
        name="api-petition-document-file",
    ),
    path("deadlines", deadlines_api.DeadlineListView.as_view(), name="api-deadlines"),
    path(
        "petitions/<str:number>/deadlines/<str:name>/<str:operation>",
        deadlines_api.DeadlineActionView.as_view(),
        name="api-deadline-action",
    ),
    path(
        "petitions/<str:number>/supervisions",
        deadlines_api.SupervisionListView.as_view(),
        name="api-supervisions",
    ),
    path(
        "petitions/<str:number>/supervisions/<int:supervision_id>/response",
        deadlines_api.SupervisionResponseView.as_view(),
        name="api-supervision-response",
    ),
    path("queues", petitions_api.QueueListView.as_view(), name="api-queues"),
    path("notifications", notifications_api.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/read", notifications_api.MarkReadView.as_view(), name="api-notifications-read"),
    path("audit/access-log", audit_api.AccessLogView.as_view(), name="api-audit-access-log"),
    path("audit/events", audit_api.EventMetaView.as_view(), name="api-audit-events"),
    path("statistics", reports_api.StatisticsView.as_view(), name="api-statistics"),
    path("imports", reports_api.ImportView.as_view(), name="api-imports"),
    path("", include("xinfang.portal.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("schema/ui/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-schema-ui"),
]
