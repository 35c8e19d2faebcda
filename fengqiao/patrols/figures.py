"""The figures of patrol and prevention for the command room (``core.indicators``, section
"prevention"): volunteer teams and members as they stand, patrols, the hours walked on them and
household visits in the period, and the criminal cases whose community officer was not at the scene
in time (发案必到现场). Each links to the list that shows exactly the records it counts, or for the
hours the patrols it adds up (``patrols.selectors``' filters).
"""

from django.db import connections
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.core.indicators import Indicator, register
from fengqiao.core.scoping import scope_q
from fengqiao.events.models import Event
from fengqiao.patrols import selectors
from fengqiao.patrols.indicators import hours_of, hours_walked, patrol_duration
from fengqiao.patrols.models import Member, Patrol, Team, Visit

SECTION = "prevention"


def _list(url_name: str):
    def url(params: dict) -> str:
        return f"{reverse(url_name)}?{urlencode(params)}"

    return url


class MemberIndicator(Indicator):
    """Members live in their team's place: read and narrowed through the team."""

    def records(self, user):
        return selectors.members_for(user)

    def narrow(self, qs, path, start=None, end=None):
        vendor = connections[qs.db].vendor
        return qs.filter(scope_q([path], "team__scope_path", vendor=vendor)).filter(self.q)


class HoursIndicator(Indicator):
    """Hours walked: the durations of the finished patrols summed (ended_at − started_at, in the
    database), not a count; its change is the hours' against the other period's."""

    def measure(self, within: Q | None = None):
        return Sum(patrol_duration(), filter=within)

    def value(self, aggregated):
        return hours_of(aggregated)

    def count(self, user, path, start=None, end=None) -> float:
        return hours_walked(self.queryset(user, path, start, end))


class LateArrivalIndicator(Indicator):
    """The late cases depend on the time now and the limit set (``FENGQIAO_ARRIVAL_MINUTES``)."""

    def records(self, user):
        return selectors.late_cases(user)


def register_figures() -> None:
    register(
        Indicator(
            "patrols.teams",
            _("volunteer teams"),
            unit=_("teams"),
            formula=_("Active volunteer teams serving in the jurisdiction now."),
            section=SECTION,
            model=Team,
            q=Q(is_active=True),
            date_field=None,
            params={"active": "1"},
            list_url=_list("patrol_team_list"),
        ),
        MemberIndicator(
            "patrols.members",
            _("team members"),
            unit=_("persons"),
            formula=_("Active members of the active volunteer teams in the jurisdiction now."),
            section=SECTION,
            model=Member,
            q=Q(is_active=True, team__is_active=True),
            date_field=None,
            params={"active": "1"},
            list_url=_list("patrol_member_list"),
        ),
        Indicator(
            "patrols.patrols",
            _("patrols"),
            unit=_("patrols"),
            formula=_("Patrols started in the period; their list gives the hours walked."),
            section=SECTION,
            model=Patrol,
            date_field="started_at",
            period_params=("started_from", "started_to"),
            list_url=_list("patrol_list"),
        ),
        HoursIndicator(
            "patrols.hours",
            _("patrol hours"),
            unit=pgettext_lazy("unit", "hours"),
            formula=_(
                "Hours walked on the patrols started in the period and finished: from each one's start "
                "to its end, added up."
            ),
            section=SECTION,
            model=Patrol,
            q=Q(ended_at__isnull=False),
            date_field="started_at",
            params={"finished": "1"},
            period_params=("started_from", "started_to"),
            list_url=_list("patrol_list"),
        ),
        Indicator(
            "patrols.visits",
            _("household visits"),
            unit=_("visits"),
            formula=_(
                "Household and business visits made in the period; their page gives each officer's quota."
            ),
            section=SECTION,
            model=Visit,
            date_field="visited_at",
            period_params=("visited_from", "visited_to"),
            list_url=_list("patrol_visits"),
        ),
        LateArrivalIndicator(
            "patrols.late_arrivals",
            _("criminal cases without the officer at the scene in time"),
            unit=_("cases"),
            formula=_(
                "Criminal cases opened in the period whose community officer arrived late or not at all."
            ),
            section=SECTION,
            model=Event,
            date_field="opened_at",
            list_url=_list("scene_arrivals"),
            lower_is_better=True,
        ),
    )
