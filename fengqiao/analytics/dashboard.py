"""The command room's dashboard (issue 16 §2): every figure the apps declare (``core.indicators``)
for one jurisdiction the user may see and one period, with the same dates a year earlier (同比)
and the period just before (环比), each linking to the records behind it; the criminal cases by
class; the share of villages and communities with no criminal case; the last twelve months.

Fair figures: a rate keeps its numerator and denominator and is greyed (``reliable`` False) below
``settings.RATE_MIN_CASES`` cases (``core.rates``); counts change as a ratio, rates in points;
the periods compared are of equal length (``events.indicators.Period``).

Counting: a node at or above a station that the user sees whole reads the daily rollups
(``analytics.rollups``, one grouped query for all rolled-up figures and the three periods);
anything else, and the figures that are not rolled up, are counted from the records, one
aggregate per indicator over the three periods.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db import connections
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.analytics import rollups
from fengqiao.analytics.models import DailyCount, MonthlyCount
from fengqiao.core import indicators as registry
from fengqiao.core.rates import Rate, per_10k
from fengqiao.core.scoping import is_staff, path_within, scope_prefixes, scope_q
from fengqiao.events.choices import CRIME_GROUPS, CrimeClass
from fengqiao.events.indicators import Node, Period, breadcrumbs, change, check_period, resolve_node
from fengqiao.geo.models import Grid, PoliceUnit

CHART_MONTHS = 12
MONTHLY = ("events.received", "events.criminal", "disputes.found")
# The classes drawn in the chart of criminal cases (groups first, then the classes themselves).
CLASSES = (*CRIME_GROUPS, *CrimeClass.values)
SECTION_LABELS = {
    "events": gettext_lazy("Events and their handling"),
    "crime": gettext_lazy("Criminal cases"),
    "disputes": gettext_lazy("Dispute mediation"),
    "registry": gettext_lazy("Collection (一标三实)"),
    "directives": gettext_lazy("Analysis directives"),
    "prevention": gettext_lazy("Patrol and prevention"),
    "points": gettext_lazy("Volunteer points"),
    "outreach": gettext_lazy("Reaching residents"),
    "selfservice": gettext_lazy("Self-service"),
}


def may_see_command(user) -> bool:
    """The command room is for stations and above (a station's duty room, the bureaus)."""
    if not is_staff(user):
        return False
    if user.is_superuser:
        return True
    return any(path.count("/") + 1 <= rollups.STATION_DEPTH for path in user.scope_paths())


@dataclass
class Figure:
    name: str
    label: str
    unit: str
    formula: str
    section: str
    value: float | int | None
    last_year: float | int | None
    previous: float | int | None
    url: str = ""
    rate: bool = False
    lower_is_better: bool = False
    numerator: int | None = None  # a rate's, in each period
    denominator: int | None = None
    numerator_label: str = ""
    denominator_label: str = ""
    reliable: bool = True
    per_10k: bool = False

    @property
    def yoy(self) -> float | None:
        return change(self.value, self.last_year, rate=self.rate and not self.per_10k)

    @property
    def mom(self) -> float | None:
        return change(self.value, self.previous, rate=self.rate and not self.per_10k)


@dataclass
class Section:
    key: str
    label: str
    figures: list[Figure] = field(default_factory=list)


@dataclass
class Dashboard:
    node: Node
    breadcrumbs: list[Node]
    children: list[Node]
    period: Period
    last_year: Period
    previous: Period
    sections: list[Section]
    figures: dict[str, Figure]
    classes: list[dict]  # the chart of criminal cases by class
    monthly: dict  # the chart of the last twelve months
    from_rollups: bool


# ---------------------------------------------------------------------------------------------
# counting


def _periods(period: Period) -> dict[str, Period]:
    return {"now": period, "last_year": period.last_year(), "previous": period.previous()}


def _span(periods: dict[str, Period]) -> tuple[dt.date, dt.date]:
    return min(p.start for p in periods.values()), max(p.end for p in periods.values())


def _split(p: Period) -> tuple[Q | None, Q | None]:
    """A period as the whole months it covers (a filter on ``MonthlyCount.month``) and the days
    before and after them (a filter on ``DailyCount.day``); None where there are none."""
    first_whole = p.start if p.start.day == 1 else rollups.month_end(p.start) + dt.timedelta(days=1)
    last_whole = p.end if p.end == rollups.month_end(p.end) else p.end.replace(day=1) - dt.timedelta(days=1)
    if first_whole > last_whole:
        return None, Q(day__gte=p.start, day__lte=p.end)
    months = Q(month__gte=first_whole, month__lte=last_whole.replace(day=1))
    days = []
    if p.start < first_whole:
        days.append(Q(day__gte=p.start, day__lte=first_whole - dt.timedelta(days=1)))
    if last_whole < p.end:
        days.append(Q(day__gte=last_whole + dt.timedelta(days=1), day__lte=p.end))
    return months, (reduce(or_, days) if days else None)


def _from_rollups(node: Node, periods: dict[str, Period], names: list[str]) -> dict[str, dict[str, int]]:
    """{period key: {indicator: count}} off the rollups: the whole months from the monthly rows
    and the days around them from the daily rows, one grouped query each."""
    first, last = _span(periods)
    keys = list(periods)
    parts = {f"p{i}": _split(periods[key]) for i, key in enumerate(keys)}
    out: dict[str, dict[str, int]] = {key: dict.fromkeys(names, 0) for key in periods}
    for model, index, lookup in ((MonthlyCount, 0, "month"), (DailyCount, 1, "day")):
        sums = {alias: Sum("value", filter=q[index]) for alias, q in parts.items() if q[index] is not None}
        if not sums:
            continue
        low = first.replace(day=1) if lookup == "month" else first
        rows = (
            model.objects.filter(
                Q(path=node.path) | Q(path__startswith=node.path + "/"),
                indicator__in=names,
                **{f"{lookup}__gte": low, f"{lookup}__lte": last},
            )
            .values("indicator")
            .annotate(**sums)
            .order_by()
        )
        for row in rows:
            for alias in sums:
                out[keys[int(alias[1:])]][row["indicator"]] += row[alias] or 0
    return out


def _direct(user, node: Node, periods: dict[str, Period], names: list[str]) -> dict[str, dict[str, int]]:
    """The same, counted from the records: one aggregate per indicator over the three periods
    (a stock, ``date_field=None``, once)."""
    out: dict[str, dict[str, int]] = {key: {} for key in periods}
    first, last = _span(periods)
    for name in names:
        ind = registry.get(name)
        if not ind.date_field:
            n = ind.count(user, node.path)
            for key in periods:
                out[key][name] = n
            continue
        qs = ind.queryset(user, node.path, first, last)
        counts = qs.aggregate(
            **{key: ind.measure(Q(**ind.bounds(qs.model, p.start, p.end))) for key, p in periods.items()}
        )
        for key in periods:
            out[key][name] = ind.value(counts[key])
    return out


def _counts(user, node: Node, periods: dict[str, Period]) -> tuple[dict[str, dict[str, int]], bool]:
    declared = registry.indicators()
    use_rollups = node.complete and not node.is_grid and node.path.count("/") + 1 <= rollups.STATION_DEPTH
    rolled = [n for n, i in declared.items() if i.rolled_up and i.date_field] if use_rollups else []
    if rolled:
        rollups.refresh()  # what changed since the worker's last run
    counts = _from_rollups(node, periods, rolled) if rolled else {key: {} for key in periods}
    rest = _direct(user, node, periods, [n for n in declared if n not in rolled])
    for key in periods:
        counts[key].update(rest[key])
    return counts, bool(rolled)


# ---------------------------------------------------------------------------------------------
# figures


def _count_figure(ind: registry.Indicator, counts, node: Node, period: Period) -> Figure:
    return Figure(
        ind.name,
        str(ind.label),
        str(ind.unit),
        str(ind.formula),
        ind.section,
        counts["now"].get(ind.name, 0),
        counts["last_year"].get(ind.name, 0),
        counts["previous"].get(ind.name, 0),
        url=ind.link(node.path, period.start, period.end) if ind.date_field else ind.link(node.path),
        lower_is_better=ind.lower_is_better,
    )


def _rate_figure(rate: registry.RateIndicator, counts, figures: dict[str, Figure]) -> Figure | None:
    top, bottom = figures.get(rate.numerator), figures.get(rate.denominator)
    if top is None or bottom is None:
        return None

    def value(key):
        n, d = counts[key].get(rate.numerator, 0), counts[key].get(rate.denominator, 0)
        return per_10k(n, d) if rate.per_10k else Rate(n, d).value

    now = Rate(counts["now"].get(rate.numerator, 0), counts["now"].get(rate.denominator, 0))
    return Figure(
        rate.name,
        str(rate.label),
        "" if rate.per_10k else "%",
        str(rate.formula),
        rate.section,
        value("now"),
        value("last_year"),
        value("previous"),
        url=top.url,
        rate=True,
        lower_is_better=rate.lower_is_better,
        numerator=now.numerator,
        denominator=now.denominator,
        numerator_label=top.label,
        denominator_label=bottom.label,
        # A rate per 10,000 rests on its cases, a share on its denominator.
        reliable=Rate(now.numerator, now.numerator).reliable if rate.per_10k else now.reliable,
        per_10k=rate.per_10k,
    )


def _no_crime_share(user, node: Node, periods: dict[str, Period], figures) -> Figure | None:
    """Villages and communities (of the grids under the node) with no criminal case in the period."""
    criminal = registry.indicators().get("events.criminal")
    if criminal is None:
        return None
    grids = Grid.objects.visible_to(user)
    grids = grids.filter(scope_q([node.path], vendor=connections[grids.db].vendor))
    community_of = dict(grids.order_by().values_list("pk", "community_id"))
    communities = set(community_of.values())
    total = len(communities)
    shares = {}
    for key, p in periods.items():
        # The grids of the period's criminal cases, off the (offence, opened) index; their
        # communities looked up here rather than joined.
        hit_grids = (
            criminal.queryset(user, node.path, p.start, p.end).order_by().values_list("grid_id", flat=True)
        )
        hit = {community_of.get(g) for g in set(hit_grids)}
        shares[key] = Rate(len(communities - hit), total)
    now = shares["now"]
    crime = figures["events.criminal"]
    return Figure(
        "analytics.no_crime_share",
        _("villages and communities with no criminal case"),
        "%",
        _(
            "Share = villages and communities with no criminal case opened in the period / all "
            "villages and communities with a grid in the jurisdiction."
        ),
        "crime",
        now.value,
        shares["last_year"].value,
        shares["previous"].value,
        url=crime.url,
        rate=True,
        numerator=now.numerator,
        denominator=now.denominator,
        numerator_label=_("with no criminal case"),
        denominator_label=_("villages and communities"),
        reliable=now.reliable,
    )


def _monthly(user, node: Node, period: Period, from_rollups: bool) -> dict:
    """The last twelve months to the period's end, for the figures of :data:`MONTHLY`."""
    end = period.end
    months = []
    year, month = end.year, end.month
    for _i in range(CHART_MONTHS):
        months.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    months.reverse()
    last_day = (months[-1] + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    periods = {
        m.isoformat(): Period(m, (m + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1))
        for m in months
    }
    periods[months[-1].isoformat()] = Period(months[-1], min(last_day, end))
    names = [n for n in MONTHLY if n in registry.indicators()]
    if from_rollups:
        keyed = _from_rollups(node, periods, names)
        by_name = {n: [keyed[key][n] for key in periods] for n in names}
    else:
        by_name = {}
        for name in names:
            ind = registry.get(name)
            qs = ind.queryset(user, node.path, months[0], end)
            counts = qs.aggregate(
                **{
                    f"m{i}": Count("pk", filter=Q(**ind.bounds(qs.model, p.start, p.end)))
                    for i, p in enumerate(periods.values())
                }
            )
            by_name[name] = [counts[f"m{i}"] for i in range(len(periods))]
    return {
        "months": [f"{m.year}-{m.month:02d}" for m in months],
        "series": [
            {"name": n, "label": str(registry.get(n).label), "data": by_name.get(n, [0] * len(months))}
            for n in names
        ],
    }


def _children(user, node: Node) -> list[Node]:
    """The units under the node the user may count (to go down the tree)."""
    if node.is_grid:
        return []
    prefixes = scope_prefixes(user)
    units = PoliceUnit.objects.filter(parent__path=node.path).order_by("code").only("path", "code", "name")
    return [
        Node(u.path, u.code, u.name, "")
        for u in units
        if path_within(u.path, prefixes) or any(p.startswith(u.path + "/") for p in prefixes or ())
    ]


def dashboard(user, *, unit: str = "", start: dt.date | None = None, end: dt.date | None = None) -> Dashboard:
    """Every declared figure for the node (``unit``, default the user's scope) and the period.
    PermissionDenied for those who may not see the command room; ValidationError for a unit
    outside the user's scope (the page answers 404) or a bad period."""
    from django.core.exceptions import PermissionDenied

    if not may_see_command(user):
        raise PermissionDenied(_("The command room is for police stations and bureaus."))
    node = resolve_node(user, unit)
    period = check_period(start, end)
    periods = _periods(period)
    counts, from_rollups = _counts(user, node, periods)

    figures: dict[str, Figure] = {}
    for ind in registry.indicators().values():
        figures[ind.name] = _count_figure(ind, counts, node, period)
    for rate in registry.rates().values():
        made = _rate_figure(rate, counts, figures)
        if made is not None:
            figures[rate.name] = made
    share = _no_crime_share(user, node, periods, figures) if "events.criminal" in figures else None
    if share is not None:
        figures[share.name] = share

    sections = []
    for key in registry.SECTIONS:
        shown = [f for f in figures.values() if f.section == key and f.name != "registry.population"]
        if key == "registry" and "registry.population" in figures:
            shown.append(figures["registry.population"])
        if shown:
            sections.append(Section(key, str(SECTION_LABELS[key]), shown))

    classes = []
    for crime in CLASSES:
        fig = figures.get(f"events.{crime}")
        if fig is not None:
            classes.append({"name": crime, "label": fig.label, "now": fig.value, "last_year": fig.last_year})

    return Dashboard(
        node=node,
        breadcrumbs=breadcrumbs(user, node),
        children=_children(user, node),
        period=period,
        last_year=periods["last_year"],
        previous=periods["previous"],
        sections=sections,
        figures=figures,
        classes=classes,
        monthly=_monthly(user, node, period, from_rollups),
        from_rollups=from_rollups,
    )


def dashboard_url(path: str, period: Period, *, wall: bool = False) -> str:
    query = {"unit": path, "start": period.start.isoformat(), "end": period.end.isoformat()}
    return f"{reverse('command_wall' if wall else 'command')}?{urlencode(query)}"
