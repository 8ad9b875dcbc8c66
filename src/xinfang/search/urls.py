from django.urls import path

from xinfang.search import views

urlpatterns = [
    path("search/intake-panel/", views.intake_panel, name="search_intake_panel"),
    path("search/recurring/", views.recurring, name="search_recurring"),
]
