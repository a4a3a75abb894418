from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import SimpleRouter

from . import pages, views
from .auth import TokenAuthentication

app_name = "api"

router = SimpleRouter()
router.register("territoires", views.TerritoryViewSet, basename="territory")
router.register("projets", views.ProjectViewSet, basename="project")
router.register("comites", views.CommitteeViewSet, basename="committee")
router.register("seances", views.MeetingViewSet, basename="meeting")
router.register("candidatures", views.ApplicationViewSet, basename="application")

# The schema: for a token, or for a signed-in person reading the documentation.
schema = SpectacularAPIView.as_view(
    authentication_classes=[TokenAuthentication, SessionAuthentication],
    permission_classes=[IsAuthenticated],
)

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/v1/schema/", login_not_required(schema), name="schema"),
    path("api/v1/documentation/", pages.documentation, name="documentation"),
    path("compte/api/", pages.tokens, name="tokens"),
    path("compte/api/<int:pk>/revoquer/", pages.revoke, name="revoke"),
]
