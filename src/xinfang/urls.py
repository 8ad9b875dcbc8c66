from django.urls import include, path

from xinfang.accounts.admin import site as admin_site

urlpatterns = [
    path("admin/", admin_site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("xinfang.api_urls")),
    path("", include("xinfang.accounts.urls")),
    path("", include("xinfang.audit.urls")),
    path("", include("xinfang.notifications.urls")),
    path("", include("xinfang.deadlines.urls")),
    path("", include("xinfang.documents.urls")),  # official documents (文书)
    path("", include("xinfang.reports.urls")),
    path("", include("xinfang.portal.urls")),
    path("", include("xinfang.petitions.urls")),
    path("", include("xinfang.search.urls")),
]

handler400 = "xinfang.core.views.bad_request"
handler403 = "xinfang.core.views.permission_denied"
handler404 = "xinfang.core.views.page_not_found"
handler500 = "xinfang.core.views.server_error"
