from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "fengqiao.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        import datetime as dt

        from fengqiao.core import casework, periodic, ratelimit
        from fengqiao.core.notifications.tasks import requeue_stale

        minute = dt.timedelta(minutes=1)
        periodic.register("sweep", lambda: casework.sweep(), every=minute)
        # Deliveries whose task was lost with a dead worker.
        periodic.register("requeued deliveries", lambda: requeue_stale(), every=minute)
        periodic.register("rate windows", lambda: ratelimit.forget_old_windows(), every=dt.timedelta(hours=1))
