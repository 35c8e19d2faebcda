"""The closed vocabularies of duty rosters (弹性错时勤务)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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


class ProposalStatus(models.TextChoices):
    """Where the solver's proposal of a roster stands: it runs in the worker."""

    NONE = "", _("not proposed yet")
    QUEUED = "queued", _("being proposed")
    FEASIBLE = "feasible", _("proposed")
    INFEASIBLE = "infeasible", _("no roster meets the rules")
    FAILED = "failed", _("the proposal failed")


class SwapStatus(models.TextChoices):
    """A swap request's life: the colleague agrees, then the chief decides."""

    ASKED = "asked", _("waiting for the colleague")
    AGREED = "agreed", _("waiting for the chief")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", pgettext_lazy("swap", "refused")
    DECLINED = "declined", _("declined by the colleague")
    WITHDRAWN = "withdrawn", pgettext_lazy("swap", "withdrawn")
