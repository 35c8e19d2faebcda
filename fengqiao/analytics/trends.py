"""Weekly trends (issue 16 §5): the counts per crime class and per event category, week by week
(Monday to Sunday), each against a seasonal baseline, and the weeks beyond their Poisson control
limit flagged as unusual.

The baseline is the "historical limits" method (Stroup et al., as the CDC's surveillance reports
use it): the mean of the same week and the weeks either side of it in each of the last
``HISTORY_YEARS`` years (52 weeks apart, so weekdays line up) that the records cover. Where no year
before is covered yet, the mean of the ``RECENT_WEEKS`` weeks before stands in (no season then).
A week is unusual when its count exceeds the Poisson upper control limit of its baseline: the
smallest count ``u`` with P(X ≤ u) ≥ 1 − ``ALPHA``. The baseline is taken as at least
``MIN_BASELINE`` a week, so that one case of a class that never happens is not an alarm.

Counts of the crime classes come from the dashboard's registry (``core.indicators``), off the
daily rollups for a station and above, otherwise from the records; the categories from the
records, grouped by week in the database.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.analytics import rollups
from fengqiao.analytics.models import DailyCount
from fengqiao.core import indicators as registry
from fengqiao.core.params import start_of
from fengqiao.events.choices import CRIME_GROUPS, CrimeClass
from fengqiao.events.indicators import Node, resolve_node
from fengqiao.events.inputs import category_label
from fengqiao.events.models import Category

ALPHA = 0.001
MIN_BASELINE = 0.5
HISTORY_YEARS = 3
SEASON_SPREAD = 1  # weeks either side of the same week a year earlier
RECENT_WEEKS = 8
MIN_RECENT = 4  # weeks of history the fallback needs
YEAR = dt.timedelta(weeks=52)
# The crime figures followed week by week: all criminal cases, the groups, then the classes.
CRIME_FIGURES = ("criminal", *CRIME_GROUPS, *CrimeClass.values)


def poisson_cdf(k: int, mean: float) -> float:
    """P(X ≤ k) for X ~ Poisson(mean)."""
    if k < 0:
        return 0.0
    term = math.exp(-mean)
    total = term
    for i in range(1, k + 1):
        term *= mean / i
        total += term
    return min(total, 1.0)


def upper_limit(mean: float, alpha: float = ALPHA) -> int:
    """The Poisson upper control limit of a weekly mean: the smallest count ``u`` with
    P(X ≤ u) ≥ 1 − alpha; a count above it is unusual."""
    mean = max(mean, MIN_BASELINE)
    u = 0
    while poisson_cdf(u, mean) < 1 - alpha:
        u += 1
    return u


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass
class Week:
    start: dt.date  # its Monday
    count: int
    baseline: float | None  # the expected count; None without history
    limit: int | None
    basis: str  # "seasonal", "recent" or ""

    @property
    def unusual(self) -> bool:
        return self.limit is not None and self.count > self.limit

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)


@dataclass
class Trend:
    key: str  # an indicator's name ("events.burglary") or "category:<code>"
    label: str
    kind: str  # "crime" or "category"
    weeks: list[Week] = field(default_factory=list)

    @property
    def last(self) -> Week:
        return self.weeks[-1]

    @property
    def unusual_weeks(self) -> list[Week]:
        return [w for w in self.weeks if w.unusual]


def baseline(counts: dict[dt.date, int], week: dt.date, covered_from: dt.date) -> tuple[float | None, str]:
    """The expected count of ``week`` (a Monday) from ``counts`` ({Monday: count}); only weeks
    starting on or after ``covered_from`` (the first Monday the records cover) are history."""
    seasonal = [
        counts.get(week - years * YEAR + dt.timedelta(weeks=j), 0)
        for years in range(1, HISTORY_YEARS + 1)
        for j in range(-SEASON_SPREAD, SEASON_SPREAD + 1)
        if week - years * YEAR + dt.timedelta(weeks=j) >= covered_from
    ]
    if len(seasonal) >= 2 * SEASON_SPREAD + 1:
        return sum(seasonal) / len(seasonal), "seasonal"
    recent = [
        counts.get(week - dt.timedelta(weeks=j), 0)
        for j in range(1, RECENT_WEEKS + 1)
        if week - dt.timedelta(weeks=j) >= covered_from
    ]
    if len(recent) >= MIN_RECENT:
        return sum(recent) / len(recent), "recent"
    return None, ""


def _history_start(first: dt.date) -> dt.date:
    return first - HISTORY_YEARS * YEAR - dt.timedelta(weeks=SEASON_SPREAD + RECENT_WEEKS)


def _weekly_from_rollups(node: Node, names: list[str], since: dt.date, until: dt.date) -> dict:
    rows = (
        DailyCount.objects.filter(
            Q(path=node.path) | Q(path__startswith=node.path + "/"),
            indicator__in=names,
            day__gte=since,
            day__lte=until,
        )
        .values("indicator", "day")
        .annotate(n=Sum("value"))
        .order_by()
    )
    out: dict[str, dict[dt.date, int]] = {name: {} for name in names}
    for row in rows:
        week = monday(row["day"])
        out[row["indicator"]][week] = out[row["indicator"]].get(week, 0) + row["n"]
    return out


def _weekly_from_records(qs, date_field: str, counts: dict) -> dict[str, dict[dt.date, int]]:
    """{key: {Monday: count}} of ``qs`` grouped by local week, one Count per key."""
    rows = qs.annotate(week=TruncWeek(date_field)).values("week").annotate(**counts).order_by()
    out: dict[str, dict[dt.date, int]] = {key: {} for key in counts}
    for row in rows:
        week = row["week"]
        week = timezone.localtime(week).date() if isinstance(week, dt.datetime) else week
        for key in counts:
            if row[key]:
                out[key][week] = row[key]
    return out


def _covered_from(user, node: Node) -> dt.date | None:
    """The first Monday the node's events cover (the history a baseline may use)."""
    received = registry.indicators().get("events.received")
    if received is None:
        return None
    first = received.queryset(user, node.path).aggregate(first=Min("opened_at"))["first"]
    return monday(timezone.localdate(first)) if first else None


