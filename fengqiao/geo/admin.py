from django.contrib import admin

from fengqiao.core.admin import AuditedAdminMixin, ScopedAdminMixin
from fengqiao.geo.models import Division, Grid, PoliceUnit


@admin.register(Division)
class DivisionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    exclude = ["outline"]


@admin.register(PoliceUnit)
class PoliceUnitAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["path", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "path"]
    raw_id_fields = ["parent", "division"]


@admin.register(Grid)
class GridAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only here: grids are drawn and changed through the grid pages, the API and imports."""

    list_display = ["code", "name", "community", "district", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["community", "district"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
