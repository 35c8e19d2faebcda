from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """The command room's analysis: reads the domain apps, writes only its own tables."""

    name = "fengqiao.analytics"
    label = "analytics"
    verbose_name = _("Command room analysis")

    def ready(self):
        import datetime as dt

        from fengqiao.analytics import rollups
        from fengqiao.analytics.directives import DIRECTIVE_WORKFLOW, register_indicators
        from fengqiao.analytics.nearrepeat import warn_recent
        from fengqiao.analytics.report import weekly_job
        from fengqiao.core import casework, periodic

        casework.register(DIRECTIVE_WORKFLOW)
        register_indicators()

        # The domain apps declared their figures in their own ready(), which ran before ours
        # (INSTALLED_APPS lists them first): the rolled-up ones are counted per day from now on.
        rollups.connect()
        periodic.register("dashboard rollups", lambda: rollups.refresh(), every=dt.timedelta(minutes=1))
        periodic.register("near-repeat warnings", lambda: warn_recent(), every=dt.timedelta(minutes=5))
        # Hourly, so that Monday 08:00 is met within the hour; a unit's week is made once.
        periodic.register("weekly reports", lambda: weekly_job(), every=dt.timedelta(hours=1))
