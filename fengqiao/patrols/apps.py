from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    """Prevention: volunteer teams, patrols with tracks and checkpoints, household visits."""

    name = "fengqiao.patrols"
    label = "patrols"
    verbose_name = _("Patrol and prevention")

    def ready(self):
        from fengqiao.patrols.figures import register_figures

        register_figures()  # the command room's figures (core.indicators)
