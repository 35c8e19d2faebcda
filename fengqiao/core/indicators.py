"""The figures each domain app offers the dashboard, declared once where the data lives.

An app registers its :class:`Indicator` (a count of its records) and :class:`RateIndicator`
(one count over another) in its ``AppConfig.ready()``; the command room (``analytics``) composes
whatever is registered, so a later module adds its figures without touching ``analytics``::

    indicators.register(
        Indicator("events.received", _("events received"), unit=_("events"), formula=...,
                  section="events", model=Event, list_url=event_list_url),
    )

A count is always the records of ``model`` the user may see (``visible_to``), at or under
a node of the police tree (``scope_path``), whose ``date_field`` falls in the period (both days
included), narrowed by ``q``; ``params`` are the list page's filters that select exactly those
records, so every figure links to the records behind it. ``date_field=None`` is a stock counted as
it stands now (the population). ``rolled_up`` counts are kept per day by ``analytics`` (see
``analytics.rollups``): the records' model must save through ``Model.save()`` when a change moves
one of its counts, so that the day is refreshed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Count, Q, QuerySet
from django.utils.functional import Promise

from fengqiao.core.params import start_of
from fengqiao.core.scoping import ScopedModel, scope_q

SECTIONS = (
    "events",
    "crime",
    "disputes",
    "registry",
    "directives",
    "prevention",  # patrols, cameras and video patrol, household visits, the officer at the scene
    "points",
    "outreach",
    "selfservice",
)


@dataclass(frozen=True)
class Indicator:
    name: str  # "<app>.<figure>", stable: links, rollups and tests use it
    label: str | Promise
    unit: str | Promise
    formula: str | Promise  # what is counted, in the reader's words
    section: str
    model: type[ScopedModel]
    q: Q = field(default_factory=Q)
    date_field: str | None = "opened_at"
    params: dict = field(default_factory=dict)
    list_url: Callable[[dict], str] | None = None  # filter parameters -> the list's address
    period_params: tuple[str, str] = ("opened_from", "opened_to")
    lower_is_better: bool = False
    rolled_up: bool = False

    def records(self, user) -> QuerySet:
        return self.model.objects.visible_to(user)

    def queryset(self, user, path: str, start: dt.date | None = None, end: dt.date | None = None):
        """The records behind the figure for the node ``path`` and the period (both days included)."""
        return self.narrow(self.records(user), path, start, end)

    def narrow(self, qs, path: str, start: dt.date | None = None, end: dt.date | None = None):
        qs = qs.filter(scope_q([path], vendor=connections[qs.db].vendor)).filter(self.q)
        if self.date_field and start is not None and end is not None:
            qs = qs.filter(**self.bounds(qs.model, start, end))
        return qs

    def bounds(self, model, start: dt.date, end: dt.date) -> dict:
        """The lookups of the period on ``date_field`` (a date or a datetime column)."""
        if model._meta.get_field(self.date_field).get_internal_type() == "DateField":
            return {f"{self.date_field}__gte": start, f"{self.date_field}__lte": end}
        return {
            f"{self.date_field}__gte": start_of(start),
            f"{self.date_field}__lt": start_of(end + dt.timedelta(days=1)),
        }

    def count(self, user, path: str, start: dt.date | None = None, end: dt.date | None = None) -> int:
        return self.queryset(user, path, start, end).count()

    def measure(self, within: Q | None = None):
        """The aggregate the dashboard takes of the records (``within`` a period): their number. A
        figure of another measure (the hours of patrols; never ``rolled_up``, the rollups keep
        numbers) overrides it, :meth:`value` and :meth:`count`."""
        return Count("pk", filter=within)

    def value(self, aggregated):
        """The figure from what :meth:`measure` gave."""
        return aggregated or 0

    def link(self, path: str, start: dt.date | None = None, end: dt.date | None = None) -> str:
        """The list of the records behind the figure, as the list page filters them."""
        if self.list_url is None:
            return ""
        params = {"unit": path, **self.params}
        if self.date_field and start is not None and end is not None:
            params[self.period_params[0]] = start.isoformat()
            params[self.period_params[1]] = end.isoformat()
        return self.list_url(params)


@dataclass(frozen=True)
class RateIndicator:
    """A share of one count in another (化解率 = resolved / found), or a count per 10,000 of a
    stock (``per_10k``: criminal cases per 10,000 residents)."""

    name: str
    label: str | Promise
    numerator: str  # indicator names
    denominator: str
    formula: str | Promise
    section: str
    lower_is_better: bool = False
    per_10k: bool = False


_INDICATORS: dict[str, Indicator] = {}
_RATES: dict[str, RateIndicator] = {}


def register(*items: Indicator | RateIndicator) -> None:
    """Declare figures (from an app's ``ready()``); registering a name again replaces it."""
    for item in items:
        if item.section not in SECTIONS:
            raise ValueError(f"{item.name}: unknown section {item.section!r}")
        if isinstance(item, RateIndicator):
            _RATES[item.name] = item
        else:
            _INDICATORS[item.name] = item


def indicators() -> dict[str, Indicator]:
    return dict(_INDICATORS)


def rates() -> dict[str, RateIndicator]:
    return dict(_RATES)


def get(name: str) -> Indicator:
    return _INDICATORS[name]
