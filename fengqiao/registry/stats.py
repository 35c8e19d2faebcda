"""Collection statistics: how many people, houses and organisations were collected per period and
per jurisdiction, with the same period a year earlier and the year-on-year change (同比).

Counted by ``collected_at`` (the day the record was collected), retired records left out, only
what the user may see (``visible_to``). The counting is done by the database: one ``GROUP BY``
per kind of record on the node and on the period (``TruncMonth``/``TruncQuarter``/``TruncYear``).
The node is read off the record's grid along the police tree — a grid's path is
``city/county/station/district/grid``, so its county, station and district are the grid's
district, the district's parent and its parent in turn — which makes the grouping a handful of
joins on primary keys instead of string surgery on the path. A call runs a fixed number of
queries, whatever the size of the registry.

Periods are whole: ``start`` and ``end`` are widened to the first and last day of their periods.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth, TruncQuarter, TruncYear
from django.utils.translation import gettext as _

from fengqiao.core.rates import HIGHER
from fengqiao.core.scoping import path_within, scope_prefixes, scope_q
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import Grid, PoliceUnit
from fengqiao.registry.models import House, Organisation, Person

PERIODS = ("month", "quarter", "year")
LEVELS = ("county", "station", "district", "grid")


# The period a date falls in, as the date it starts on. PostgreSQL truncates natively; Django's
# SQLite backend does it in a Python function called once per row, so there the same is written
# with SQLite's own date modifiers (several times faster on a million rows).
class _MonthStart(TruncMonth):
    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, 'start of month')", params


class _QuarterStart(TruncQuarter):
    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        back = f"'-' || ((CAST(strftime('%%m', {sql}) AS INTEGER) - 1) %% 3) || ' months'"
        return f"date({sql}, 'start of month', {back})", params * 2


class _YearStart(TruncYear):
    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, 'start of year')", params


_TRUNC = {"month": _MonthStart, "quarter": _QuarterStart, "year": _YearStart}
# The record's grid → the node of each level, as a lookup path.
_NODE_LOOKUP = {
    "county": "grid__district__parent__parent_id",
    "station": "grid__district__parent_id",
    "district": "grid__district_id",
    "grid": "grid_id",
}
_UNIT_KIND = {"county": UnitKind.COUNTY, "station": UnitKind.STATION, "district": UnitKind.DISTRICT}
KINDS = {"people": Person, "houses": House, "organisations": Organisation}
# Which way a change in a collection count is good (core.rates): more collected, more work done.
BETTER = HIGHER


def year_on_year(current: int, earlier: int) -> float | None:
    """同比 as a ratio: (this period − the same period a year earlier) / the earlier one; None when
    there is nothing to compare with."""
    if not earlier:
        return None
    return (current - earlier) / earlier


@dataclass(frozen=True)
class Counts:
    """People, houses and organisations collected."""

    people: int = 0
    houses: int = 0
    organisations: int = 0

    def get(self, kind: str) -> int:
        return getattr(self, kind)


@dataclass(frozen=True)
class CollectionRow:
    """One jurisdiction node in one period."""

    level: str  # county, station, district or grid
    node_id: int  # PoliceUnit id, or Grid id for grids
    code: str
    name: str
    path: str  # the node's tree path (a grid's scope path)
    period: dt.date  # first day of the period
    period_kind: str  # month, quarter or year
    current: Counts
    last_year: Counts
    complete: bool = True  # False for a node above the user's posting: only part of it is counted

    @property
    def period_label(self) -> str:
        if self.period_kind == "year":
            return f"{self.period.year}"
        if self.period_kind == "quarter":
            return f"{self.period.year}Q{(self.period.month - 1) // 3 + 1}"
        return f"{self.period.year}-{self.period.month:02d}"

    @property
    def people(self) -> int:
        return self.current.people

    @property
    def houses(self) -> int:
        return self.current.houses

    @property
    def organisations(self) -> int:
        return self.current.organisations

    @property
    def people_last_year(self) -> int:
        return self.last_year.people

    @property
    def houses_last_year(self) -> int:
        return self.last_year.houses

    @property
    def organisations_last_year(self) -> int:
        return self.last_year.organisations

    @property
    def people_yoy(self) -> float | None:
        return year_on_year(self.current.people, self.last_year.people)

    @property
    def houses_yoy(self) -> float | None:
        return year_on_year(self.current.houses, self.last_year.houses)

    @property
    def organisations_yoy(self) -> float | None:
        return year_on_year(self.current.organisations, self.last_year.organisations)


@dataclass(frozen=True)
class CollectionTotals:
    """Everything collected in the user's scope between two days, and in the same days a year earlier."""

    start: dt.date
    end: dt.date
    current: Counts
    last_year: Counts

    @property
    def people_yoy(self) -> float | None:
        return year_on_year(self.current.people, self.last_year.people)

    @property
    def houses_yoy(self) -> float | None:
        return year_on_year(self.current.houses, self.last_year.houses)

    @property
    def organisations_yoy(self) -> float | None:
        return year_on_year(self.current.organisations, self.last_year.organisations)


# --- periods ----------------------------------------------------------------------------------