def trends(
    user, *, unit: str = "", end: dt.date | None = None, weeks: int = 12, categories: bool = True
) -> tuple[Node, list[Trend]]:
    """The last ``weeks`` whole weeks up to ``end`` (default: the week before this one) for the
    node (``unit``, as the dashboard resolves it): a trend per crime figure and per top-level
    event category, each week with its baseline, limit and whether it is unusual."""
    node = resolve_node(user, unit)
    end = end or timezone.localdate() - dt.timedelta(days=7)
    last = monday(end)
    shown = [last - dt.timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
    since = _history_start(shown[0])
    until = last + dt.timedelta(days=6)
    covered = _covered_from(user, node)

    declared = registry.indicators()
    names = [f"events.{c}" for c in CRIME_FIGURES if f"events.{c}" in declared]
    use_rollups = node.complete and not node.is_grid and node.path.count("/") + 1 <= rollups.STATION_DEPTH
    if use_rollups:
        rollups.refresh()
        crime = _weekly_from_rollups(node, names, since, until)
    else:
        crime = {}
        for name in names:
            ind = declared[name]
            qs = ind.queryset(user, node.path, since, until)
            crime.update({name: _weekly_from_records(qs, ind.date_field, {"n": Count("pk")})["n"]})
    series = [(name, str(declared[name].label), "crime", crime[name]) for name in names]

    if categories and "events.received" in declared:
        roots = list(Category.objects.filter(parent__isnull=True).order_by("code"))
        received = declared["events.received"]
        qs = received.queryset(user, node.path).filter(
            opened_at__gte=start_of(since), opened_at__lt=start_of(until + dt.timedelta(days=1))
        )
        counts = {
            f"c{i}": Count("pk", filter=Q(category__code__startswith=root.code))
            for i, root in enumerate(roots)
        }
        by_root = _weekly_from_records(qs, "opened_at", counts) if roots else {}
        series += [
            (f"category:{root.code}", category_label(root), "category", by_root[f"c{i}"])
            for i, root in enumerate(roots)
        ]

    out = []
    for key, label, kind, counts in series:
        trend = Trend(key, label, kind)
        for week in shown:
            mean, basis = baseline(counts, week, covered) if covered else (None, "")
            trend.weeks.append(
                Week(week, counts.get(week, 0), mean, upper_limit(mean) if mean is not None else None, basis)
            )
        out.append(trend)
    return node, out


def unusual(trend_list: list[Trend]) -> list[tuple[Trend, Week]]:
    """The trends whose last week is unusual, the most unusual (count over limit) first."""
    hits = [(t, t.last) for t in trend_list if t.weeks and t.last.unusual]
    return sorted(hits, key=lambda tw: -(tw[1].count - (tw[1].limit or 0)))


def describe(week: Week) -> str:
    if week.baseline is None:
        return _("no history yet")
    return _("%(count)d against an expected %(baseline).1f (limit %(limit)d)") % {
        "count": week.count,
        "baseline": week.baseline,
        "limit": week.limit,
    }
