from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    """The volunteer points store (爱心积分超市): a double-entry ledger of points and stock."""

    name = "fengqiao.points"
    label = "points"
    verbose_name = _("Volunteer points")
