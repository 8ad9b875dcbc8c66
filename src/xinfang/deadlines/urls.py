from django.urls import path

from xinfang.deadlines import views

urlpatterns = [
    path("deadlines/", views.deadline_lists, name="deadline_lists"),
    path("outstanding/", views.outstanding_page, name="outstanding"),
    path(
        "petitions/<str:number>/deadlines/<str:name>/<str:operation>/",
        views.deadline_action,
        name="deadline_action",
    ),
    path("petitions/<str:number>/supervisions/", views.supervise, name="supervise"),
    path(
        "petitions/<str:number>/supervisions/<int:supervision_id>/respond/",
        views.respond,
        name="supervision_respond",
    ),
]
