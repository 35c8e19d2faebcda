"""Notifications: in-app messages to one user, the outbound channels admins configure, and the
record of every delivery through them. Part of the ``core`` app (imported by core/models.py)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.core.notifications.choices import ChannelKind, DeliveryStatus
from fengqiao.core.scoping import is_under

__all__ = ["Channel", "Delivery", "Notification"]


class Notification(models.Model):
    """One in-app message to one user: something happened that concerns them."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.SlugField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    scope_path = models.CharField(_("scope path"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        app_label = "core"
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # "my notifications, newest first" and, smaller, "my unread, newest first"
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.title} → {self.recipient}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Channel(models.Model):
    """An outbound channel configured by an administrator.

    A channel applies to the notifications at or under its scope path (empty: the whole
    territory) and, when ``kinds`` is not empty, only to those kinds. A WeCom group bot posts to
    the group of its unit or grid; SMS and e-mail go to each recipient's phone and address.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    scope_path = models.CharField(
        _("scope path"),
        max_length=255,
        blank=True,
        help_text=_("Tree path of the unit or grid whose notifications use this channel; empty for all."),
    )
    kinds = models.JSONField(
        _("notification kinds"),
        default=list,
        blank=True,
        help_text=_("Only these notification kinds (a list of slugs); empty for all."),
    )
    url = models.URLField(
        _("URL"),
        max_length=500,
        blank=True,
        help_text=_("The group bot's webhook URL, or the SMS gateway's URL."),
    )
    token = models.CharField(_("access token"), max_length=255, blank=True)
    smtp_host = models.CharField(
        _("SMTP host"), max_length=255, blank=True, help_text=_("Empty: the server's e-mail settings.")
    )
    smtp_port = models.PositiveIntegerField(_("SMTP port"), null=True, blank=True)
    smtp_user = models.CharField(_("SMTP user"), max_length=255, blank=True)
    smtp_password = models.CharField(_("SMTP password"), max_length=255, blank=True)
    smtp_use_tls = models.BooleanField(_("STARTTLS"), default=False)
    smtp_use_ssl = models.BooleanField(_("SMTP over SSL"), default=False)
    from_email = models.CharField(_("sender address"), max_length=255, blank=True)
    timeout = models.PositiveSmallIntegerField(_("timeout (seconds)"), default=10)
    max_attempts = models.PositiveSmallIntegerField(_("maximum attempts"), default=6)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Never copied into the audit log.
    SECRET_FIELDS = ("token", "smtp_password")

    class Meta:
        app_label = "core"
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        ordering = ["kind", "name"]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def clean(self):
        errors = {}
        if self.kind in (ChannelKind.WECOM, ChannelKind.SMS) and not self.url:
            errors["url"] = _("This kind of channel needs a URL.")
        if self.kind == ChannelKind.EMAIL and self.smtp_use_tls and self.smtp_use_ssl:
            errors["smtp_use_ssl"] = _("Use either STARTTLS or SSL, not both.")
        if not isinstance(self.kinds, list) or not all(isinstance(k, str) for k in self.kinds):
            errors["kinds"] = _('Give a list of notification kinds, e.g. ["event_overdue"].')
        if self.max_attempts < 1:
            errors["max_attempts"] = _("At least one attempt.")
        if self.timeout < 1:
            errors["timeout"] = _("At least one second.")
        if errors:
            raise ValidationError(errors)

    def applies_to(self, *, kind: str, scope_path: str) -> bool:
        """Whether a notification of this kind about this place goes through this channel."""
        if self.kinds and kind not in self.kinds:
            return False
        if not self.scope_path:
            return True
        return is_under(scope_path, self.scope_path)


class Delivery(models.Model):
    """One message through one channel to one address, with every attempt's outcome.

    ``pending`` until the first attempt, ``failed`` while retries remain (``next_attempt_at``),
    then ``sent`` or ``given_up``. A group-bot delivery has no personal address."""

    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("channel")
    )
    notification = models.ForeignKey(
        Notification,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("notification"),
    )
    kind = models.SlugField(_("notification kind"), max_length=64)
    address = models.CharField(_("address"), max_length=255, blank=True)
    payload = models.JSONField(_("message"), default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        app_label = "core"
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
            models.Index(fields=["channel", "-created_at"], name="delivery_channel_idx"),
        ]

    def __str__(self):
        to = self.address or _("group chat")
        return f"{self.channel.name} → {to} [{self.get_status_display()}]"
