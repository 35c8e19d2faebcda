from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "fengqiao.events"
    label = "events"
    verbose_name = _("Events (closed loop)")

    def ready(self):
        from fengqiao.core import casework
        from fengqiao.events.workflow import EVENT_WORKFLOW

        casework.register(EVENT_WORKFLOW)

        from fengqiao.events.figures import register_figures

        register_figures()  # the command room's figures (core.indicators)
