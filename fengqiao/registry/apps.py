from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "fengqiao.registry"
    label = "registry"
    verbose_name = _("Registry (一标三实)")

    def ready(self):
        import datetime as dt

        from fengqiao.core import periodic
        from fengqiao.core.commands import system_user
        from fengqiao.registry.actions import anonymise_all_departed
        from fengqiao.registry.tasks import remove_stale_uploads

        # Uploaded import files no import reads any more, past FENGQIAO_EXPORT_HOURS.
        periodic.register("stale import uploads", lambda: remove_stale_uploads(), every=dt.timedelta(hours=1))
        # People retired more than FENGQIAO_DEPARTED_RETENTION_DAYS ago, anonymised.
        anonymise = lambda: anonymise_all_departed(actor=system_user())  # noqa: E731
        periodic.register("anonymise departed", anonymise, every=dt.timedelta(days=1))
        # Unusual reading of personal data, told to the reader's superior (registry.access).
        from fengqiao.registry.access import watch_reading

        periodic.register("unusual reading", lambda: watch_reading(), every=dt.timedelta(minutes=1))

        from fengqiao.registry.figures import register_figures

        register_figures()  # the command room's figures (core.indicators)
