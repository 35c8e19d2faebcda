from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group bot")
    SMS = "sms", _("SMS gateway (HTTP)")
    EMAIL = "email", _("E-mail (SMTP)")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed, will retry")
    GIVEN_UP = "given_up", _("given up")
