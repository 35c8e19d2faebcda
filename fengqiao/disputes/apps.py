from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "fengqiao.disputes"
    label = "disputes"
    verbose_name = _("Dispute mediation")

    def ready(self):
        import datetime as dt

        from fengqiao.core import casework, periodic
        from fengqiao.disputes.actions import remind_judicial_windows
        from fengqiao.disputes.workflow import DISPUTE_WORKFLOW

        casework.register(DISPUTE_WORKFLOW)
        periodic.register("judicial reminders", lambda: remind_judicial_windows(), every=dt.timedelta(days=1))

        from fengqiao.disputes.actions import anonymise_parties
        from fengqiao.registry.actions import anonymise_elsewhere

        anonymise_elsewhere(anonymise_parties)  # parties go with the departed people they were

        from fengqiao.disputes.figures import register_figures

        register_figures()  # the command room's figures (core.indicators)
