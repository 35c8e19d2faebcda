from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelfServiceConfig(AppConfig):
    """Serving residents themselves (issue 19): the no-criminal-record certificate, the smart
    police offices (智慧警务室) with their kiosks, and bookings."""

    name = "fengqiao.selfservice"
    label = "selfservice"
    verbose_name = _("Self-service")
