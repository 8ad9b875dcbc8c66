from django.urls import path

from xinfang.audit import views

urlpatterns = [
    path("audit/", views.access_log_page, name="audit_access_log"),
    path("audit/access-log.csv", views.access_log_csv, name="audit_access_log_csv"),
    path("audit/events/", views.events_page, name="audit_events"),
]
