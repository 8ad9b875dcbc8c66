from django.urls import path

from xinfang.notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.mark_all_read, name="notifications_read"),
    path("notifications/<str:notification_id>/", views.open_notification, name="notification_open"),
]
