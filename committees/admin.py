from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    IMMUTABLE_MESSAGE,
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
    autocomplete_fields = ["organisation"]


@admin.register(Committee)
class CommitteeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "territory", "quorum"]
    list_filter = ["territory", "kind"]
    inlines = [CommitteeMemberInline]


class LockedMeetingMixin:
    """Validated minutes are read-only in the admin too (the models refuse the write anyway)."""

    def meeting_of(self, obj):
        return obj if isinstance(obj, Meeting) else getattr(obj, "meeting", None)

    def has_change_permission(self, request, obj=None):
        meeting = self.meeting_of(obj) if obj else None
        if meeting is not None and meeting.is_locked:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        meeting = self.meeting_of(obj) if obj else None
        if meeting is not None and meeting.is_locked:
            return False
        return super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        meeting = self.meeting_of(obj) if obj else None
        if meeting is not None and meeting.is_locked:
            self.message_user(request, IMMUTABLE_MESSAGE, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Meeting)
class MeetingAdmin(LockedMeetingMixin, SimpleHistoryAdmin):
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
class AgendaItemAdmin(LockedMeetingMixin, SimpleHistoryAdmin):
    list_display = ["__str__", "meeting", "kind", "decision"]
    # Decisions move projects: they are recorded on the meeting page, never typed here.
    readonly_fields = ["project", "decision", "decided_at", "reserves"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "meeting":
            kwargs["queryset"] = Meeting.objects.exclude(status=Meeting.Status.VALIDATED)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Attendance)
class AttendanceAdmin(LockedMeetingMixin, SimpleHistoryAdmin):
    list_display = ["meeting", "member", "status"]


@admin.register(ActionItem)
class ActionItemAdmin(LockedMeetingMixin, SimpleHistoryAdmin):
    list_display = ["what", "owner", "due_on", "done_on", "meeting"]
