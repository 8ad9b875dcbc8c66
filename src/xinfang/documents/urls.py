from django.urls import path

from xinfang.documents import official_views

urlpatterns = [
    path("documents/masters/", official_views.masters, name="document_masters"),
    path("petitions/<str:number>/documents/", official_views.petition_documents, name="petition_documents"),
    path(
        "petitions/<str:number>/documents/deliveries/",
        official_views.delivery,
        name="petition_document_delivery",
    ),
    path(
        "petitions/<str:number>/documents/<str:document_id>/<str:fmt>/",
        official_views.document_file,
        name="petition_document_file",
    ),
]
