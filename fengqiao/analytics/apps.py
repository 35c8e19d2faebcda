from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """The command room's analysis: reads the domain apps, writes only its own tables."""

    name = "fengqiao.analytics"
    label = "analytics"
    verbose_name = _("Command room analysis")
