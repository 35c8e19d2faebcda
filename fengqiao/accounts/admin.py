from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.models import ApiToken, Posting, User
from fengqiao.core.admin import AuditedAdminMixin


class PostingInline(admin.TabularInline):
    """Read-only: postings decide what a user sees, so they change only through the audited
    actions (the staff page, the API)."""

    model = Posting
    extra = 0
    fields = readonly_fields = ["unit", "grid", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    list_display = ["username", "full_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "is_superuser"]
    search_fields = ["username", "full_name", "phone"]
    fieldsets = (*DjangoUserAdmin.fieldsets, (_("Post"), {"fields": ("role", "full_name", "phone")}))
    inlines = [PostingInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["digest"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
