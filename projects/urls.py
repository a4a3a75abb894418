from django.urls import path

from . import application_views, views

app_name = "projects"
urlpatterns = [
    path("candidatures/", application_views.application_list, name="applications"),
    path("candidatures/<int:pk>/", application_views.application_detail, name="application"),
    path(
        "candidatures/<int:pk>/rubriques/<slug:key>/",
        application_views.application_section,
        name="application_section",
    ),
    path(
        "candidatures/<int:pk>/projets/",
        application_views.application_projects,
        name="application_projects",
    ),
    path(
        "candidatures/<int:pk>/statut/",
        application_views.application_status,
        name="application_status",
    ),
    path(
        "candidatures/<int:pk>/dossier.pdf",
        application_views.application_dossier_pdf,
        name="application_pdf",
    ),
    path("territoire/", views.territory_switch, name="territory_switch"),
    path("projets/", views.project_list, name="list"),
    path("projets/nouveau/", views.project_create, name="create"),
    path("projets/ligne/<str:prefix>/", views.formset_row, name="formset_row"),
    path("projets/<int:pk>/", views.project_detail, name="detail"),
    path("projets/<int:pk>/modifier/", views.project_edit, name="edit"),
    path("projets/<int:pk>/etape/", views.project_move, name="move"),
    path("projets/<int:pk>/archiver/", views.project_archive, name="archive"),
    path("projets/<int:pk>/historique/", views.project_history, name="history"),
    path(
        "projets/<int:pk>/reserves/<int:reserve_pk>/lever/",
        views.reserve_lift,
        name="reserve_lift",
    ),
    path(
        "projets/<int:pk>/reserves/<int:reserve_pk>/decision/",
        views.reserve_lift_decide,
        name="reserve_lift_decide",
    ),
    path("projets/<int:pk>/fiche.pdf", views.project_sheet_pdf, name="sheet_pdf"),
    path("projets/<int:pk>/documents/", views.document_upload, name="document_upload"),
    path(
        "projets/<int:pk>/documents/<int:doc_pk>/",
        views.document_download,
        name="document_download",
    ),
    path(
        "projets/<int:pk>/documents/<int:doc_pk>/remplacer/",
        views.document_replace,
        name="document_replace",
    ),
    path(
        "projets/<int:pk>/documents/<int:doc_pk>/versions/<int:history_id>/",
        views.document_version_download,
        name="document_version",
    ),
]
