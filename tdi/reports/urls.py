from django.urls import path

from . import decisions, exports, opendata, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rapports/", views.reports, name="reports"),
    path("rapports/portefeuille.pdf", views.portfolio_pdf, name="portfolio_pdf"),
    path("rapports/generations/<int:pk>/", views.report_job, name="report_job"),
    path(
        "rapports/generations/<int:pk>/fichier.pdf",
        views.report_job_download,
        name="report_job_download",
    ),
    path("rapports/projets.csv", exports.export_csv, name="export_csv"),
    path("rapports/projets.xlsx", exports.export_xlsx, name="export_xlsx"),
    path("opendata/<str:code>/projets.json", opendata.opendata_json, name="opendata_json"),
    path("opendata/<str:code>/projets.csv", opendata.opendata_csv, name="opendata_csv"),
    path("decisions/", decisions.decision_list, name="decisions"),
    path("decisions/decisions.csv", decisions.decision_list_csv, name="decisions_csv"),
]
