from django.contrib.auth import views as auth_views
from django.urls import path

from xinfang.accounts import views

urlpatterns = [
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/login/code/", views.enter_code, name="login_code"),
    path("accounts/two-factor/", views.set_up_two_factor, name="two_factor_setup"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
