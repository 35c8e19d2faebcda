from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutyConfig(AppConfig):
    """Shift templates, rosters, coverage checks, the solver's proposals and shift swaps."""

    name = "fengqiao.duty"
    label = "duty"
    verbose_name = _("Duty rosters")

    def ready(self):
        from fengqiao.core import casework
        from fengqiao.duty.workflow import SWAP_WORKFLOW

        casework.register(SWAP_WORKFLOW)
