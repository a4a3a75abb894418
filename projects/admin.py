from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from .lifecycle import FreezableAdmin
from .models import (
    Application,
    Call,
    CallSection,
    Document,
    FundingLine,
    Indicator,
    Membership,
    Milestone,
    NationalMembership,
    Organisation,
    Project,
    Territory,
)

User = get_user_model()

REVERT_REFUSED = (
    "L'historique se consulte ici sans pouvoir être restauré : une version ancienne réécrite "
    "depuis l'administration contournerait les règles du dossier (étapes, comptes rendus validés, "
    "dossiers déposés). Corrigez depuis les pages de l'application, avec un motif."
)


class HistoryAdmin(SimpleHistoryAdmin):
    """The admin of a tracked model: its history is read, never reverted. simple-history's
    revert form saves an old version on POST with only a view-or-change permission check, around
    the workflow, the freezes and the reasons; it answers 403 here, and its button is hidden."""

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied(REVERT_REFUSED)
        return super().history_form_view(request, object_id, version_id, extra_context)


class NoDeleteAdmin:
    """Admin mixin for the records the domain ends another way (a meeting is cancelled, an
    agenda item removed from the agenda, a project archived, a member or an account
    deactivated): deleting them here would cascade around those rules, leave projects stuck in
    a stage, and turn their history entries into « système »."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Territory)
class TerritoryAdmin(NoDeleteAdmin, HistoryAdmin):
    list_display = ["name", "code", "region", "prefix"]
    search_fields = ["name", "code"]
    filter_horizontal = ["intercommunalities", "organisations"]


@admin.register(Organisation)
class OrganisationAdmin(HistoryAdmin):
    list_display = ["name", "kind", "siren"]
    list_filter = ["kind"]
    search_fields = ["name", "siren"]


@admin.register(Membership)
class MembershipAdmin(HistoryAdmin):
    list_display = ["user", "territory", "role", "organisation"]
    list_filter = ["territory", "role"]
    autocomplete_fields = ["organisation"]


@admin.register(NationalMembership)
class NationalMembershipAdmin(HistoryAdmin):
    list_display = ["user", "role", "organisation"]
    list_filter = ["role"]
    autocomplete_fields = ["organisation"]


class FundingLineInline(admin.TabularInline):
    model = FundingLine
    extra = 0
    autocomplete_fields = ["funder"]


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Project)
class ProjectAdmin(NoDeleteAdmin, HistoryAdmin):
    list_display = ["reference", "title", "territory", "stage", "total_cost", "is_archived"]
    list_filter = ["territory", "stage", "axis", "is_archived"]
    search_fields = ["reference", "title"]
    # The stage only moves through Project.move_to, which checks the move and records a reason.
    readonly_fields = ["reference", "stage"]
    autocomplete_fields = ["lead_organisation", "epci", "partners"]
    filter_horizontal = ["lead_users"]
    inlines = [FundingLineInline, IndicatorInline, MilestoneInline]


@admin.register(Document)
class DocumentAdmin(HistoryAdmin):
    list_display = ["title", "project", "kind", "uploaded_at"]
    readonly_fields = ["content_type", "size", "original_name", "file"]
    list_filter = ["kind"]


class CallSectionInline(admin.TabularInline):
    model = CallSection
    extra = 0


@admin.register(Call)
class CallAdmin(HistoryAdmin):
    """Calls are added here, with their own sections."""

    list_display = ["title", "funder", "opens_on", "closes_on"]
    inlines = [CallSectionInline]


@admin.register(Application)
class ApplicationAdmin(NoDeleteAdmin, FreezableAdmin, HistoryAdmin):
    list_display = ["title", "call", "territory", "status", "submitted_at"]
    list_filter = ["territory", "status", "call"]
    # Status, submission and the archived dossier only change through the application's methods.
    readonly_fields = [
        "status",
        "submitted_at",
        "submitted_by",
        "dossier_pdf",
        "dossier_sha256",
        "content_sha256",
    ]


admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(NoDeleteAdmin, UserAdmin):
    """Accounts are deactivated (« Actif » unticked), never deleted: their name stays on the
    history entries, decisions and validations they signed."""
