from django.db import models
from django.utils.translation import gettext_lazy as _


class TeamKind(models.TextChoices):
    """The kinds of mass-prevention team (群防群治队伍) the stations keep."""

    RED_ARMBAND = "red_armband", _("red armband patrol")
    WARM_HEARTED = "warm_hearted", _("warm-hearted group")
    VOLUNTEER_POLICE = "volunteer_police", _("volunteer police")
    JOINT_DEFENCE = "joint_defence", _("security joint defence")
    ACTIVISTS = "activists", _("public-security activists")
    OTHER = "other", _("other team")


class FindingKind(models.TextChoices):
    """What one tap on the patrol page reports."""

    HAZARD = "hazard", _("hazard")
    SUSPICIOUS = "suspicious", _("something suspicious")


class TrackSource(models.TextChoices):
    PHONE = "phone", _("recorded on a phone")
    GPX = "gpx", _("imported from GPX")


class VisitTarget(models.TextChoices):
    """What a household visit (百万警进千万家) went to: a home or a business."""

    HOUSEHOLD = "household", _("household")
    BUSINESS = "business", _("business")
