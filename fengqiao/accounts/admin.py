from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.accounts.actions import password_set_by_other
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

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if not change and obj.has_usable_password():  # a new account: its password is the admin's
                password_set_by_other(obj, actor=request.user)

    def user_change_password(self, request, id, form_url=""):
        """The admin's password form: a password chosen for someone else is changed at their next
        log-in."""
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, unquote(id))
                if user is not None:
                    password_set_by_other(user, actor=request.user)
        return response


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["digest"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Second factors change only through the audited actions (enrolment, recovery codes, a superior's
# reset: the API's /users/{username}/second-factor/reset), not in django-otp's own admin.
for _device in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device):
        admin.site.unregister(_device)
