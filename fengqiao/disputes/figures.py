"""The figures the dispute ledger offers the command room (``core.indicators``): disputes found in
the period, those of them resolved, and the resolution rate (化解率), as ``disputes.stats``
counts them; each links to the ledger filtered to exactly those disputes."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fengqiao.core.indicators import Indicator, RateIndicator, register
from fengqiao.disputes.choices import Outcome
from fengqiao.disputes.models import Dispute
from fengqiao.disputes.selectors import ledger_url


def _ledger(params: dict) -> str:
    return ledger_url(**params)


def register_figures() -> None:
    register(
        Indicator(
            "disputes.found",
            _("disputes found"),
            unit=_("disputes"),
            formula=_("Disputes registered in the period."),
            section="disputes",
            model=Dispute,
            list_url=_ledger,
            rolled_up=True,
        ),
        Indicator(
            "disputes.resolved",
            _("disputes resolved"),
            unit=_("disputes"),
            formula=_("Disputes registered in the period whose mediation ended in an agreement."),
            section="disputes",
            model=Dispute,
            q=Q(outcome=Outcome.RESOLVED),
            params={"outcome": Outcome.RESOLVED},
            list_url=_ledger,
            rolled_up=True,
        ),
        RateIndicator(
            "disputes.resolution_rate",
            _("dispute resolution rate"),
            "disputes.resolved",
            "disputes.found",
            _("Resolution rate = disputes resolved / disputes found in the period."),
            section="disputes",
        ),
    )
