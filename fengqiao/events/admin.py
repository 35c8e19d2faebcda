from django.contrib import admin

from fengqiao.core.admin import AuditedAdminMixin, ScopedAdminMixin
from fengqiao.events.models import Category, Event


@admin.register(Category)
class CategoryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "responsible",
        "public",
        "shown_publicly",
        "clock_hours",
        "active",
    ]
    list_filter = ["kind", "responsible", "public", "shown_publicly", "active"]
    list_editable = ["shown_publicly"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Event)
class EventAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: events move through their workflow, never by editing fields."""

    list_display = ["number", "title", "category", "status", "holder_path", "due_at", "opened_at"]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["number", "title"]
    # The tracking code is the reporter's alone (they rate and reopen with it): no staff page shows it.
    exclude = ["tracking_code"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
