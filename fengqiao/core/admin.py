from django.contrib import admin
from django.db import transaction

from fengqiao.core import audit
from fengqiao.core.models import AuditEntry, CalendarDay


class ScopedAdminMixin(admin.ModelAdmin):
    """The admin lists only what the user's postings cover, like every other door."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)  # type: ignore[attr-defined]


class AuditedAdminMixin(admin.ModelAdmin):
    """Admin edits are changes like any other: audited with before/after, in one transaction.
    Nothing is deleted from the admin; records are retired."""

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = audit.snapshot(type(obj)._base_manager.get(pk=obj.pk)) if change else {}
            super().save_model(request, obj, form, change)
            old, new = audit.diff(before, audit.snapshot(obj))
            audit.record(
                audit.UPDATE if change else audit.CREATE, obj, actor=request.user, before=old, after=new
            )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_label", "action", "object_type", "object_repr", "source", "ip"]
    list_filter = ["action", "source", "object_type"]
    search_fields = ["actor_label", "object_id", "object_repr", "request_id"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from fengqiao.core.notifications import admin as _notifications_admin  # noqa: E402,F401


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Holidays on weekdays and make-up working weekends; every other weekday is a working day."""

    list_display = ["date", "working", "name"]
    list_filter = ["working"]
    date_hierarchy = "date"

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # a wrongly entered holiday must be removable
