from django.urls import path

from xinfang.petitions import views

urlpatterns = [
    path("", views.home, name="home"),
]
