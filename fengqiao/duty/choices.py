"""The closed vocabularies of duty rosters (弹性错时勤务)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ShiftKind(models.TextChoices):
    REGULAR = "regular", _("regular shift")
    STAGGERED = "staggered", _("staggered shift")
    FLEXIBLE = "flexible", _("flexible shift")


class RuleKind(models.TextChoices):
    """What a rule of a unit's rosters asks for."""

    COVERAGE = "coverage", _("people on duty in an area")
    RECEPTION = "reception", _("reception hours at a police office")
    REST = "rest", _("rest between shifts")
    WEEKLY_HOURS = "weekly_hours", _("hours per week")
    DISTRICT_DAYS = "district_days", _("community officer's days in the district")


class RosterStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
