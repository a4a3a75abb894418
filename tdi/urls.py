from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.second_factor import second_factor, second_factor_setup
from accounts.views import PasswordChangeView, PasswordResetView
from projects.views import LoginView

from .portfolio import portfolio_pdf, report_job, report_job_download
from .views import dashboard, reports

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("rapports/", reports, name="reports"),
    path("connexion/", LoginView.as_view(), name="login"),
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
    path("rapports/portefeuille.pdf", portfolio_pdf, name="portfolio_pdf"),
    path("rapports/generations/<int:pk>/", report_job, name="report_job"),
    path(
        "rapports/generations/<int:pk>/fichier.pdf",
        report_job_download,
        name="report_job_download",
    ),
    path("", include("committees.urls")),
    path("", include("projects.urls")),
]