def a_year_earlier(day: dt.date) -> dt.date:
    """The same day a year earlier; 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def period_start(day: dt.date, period: str) -> dt.date:
    if period == "year":
        return dt.date(day.year, 1, 1)
    if period == "quarter":
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return dt.date(day.year, day.month, 1)


def next_period(day: dt.date, period: str) -> dt.date:
    """The first day of the period after the one starting on ``day``."""
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def periods_between(start: dt.date, end: dt.date, period: str) -> list[dt.date]:
    """The first days of the periods covering ``start`` … ``end``, in order."""
    out = []
    current = period_start(start, period)
    while current <= end:
        out.append(current)
        current = next_period(current, period)
    return out


def _check(period: str, by: str, start: dt.date, end: dt.date) -> None:
    if period not in PERIODS:
        raise ValueError(
            _("period must be one of %(choices)s, not %(value)r")
            % {"choices": ", ".join(PERIODS), "value": period}
        )
    if by not in LEVELS:
        raise ValueError(
            _("by must be one of %(choices)s, not %(value)r") % {"choices": ", ".join(LEVELS), "value": by}
        )
    if start > end:
        raise ValueError(_("the start %(start)s is after the end %(end)s") % {"start": start, "end": end})


# --- nodes ------------------------------------------------------------------------------------


def _ancestors(paths: list[str]) -> set[str]:
    out = set()
    for path in paths:
        parts = path.split("/")
        out.update("/".join(parts[:i]) for i in range(1, len(parts)))
    return out


def _nodes(user, by: str) -> list[tuple[int, str, str, str]]:
    """(id, code, name, path) of the nodes of level ``by`` the user's scope reaches: those under
    the user's postings, and those above them (which the user sees only a part of). One query."""
    if by == "grid":
        return list(
            Grid.objects.visible_to(user)
            .order_by("scope_path")
            .values_list("pk", "code", "name", "scope_path")
        )
    prefixes = scope_prefixes(user)
    units = PoliceUnit.objects.filter(kind=_UNIT_KIND[by])
    if prefixes is not None:
        if not prefixes:
            return []
        units = units.filter(scope_q(prefixes, "path") | Q(path__in=_ancestors(prefixes)))
    return list(units.order_by("path").values_list("pk", "code", "name", "path"))


# --- the statistics ---------------------------------------------------------------------------


def _counts_by_node_and_period(user, model, by: str, period: str, first: dt.date, last: dt.date) -> dict:
    """{(node id, period start): count} of the user's visible, unretired records of ``model``
    collected in the periods starting from ``first`` to ``last``: one GROUP BY in the database.
    The periods are bounded on the truncated date, not on ``collected_at`` itself, so that the
    planner reaches for the scope's index (or reads the table through) rather than walking the
    ``collected_at`` index over years of rows and fetching each."""
    node = _NODE_LOOKUP[by]
    rows = (
        model.objects.visible_to(user)
        .filter(retired_at__isnull=True)
        .annotate(period_start=_TRUNC[period]("collected_at"))
        .filter(period_start__gte=first, period_start__lte=last)
        .values(node, "period_start")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list(node, "period_start", "n")
    )
    return {(node_id, _as_date(start)): n for node_id, start, n in rows}


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def collection_statistics(
    user,
    *,
    period: str = "month",
    start: dt.date,
    end: dt.date,
    by: str = "county",
) -> list[CollectionRow]:
    """People, houses and organisations collected per node of level ``by`` (county, station,
    district or grid) in the user's scope and per ``period`` (month, quarter or year) from
    ``start`` to ``end``, with the same period a year earlier and the year-on-year change.

    Every node the user's scope reaches is listed for every period, with zeros where nothing was
    collected; nodes above the user's posting count only the part the user sees. Rows come
    ordered by node path, then period. Four queries (plus the user's postings, once)."""
    _check(period, by, start, end)
    periods = periods_between(start, end, period)
    first = a_year_earlier(periods[0])
    nodes = _nodes(user, by)
    if not nodes:
        return []
    counted = {
        kind: _counts_by_node_and_period(user, model, by, period, first, periods[-1])
        for kind, model in KINDS.items()
    }
    prefixes = scope_prefixes(user)
    rows = []
    for node_id, code, name, path in nodes:
        complete = path_within(path, prefixes)
        for p in periods:
            earlier = a_year_earlier(p)
            rows.append(
                CollectionRow(
                    level=by,
                    node_id=node_id,
                    code=code,
                    name=name,
                    path=path,
                    period=p,
                    period_kind=period,
                    current=Counts(**{kind: counted[kind].get((node_id, p), 0) for kind in KINDS}),
                    last_year=Counts(**{kind: counted[kind].get((node_id, earlier), 0) for kind in KINDS}),
                    complete=complete,
                )
            )
    return rows


def collection_totals(user, *, start: dt.date, end: dt.date) -> CollectionTotals:
    """Everything the user sees collected from ``start`` to ``end`` (both included), and in the
    same days a year earlier: for the dashboard. Three queries."""
    if start > end:
        raise ValueError(_("the start %(start)s is after the end %(end)s") % {"start": start, "end": end})
    before_start, before_end = a_year_earlier(start), a_year_earlier(end)
    current, last_year = {}, {}
    for kind, model in KINDS.items():
        now = Q(collected_at__gte=start, collected_at__lte=end)
        before = Q(collected_at__gte=before_start, collected_at__lte=before_end)
        totals = (
            model.objects.visible_to(user)
            .filter(now | before, retired_at__isnull=True)
            .aggregate(
                now=Count("pk", filter=now),
                before=Count("pk", filter=before),
            )
        )
        current[kind], last_year[kind] = totals["now"], totals["before"]
    return CollectionTotals(start=start, end=end, current=Counts(**current), last_year=Counts(**last_year))
