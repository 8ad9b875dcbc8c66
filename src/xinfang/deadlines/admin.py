"""Admin screens for the system administrator: deadline policies (versioned) and
the official calendar. No petition content appears here (三员分立)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.admin import SystemAdminOnly, site
from xinfang.core.errors import DomainError
from xinfang.deadlines.models import CalendarDay, CalendarSource, CalendarYear, DeadlinePolicy
from xinfang.deadlines.services import change_policy


class CurrentFilter(admin.SimpleListFilter):
    title = _("version")
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return [("1", _("current")), ("0", _("history"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(superseded_at__isnull=True)
        if self.value() == "0":
            return queryset.filter(superseded_at__isnull=False)
        return queryset


@admin.register(DeadlinePolicy, site=site)
class DeadlinePolicyAdmin(SystemAdminOnly, admin.ModelAdmin):
    """Saving a change writes a new version and keeps the old one; running clocks keep
    their dates unless "recompute running clocks" is ticked."""

    list_display = (
        "profile",
        "clock",
        "channel",
        "amount",
        "unit",
        "rule",
        "version",
        "changed_at",
        "superseded_at",
    )
    list_filter = (CurrentFilter, "profile", "clock")
    fields = (
        "profile",
        "clock",
        "channel",
        "amount",
        "unit",
        "roll_forward",
        "rule",
        "max_extension_days",
        "extension_needs_notice",
        "reason",
        "version",
        "changed_by",
        "changed_at",
        "superseded_at",
    )
    readonly_fields = ("version", "changed_by", "changed_at", "superseded_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return (*self.readonly_fields, "profile", "clock", "channel")
        return self.readonly_fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.superseded_at is not None:
            return False  # history is read-only
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.changed_by = request.user
            obj.save()
            return
        changes = {k: form.cleaned_data[k] for k in form.changed_data if k != "reason"}
        try:
            new = change_policy(
                actor=request.user,
                current=DeadlinePolicy.objects.get(pk=obj.pk),
                changes=changes,
                reason=form.cleaned_data.get("reason") or "",
                recompute_running=False,
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return
        obj.pk = new.pk
        messages.info(
            request,
            _("Saved as version %(version)d; the previous version is kept.") % {"version": new.version},
        )


@admin.register(CalendarYear, site=site)
class CalendarYearAdmin(SystemAdminOnly, admin.ModelAdmin):
    list_display = ("year", "source", "note")

    def save_model(self, request, obj, form, change):
        obj.source = CalendarSource.MANUAL
        super().save_model(request, obj, form, change)

    def get_readonly_fields(self, request, obj=None):
        return ("source",)


@admin.register(CalendarDay, site=site)
class CalendarDayAdmin(SystemAdminOnly, admin.ModelAdmin):
    """Holidays and make-up working days; a year counts only once it is listed under calendar years."""

    list_display = ("date", "is_working_day", "source", "note")
    list_filter = ("source", "is_working_day")
    date_hierarchy = "date"
    readonly_fields = ("source",)

    def save_model(self, request, obj, form, change):
        obj.source = CalendarSource.MANUAL
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        # A wrongly entered day is removed; the package's rows come back with sync_calendar.
        return request.user.has_role("system_admin")
