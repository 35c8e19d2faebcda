from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    """Reaching residents (issue 19): police–resident groups, alerts and campaigns with their
    deliveries, anti-fraud consultations, publicity stalls and lectures."""

    name = "fengqiao.outreach"
    label = "outreach"
    verbose_name = _("Outreach")

    def ready(self):
        from fengqiao.outreach.figures import register_figures

        register_figures()  # the command room's figures (core.indicators)
