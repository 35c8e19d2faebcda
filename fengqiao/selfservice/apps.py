from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelfServiceConfig(AppConfig):
    """Serving residents themselves (issue 19): the no-criminal-record certificate, the smart
    police offices (智慧警务室) with their kiosks, and bookings."""

    name = "fengqiao.selfservice"
    label = "selfservice"
    verbose_name = _("Self-service")

    def ready(self):
        from fengqiao.core import casework
        from fengqiao.selfservice.figures import register_figures
        from fengqiao.selfservice.workflow import CERTIFICATE_WORKFLOW

        casework.register(CERTIFICATE_WORKFLOW)
        register_figures()  # the command room's figures (core.indicators)
