from django.urls import path

from .views import applications, documents, imports, projects, reserves

app_name = "projects"
urlpatterns = [
    path("candidatures/", applications.application_list, name="applications"),
    path("candidatures/<int:pk>/", applications.application_detail, name="application"),
    path(
        "candidatures/<int:pk>/rubriques/<slug:key>/",
        applications.application_section,
        name="application_section",
    ),
    path(
        "candidatures/<int:pk>/projets/",
        applications.application_projects,
        name="application_projects",
    ),
    path(
        "candidatures/<int:pk>/statut/",
        applications.application_status,
        name="application_status",
    ),
    path(
        "candidatures/<int:pk>/dossier.pdf",
        applications.application_dossier_pdf,
        name="application_pdf",
    ),
    path("territoire/", projects.territory_switch, name="territory_switch"),
    path("projets/", projects.project_list, name="list"),
    path("projets/nouveau/", projects.project_create, name="create"),
    path("projets/import/", imports.import_start, name="import"),
    path("projets/import/modele.xlsx", imports.import_model, name="import_model"),
    path("projets/import/<int:pk>/", imports.import_result, name="import_result"),
    path("projets/import/<int:pk>/colonnes/", imports.import_columns, name="import_columns"),
    path("projets/import/<int:pk>/apercu/", imports.import_preview, name="import_preview"),
    path("projets/ligne/<str:prefix>/", projects.formset_row, name="formset_row"),
    path("projets/<int:pk>/", projects.project_detail, name="detail"),
    path("projets/<int:pk>/modifier/", projects.project_edit, name="edit"),
    path("projets/<int:pk>/etape/", projects.project_move, name="move"),
    path("projets/<int:pk>/archiver/", projects.project_archive, name="archive"),
    path("projets/<int:pk>/historique/", projects.project_history, name="history"),
    path(
        "projets/<int:pk>/reserves/<int:reserve_pk>/lever/",
        reserves.reserve_lift,
        name="reserve_lift",
    ),
    path(
        "projets/<int:pk>/reserves/<int:reserve_pk>/decision/",
        reserves.reserve_lift_decide,
        name="reserve_lift_decide",
    ),
    path("projets/<int:pk>/fiche.pdf", projects.project_sheet_pdf, name="sheet_pdf"),
    path("projets/<int:pk>/documents/", documents.document_upload, name="document_upload"),
    path(
        "projets/<int:pk>/documents/<int:doc_pk>/",
        documents.document_download,
        name="document_download",
    ),
    path(
        "projets/<int:pk>/documents/<int:doc_pk>/remplacer/",
        documents.document_replace,
        name="document_replace",
    ),
    path(
        "projets/<int:pk>/documents/<int:doc_pk>/versions/<int:history_id>/",
        documents.document_version_download,
        name="document_version",
    ),
]
