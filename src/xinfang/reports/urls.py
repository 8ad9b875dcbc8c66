from django.urls import path

from xinfang.reports import views

urlpatterns = [
    path("statistics/", views.statistics_page, name="statistics"),
    path("statistics/report/", views.standard_report, name="standard_report"),
    path("ledger/export/", views.ledger_export, name="ledger_export"),
    path("ledger/exports/<uuid:job_id>/", views.ledger_export_status, name="ledger_export_status"),
    path(
        "ledger/exports/<uuid:job_id>/download/", views.ledger_export_download, name="ledger_export_download"
    ),
    path("ledger/import/", views.import_page, name="ledger_import"),
    path("ledger/import/template.xlsx", views.import_template, name="ledger_import_template"),
]
