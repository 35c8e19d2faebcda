"""The figures events offer the command room (``core.indicators``): the loop's counts and rates,
and the criminal cases by class. Each is the cohort of events **opened** in the period as they
stand now, as ``events.indicators`` counts them, and links to the events list with the
``EventFilter`` parameters that select exactly those events."""

from django.db.models import Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from fengqiao.core.indicators import Indicator, RateIndicator, register
from fengqiao.events.choices import CRIME_GROUPS, CrimeClass, EventKind, Offence, SolveMethod, Status
from fengqiao.events.models import Event
from fengqiao.events.selectors import FILED

CASE = Q(kind=EventKind.CASE)
CRIMINAL = CASE & Q(offence=Offence.CRIMINAL)
CASE_PARAMS = {"kind": EventKind.CASE, "offence": Offence.CRIMINAL}


def event_list_url(params: dict) -> str:
    return f"{reverse('event_list')}?{urlencode(params)}"


def _events(name, label, formula, q=None, params=None, *, unit=None, **kw) -> Indicator:
    return Indicator(
        f"events.{name}",
        label,
        unit=unit or _("events"),
        formula=formula,
        model=Event,
        q=q if q is not None else Q(),
        params=params or {},
        list_url=event_list_url,
        rolled_up=True,
        **kw,
    )


def _crime(name, label, formula, q=None, params=None) -> Indicator:
    return _events(
        name,
        label,
        formula,
        CRIMINAL & (q or Q()),
        {**CASE_PARAMS, **(params or {})},
        unit=_("cases"),
        section="crime",
        lower_is_better=True,
    )


def _class(crime: str, label) -> Indicator:
    q = Q(crime_class__in=CRIME_GROUPS[crime][1]) if crime in CRIME_GROUPS else Q(crime_class=crime)
    return _crime(crime, label, _("Criminal cases opened in the period of this class."), q, {"crime": crime})


def register_figures() -> None:
    closed = Q(status=Status.CLOSED)
    register(
        _events("received", _("events received"), _("Events opened in the period."), section="events"),
        _events(
            "filed",
            _("events filed"),
            _("Events opened in the period that were taken up (not rejected or merged)."),
            Q(status__in=FILED),
            {"filed": "1"},
            section="events",
        ),
        _events(
            "closed",
            _("events closed"),
            _("Events opened in the period that are closed now."),
            closed,
            {"status": Status.CLOSED},
            section="events",
        ),
        _events(
            "closed_on_time",
            _("events closed on time"),
            _("Events opened in the period, closed without missing a limit."),
            closed & Q(missed_deadlines=0),
            {"on_time": "1"},
            section="events",
        ),
        RateIndicator(
            "events.closure_rate",
            _("closure rate"),
            "events.closed",
            "events.filed",
            _("Closure rate = events closed / events filed."),
            section="events",
        ),
        RateIndicator(
            "events.on_time_rate",
            _("on-time closure rate"),
            "events.closed_on_time",
            "events.filed",
            _("On-time closure rate = closed without missing a limit / filed."),
            section="events",
        ),
        _crime(
            "criminal", _("criminal cases"), _("Case information classed as criminal, opened in the period.")
        ),
        _class("serious_violent", _("the eight serious violent crimes")),
        _class(CrimeClass.HOMICIDE, _("homicide")),
        _class("theft", _("theft")),
        _class(CrimeClass.BURGLARY, _("burglary")),
        _class(CrimeClass.EBIKE_THEFT, _("theft of an electric bicycle")),
        _class("two_robberies", _("robbery and snatching")),
        _class(CrimeClass.FRAUD, _("telecom and online fraud")),
        _crime(
            "solved",
            _("criminal cases solved"),
            _("Criminal cases opened in the period that are solved now."),
            Q(solved_at__isnull=False),
            {"solved": "1"},
        ),
        _crime(
            "solved_by_video",
            _("cases solved by video"),
            _("Criminal cases opened in the period and solved by video."),
            Q(solved_by=SolveMethod.VIDEO),
            {"solved_by": SolveMethod.VIDEO},
        ),
        _events(
            "criminal_incidents",
            _("criminal incidents"),
            _("Police incidents (110 and others) classed as criminal, opened in the period."),
            Q(kind=EventKind.INCIDENT, offence=Offence.CRIMINAL),
            {"kind": EventKind.INCIDENT, "offence": Offence.CRIMINAL},
            section="crime",
            lower_is_better=True,
        ),
        RateIndicator(
            "events.solve_rate",
            _("solve rate"),
            "events.solved",
            "events.criminal",
            _("Solve rate = criminal cases solved / criminal cases, both opened in the period."),
            section="crime",
        ),
        RateIndicator(
            "events.criminal_per_10k",
            _("criminal cases per 10,000 residents"),
            "events.criminal",
            "registry.population",
            _("Criminal cases in the period × 10,000 / residents on the registry now."),
            section="crime",
            lower_is_better=True,
            per_10k=True,
        ),
    )
