from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from accounts.second_factor import second_factor, second_factor_setup
from accounts.views import PasswordChangeView, PasswordResetView

urlpatterns = [
    path(
        "connexion/",
        login_not_required(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "mot-de-passe/oubli/",
        PasswordResetView.as_view(),
        name="password_reset",
    ),
    path("compte/mot-de-passe/", PasswordChangeView.as_view(), name="password_change"),
    path("connexion/code/", second_factor, name="second_factor"),
    path("compte/double-authentification/", second_factor_setup, name="second_factor_setup"),
    path(
        "mot-de-passe/oubli/envoye/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/termine/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("", include("api.urls")),
    path("", include("tdi.reports.urls")),
    path("", include("committees.urls")),
    path("", include("projects.urls")),
]
