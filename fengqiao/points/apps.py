from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    """The volunteer points store (爱心积分超市): a double-entry ledger of points and stock."""

    name = "fengqiao.points"
    label = "points"
    verbose_name = _("Volunteer points")

    def ready(self):
        import datetime as dt

        from fengqiao.core import periodic
        from fengqiao.core.commands import system_user
        from fengqiao.points.actions import expire_points, release_expired

        # Reservations past FENGQIAO_POINTS_RESERVATION_HOURS give their points and piece back.
        release = lambda: release_expired(actor=system_user())  # noqa: E731
        periodic.register("points reservations", release, every=dt.timedelta(minutes=1))
        # Points older than FENGQIAO_POINTS_EXPIRY_DAYS and unspent, when set (off by default).
        expire = lambda: expire_points(actor=system_user())  # noqa: E731
        periodic.register("points expiry", expire, every=dt.timedelta(days=1))
