"""Admin pages: channels are configured here (audited, secrets never shown or logged), deliveries
are listed read-only with an action to retry failed ones."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core import audit
from fengqiao.core.notifications.actions import retry_delivery
from fengqiao.core.notifications.models import Channel, Delivery, Notification

SECRET_MASK = "********"


class ChannelForm(forms.ModelForm):
    """Secrets are write-only: left empty on an existing channel, the stored value stays."""

    url = forms.URLField(
        label=Channel._meta.get_field("url").verbose_name,
        help_text=Channel._meta.get_field("url").help_text,
        max_length=500,
        required=False,
        assume_scheme="https",
    )

    class Meta:
        model = Channel
        fields = [
            "kind",
            "name",
            "is_active",
            "scope_path",
            "kinds",
            "timeout",
            "max_attempts",
            "url",
            "token",
            "smtp_host",
            "smtp_port",
            "smtp_user",
            "smtp_password",
            "smtp_use_tls",
            "smtp_use_ssl",
            "from_email",
        ]
        widgets = {
            "token": forms.PasswordInput(render_value=False),
            "smtp_password": forms.PasswordInput(render_value=False),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in Channel.SECRET_FIELDS:
                if getattr(self.instance, name):
                    self.fields[name].help_text = gettext_lazy("Set. Leave empty to keep it.")

    def _keep_secret(self, name):
        value = self.cleaned_data.get(name, "")
        if not value and self.instance.pk:
            return Channel.objects.filter(pk=self.instance.pk).values_list(name, flat=True).first() or ""
        return value

    def clean_token(self):
        return self._keep_secret("token")

    def clean_smtp_password(self):
        return self._keep_secret("smtp_password")


def _channel_snapshot(channel: Channel) -> dict:
    data = audit.snapshot(channel)
    for name in Channel.SECRET_FIELDS:
        if data.get(name):
            data[name] = SECRET_MASK
    return data


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ["name", "kind", "scope_path", "is_active", "updated_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "scope_path"]
    fieldsets = [
        (None, {"fields": ["kind", "name", "is_active", "scope_path", "kinds", "timeout", "max_attempts"]}),
        (gettext_lazy("WeCom group bot / SMS gateway"), {"fields": ["url", "token"]}),
        (
            gettext_lazy("E-mail"),
            {
                "fields": [
                    "smtp_host",
                    "smtp_port",
                    "smtp_user",
                    "smtp_password",
                    "smtp_use_tls",
                    "smtp_use_ssl",
                    "from_email",
                ]
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = _channel_snapshot(Channel.objects.get(pk=obj.pk)) if change else {}
            super().save_model(request, obj, form, change)
            old, new = audit.diff(before, _channel_snapshot(obj))
            audit.record(
                audit.UPDATE if change else audit.CREATE, obj, actor=request.user, before=old, after=new
            )

    def has_delete_permission(self, request, obj=None):
        return False  # switched off, never deleted: deliveries refer to it


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "channel",
        "kind",
        "address",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["address", "kind", "last_error"]
    date_hierarchy = "created_at"
    list_select_related = ["channel"]
    actions = ["retry"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Retry the selected failed deliveries now"))
    def retry(self, request, queryset):
        done = 0
        for delivery in queryset:
            try:
                retry_delivery(delivery, actor=request.user)
                done += 1
            except (ValidationError, PermissionDenied):
                continue
        self.message_user(
            request, _("%(count)d deliveries queued again.") % {"count": done}, messages.SUCCESS
        )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "recipient__username", "recipient__full_name"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
