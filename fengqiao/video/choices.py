"""The closed vocabularies of the camera inventory (天网, 地网工程)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CameraKind(models.TextChoices):
    """Whose camera it is: the public network (天网) or a private one joined to it (地网)."""

    SKYNET = "skynet", _("public camera (Skynet)")
    COMPOUND = "compound", _("compound camera")
    SHOP = "shop", _("shop camera")
    HOME = "home", _("home camera")


PRIVATE_KINDS = (CameraKind.COMPOUND, CameraKind.SHOP, CameraKind.HOME)


class CameraStatus(models.TextChoices):
    PENDING = "pending", _("awaiting confirmation")
    ACTIVE = "active", _("in service")
    FAULTY = "faulty", _("faulty")
    RETIRED = "retired", _("retired")
