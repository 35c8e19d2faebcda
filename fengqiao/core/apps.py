from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "fengqiao.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        import datetime as dt

        from django.conf import settings

        from fengqiao.core import audit, casework, periodic, ratelimit, tempfiles
        from fengqiao.core.notifications.tasks import requeue_stale

        minute = dt.timedelta(minutes=1)
        periodic.register("sweep", lambda: casework.sweep(), every=minute)
        # Deliveries whose task was lost with a dead worker.
        periodic.register("requeued deliveries", lambda: requeue_stale(), every=minute)
        periodic.register("rate windows", lambda: ratelimit.forget_old_windows(), every=dt.timedelta(hours=1))
        # Exports and import error files past FENGQIAO_EXPORT_HOURS (core.tempfiles).
        periodic.register("expired files", lambda: tempfiles.remove_expired(), every=dt.timedelta(hours=1))
        # The audit chain's head, written outside the database (docs/adr/0007).
        periodic.register(
            "audit anchor",
            lambda: audit.write_anchor(),
            every=dt.timedelta(hours=settings.AUDIT_ANCHOR_HOURS),
        )
