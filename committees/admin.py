from django.contrib import admin

from projects.admin import HistoryAdmin, NoDeleteAdmin
from projects.lifecycle import FreezableAdmin

from .models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Committee,
    CommitteeMember,
    Meeting,
)


class CommitteeMemberInline(admin.TabularInline):
    model = CommitteeMember
    extra = 0
    can_delete = False  # a member leaves by « actif » unticked: past attendance stays
    autocomplete_fields = ["organisation"]


@admin.register(Committee)
class CommitteeAdmin(NoDeleteAdmin, HistoryAdmin):
    list_display = ["name", "kind", "territory", "quorum"]
    list_filter = ["territory", "kind"]
    inlines = [CommitteeMemberInline]


@admin.register(Meeting)
class MeetingAdmin(NoDeleteAdmin, FreezableAdmin, HistoryAdmin):
    """A meeting ends by its cancellation (its projects go back to their stage), on its page."""

    list_display = ["__str__", "committee", "status", "starts_at"]
    list_filter = ["committee__territory", "status"]
    # Status, validation and the archived PDF only change through the meeting's own methods.
    readonly_fields = [
        "status",
        "validated_at",
        "validated_by",
        "minutes_pdf",
        "minutes_sha256",
        "content_sha256",
        "convened_at",
    ]


@admin.register(AgendaItem)
class AgendaItemAdmin(NoDeleteAdmin, FreezableAdmin, HistoryAdmin):
    """The agenda is built on the meeting page (a project moves when it is put on or taken off,
    members are told of changes after the convocation): here items are read and corrected."""

    list_display = ["__str__", "meeting", "kind", "decision"]
    # Decisions move projects: they are recorded on the meeting page, never typed here.
    readonly_fields = ["meeting", "order", "kind", "project", "decision", "decided_at", "reserves"]

    def has_add_permission(self, request):
        return False


@admin.register(Attendance)
class AttendanceAdmin(NoDeleteAdmin, FreezableAdmin, HistoryAdmin):
    list_display = ["meeting", "member", "status"]


@admin.register(ActionItem)
class ActionItemAdmin(FreezableAdmin, HistoryAdmin):
    list_display = ["what", "owner", "due_on", "done_on", "meeting"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # An action is added to a meeting whose minutes are still open (DESIGN §5).
        if db_field.name == "meeting":
            kwargs["queryset"] = Meeting.objects.exclude(status=Meeting.Status.VALIDATED)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
