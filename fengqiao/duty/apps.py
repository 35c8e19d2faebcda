from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutyConfig(AppConfig):
    """Shift templates, rosters, coverage checks and the solver's proposals."""

    name = "fengqiao.duty"
    label = "duty"
    verbose_name = _("Duty rosters")
