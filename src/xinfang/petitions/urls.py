from django.urls import path

from xinfang.documents import views as document_views
from xinfang.petitions import views
from xinfang.petitions.views.personal_data import personal_data

urlpatterns = [
    path("", views.home, name="home"),
    path("petitions/", views.petition_list_page, name="petition_list"),
    path("petitions/new/", views.register, name="register"),
    path("petitions/<str:number>/", views.petition_page, name="petition"),
    path("petitions/<str:number>/edit/", views.correct, name="correct"),
    path("petitions/<str:number>/personal-data/", personal_data, name="personal_data"),
    path("petitions/<str:number>/actions/<str:action>/", views.action_form, name="petition_action"),
    path("queues/<str:name>/", views.queue_page, name="queue"),
    path("petitions/<str:number>/attachments/", document_views.upload, name="attachment_upload"),
    path(
        "petitions/<str:number>/attachments/<int:attachment_id>/",
        document_views.download,
        name="attachment_download",
    ),
]
