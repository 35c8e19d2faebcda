"""The figures outreach offers the command room (``core.indicators``, section "outreach"): the
resident groups, the campaigns sent, the anti-fraud consultations with those dissuaded and those
already defrauded, and the stalls and lectures held; each links to the list behind it."""

from django.db.models import Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from fengqiao.core.indicators import Indicator, RateIndicator, register
from fengqiao.outreach.choices import CampaignStatus, ConsultationOutcome
from fengqiao.outreach.models import Campaign, Consultation, Lecture, ResidentGroup


def _list(name: str):
    def url(params: dict) -> str:
        return f"{reverse(name)}?{urlencode(params)}"

    return url


def register_figures() -> None:
    register(
        Indicator(
            "outreach.groups",
            _("resident groups"),
            unit=_("groups"),
            formula=_("Police–resident groups active now."),
            section="outreach",
            model=ResidentGroup,
            q=Q(is_active=True),
            date_field=None,
            list_url=_list("outreach_groups"),
        ),
        Indicator(
            "outreach.campaigns_sent",
            _("alerts and campaigns sent"),
            unit=_("campaigns"),
            formula=_("Alerts and campaigns that finished going out in the period."),
            section="outreach",
            model=Campaign,
            q=Q(status=CampaignStatus.SENT),
            date_field="sent_at",
            params={"status": CampaignStatus.SENT},
            period_params=("sent_from", "sent_to"),
            list_url=_list("outreach_campaigns"),
        ),
        Indicator(
            "outreach.consultations",
            _("anti-fraud consultations"),
            unit=_("consultations"),
            formula=_("Residents' calls and visits about a suspicious offer in the period."),
            section="outreach",
            model=Consultation,
            date_field="consulted_at",
            period_params=("from", "to"),
            list_url=_list("outreach_consultations"),
        ),
        Indicator(
            "outreach.dissuaded",
            _("residents dissuaded"),
            unit=_("consultations"),
            formula=_("Consultations in the period that ended with the resident dissuaded."),
            section="outreach",
            model=Consultation,
            q=Q(outcome=ConsultationOutcome.DISSUADED),
            date_field="consulted_at",
            params={"outcome": ConsultationOutcome.DISSUADED},
            period_params=("from", "to"),
            list_url=_list("outreach_consultations"),
        ),
        Indicator(
            "outreach.defrauded",
            _("residents already defrauded"),
            unit=_("consultations"),
            formula=_("Consultations in the period of residents already defrauded (a case was opened)."),
            section="outreach",
            model=Consultation,
            q=Q(outcome=ConsultationOutcome.DEFRAUDED),
            date_field="consulted_at",
            params={"outcome": ConsultationOutcome.DEFRAUDED},
            period_params=("from", "to"),
            list_url=_list("outreach_consultations"),
            lower_is_better=True,
        ),
        Indicator(
            "outreach.lectures",
            _("stalls and lectures"),
            unit=_("sessions"),
            formula=_("Publicity stalls, 社区警务大讲堂 and 普法时间 sessions held in the period."),
            section="outreach",
            model=Lecture,
            date_field="held_on",
            period_params=("from", "to"),
            list_url=_list("outreach_lectures"),
        ),
        RateIndicator(
            "outreach.dissuasion_rate",
            _("dissuasion rate"),
            "outreach.dissuaded",
            "outreach.consultations",
            _("Dissuasion rate = residents dissuaded / consultations in the period."),
            section="outreach",
        ),
    )
