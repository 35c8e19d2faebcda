"""The choices of self-service: offices, certificate purposes and statuses, channels."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OfficeKind(models.TextChoices):
    OFFICE = "office", _("police office")  # 警务室
    WORKSTATION = "workstation", _("police workstation")  # 警务工作站


class Purpose(models.TextChoices):
    """What a resident needs the certificate for (the Ministry's 2021 rules: a lawful purpose)."""

    EMPLOYMENT = "employment", pgettext_lazy("purpose", "employment")
    ABROAD = "abroad", _("going abroad (visa, residence)")
    STUDY = "study", _("study or examinations")
    LICENCE = "licence", _("a licence or qualification")
    ADOPTION = "adoption", _("adoption")
    OTHER = "other", _("another lawful purpose")


class Channel(models.TextChoices):
    PORTAL = "portal", _("portal")
    KIOSK = "kiosk", _("kiosk")
    COUNTER = "counter", _("counter")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    ISSUED = "issued", _("issued")
    REFUSED = "refused", _("refused")
    IN_REVIEW = "in_review", _("under review")
    REVOKED = "revoked", _("revoked")


class Validity(models.TextChoices):
    """What a verifier is told of a certificate."""

    VALID = "valid", _("valid")
    EXPIRED = "expired", _("expired")
    REVOKED = "revoked", _("revoked")
    LIMIT = "limit", _("verification limit reached")


class Service(models.TextChoices):
    """What a resident may book at an office or the station."""

    TEMPORARY_ID = "temporary_id", _("temporary ID card")  # 临时身份证
    ENDORSEMENT = "endorsement", _("Hong Kong, Macao and Taiwan permit endorsement")  # 港澳台通行证签注
    TRAFFIC = "traffic", _("traffic violation handling")  # 交通违法处理
