from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    """Prevention: volunteer teams, patrols with tracks and checkpoints, household visits."""

    name = "fengqiao.patrols"
    label = "patrols"
    verbose_name = _("Patrol and prevention")
