from django.urls import path

from . import views

app_name = "committees"
urlpatterns = [
    path("comites/", views.committee_list, name="list"),
    path("comites/<int:pk>/", views.committee_detail, name="detail"),
    path("comites/<int:pk>/membres/<int:member_pk>/", views.member_edit, name="member_edit"),
    path(
        "comites/<int:pk>/membres/<int:member_pk>/retirer/",
        views.member_remove,
        name="member_remove",
    ),
    path("seances/<int:pk>/", views.meeting_detail, name="meeting"),
    path("seances/<int:pk>/ordre-du-jour/", views.meeting_agenda, name="agenda"),
    path("seances/<int:pk>/statut/", views.meeting_status, name="status"),
    path("seances/<int:pk>/presences/", views.meeting_attendance, name="attendance"),
    path("seances/<int:pk>/compte-rendu/", views.meeting_minutes, name="minutes"),
    path("seances/<int:pk>/actions/", views.meeting_actions, name="actions"),
    path("seances/<int:pk>/reponse/", views.meeting_reply, name="my_reply"),
    path("seances/reponse/<str:token>/", views.reply_by_link, name="reply"),
    path("seances/<int:pk>/approbation/", views.meeting_approve, name="approve"),
    path("seances/<int:pk>/envois/", views.meeting_resend, name="resend"),
    path("seances/<int:pk>/points/<int:item_pk>/decision/", views.item_decision, name="decision"),
    path("seances/<int:pk>/ordre-du-jour.pdf", views.meeting_agenda_pdf, name="agenda_pdf"),
    path("seances/<int:pk>/dossier.pdf", views.meeting_board_pack_pdf, name="board_pack_pdf"),
    path("seances/<int:pk>/compte-rendu.pdf", views.meeting_minutes_pdf, name="minutes_pdf"),
    path("seances/<int:pk>/invitation.ics", views.meeting_invitation_ics, name="invitation"),
]
