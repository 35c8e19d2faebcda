"""The closed loop's indicators per jurisdiction and period (issue 4 §6, DOMAIN.md "Indicators").

A jurisdiction is a node of the police tree (the user's scope, or a unit or grid below it); its
rows are the node's children (the stations of a county, the districts of a station, the grids of
a district; a grid is its own only row). The period is two dates, both included.

Every figure counts a cohort: the events **opened** in the period (in the node, visible to the
user), as they stand now. So "due to close" is simply the filed events opened in the period — the
documented simplification of "filed events whose first limit fell in the period" — and closed,
closed on time, reworked and so on are subsets of it. That keeps every count equal to one list of
events (``params``: the :class:`~fengqiao.events.selectors.EventFilter` parameters that select
exactly those events; the tests hold the two to each other):

- received: opened in the period; filed: neither still awaiting filing nor rejected or merged;
- closed: closed now (a reopened event counts once it is closed again);
- 结案率 = closed / filed; 按期结案率 = closed without a missed limit / filed;
- 返工率 = reworked / handled, handled = reported back at least once;
- closed within the grid / the community = closed while held by a grid / by a grid or a police
  district (the depth of ``holder_path``), as shares of closed;
- average time per step: from the timeline, the clock time between entering a status and leaving
  it, per status, over the cohort's finished stays.

同比 compares with the same dates a year earlier, 环比 with the period just before (whole months
shift by months: March → February, a quarter → the quarter before; other periods by their length).
Counts change as a ratio ((now − then) / then, DOMAIN.md); rates change in percentage points.

All of it is counted by the database: one grouped aggregate per period (``Count(filter=Q)``,
grouped by the child's path segment), one windowed query for the step times and two for the
monthly chart, whatever the number of events.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.db.models import Case, CharField, Count, F, FloatField, Func, Q, Value, When, Window
from django.db.models.functions import Lag, StrIndex, Substr
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core.casework import LEVELS
from fengqiao.core.models import TimelineEntry
from fengqiao.core.params import start_of
from fengqiao.core.rates import HIGHER, LOWER, NEUTRAL, Rate, per_10k, ranked
from fengqiao.core.scoping import is_staff, path_within, scope_prefixes, scope_q
from fengqiao.events.choices import Status
from fengqiao.events.models import Event
from fengqiao.events.selectors import COMMUNITY_DEPTH, FILED, GRID_DEPTH, HANDLED_Q, HOLDER_DEPTH
from fengqiao.events.workflow import EVENT_WORKFLOW, OPEN
from fengqiao.geo.models import Grid, PoliceUnit
from fengqiao.registry.models import Person

# The longest period one request may count (ten years): the chart and the queries stay bounded.
MAX_DAYS = 3660
CHART_MONTHS = 12


def may_see_indicators(user) -> bool:
    return is_staff(user) and (user.is_superuser or bool(user.scope_paths()))


# ---------------------------------------------------------------------------------------------
# the figures


@dataclass(frozen=True)
class CountDef:
    name: str
    label: str
    params: dict  # EventFilter parameters beyond the node and the period
    q: Q  # the same selection, for Count(filter=...)
    better: str = NEUTRAL


def _counts(now: dt.datetime) -> list[CountDef]:
    closed = Q(status=Status.CLOSED)
    return [
        CountDef("received", gettext_lazy("received"), {}, Q()),
        CountDef("filed", gettext_lazy("filed"), {"filed": "1"}, Q(status__in=FILED)),
        CountDef("closed", gettext_lazy("closed"), {"status": Status.CLOSED}, closed, HIGHER),
        CountDef(
            "closed_on_time",
            gettext_lazy("closed on time"),
            {"on_time": "1"},
            closed & Q(missed_deadlines=0),
            HIGHER,
        ),
        CountDef("handled", gettext_lazy("handled"), {"handled": "1"}, HANDLED_Q),
        CountDef("reworked", gettext_lazy("reworked"), {"reworked": "1"}, Q(rework_count__gt=0), LOWER),
        CountDef(
            "closed_in_grid",
            gettext_lazy("closed within the grid"),
            {"within": "grid"},
            closed & Q(holder_depth__gte=GRID_DEPTH),
        ),
        CountDef(
            "closed_in_community",
            gettext_lazy("closed within the community"),
            {"within": "community"},
            closed & Q(holder_depth__gte=COMMUNITY_DEPTH),
        ),
        CountDef("escalated", gettext_lazy("escalated"), {"escalated": "1"}, Q(level__gt=0), LOWER),
        CountDef("reopened", gettext_lazy("reopened"), {"reopened": "1"}, Q(reopen_count__gt=0), LOWER),
        CountDef("open", gettext_lazy("still open"), {"status": "open"}, Q(status__in=OPEN), LOWER),
        CountDef(
            "overdue",
            gettext_lazy("overdue now"),
            {"overdue": "1"},
            Q(status__in=OPEN, due_at__lte=now),
            LOWER,
        ),
    ]


COUNT_NAMES = [c.name for c in _counts(timezone.now())]

# rate: (label, numerator, denominator, which way is better)
RATES = {
    "closure_rate": (gettext_lazy("closure rate"), "closed", "filed", HIGHER),
    "on_time_rate": (gettext_lazy("on-time closure rate"), "closed_on_time", "filed", HIGHER),
    "rework_rate": (gettext_lazy("rework rate"), "reworked", "handled", LOWER),
    "grid_share": (gettext_lazy("share closed within the grid"), "closed_in_grid", "closed", HIGHER),
    "community_share": (
        gettext_lazy("share closed within the community"),
        "closed_in_community",
        "closed",
        HIGHER,
    ),
}

# figure: (label, the count divided by the population in 10,000s)
PER_10K = {"received_per_10k": (gettext_lazy("received per 10,000 residents"), "received")}

# The rate the rows are ranked by.
RANKED_BY = "closure_rate"

# The steps whose time is measured: the open states, in the order of the loop.
STEPS = [s for s in EVENT_WORKFLOW.states if s.open]


def change(now, then, *, rate: bool) -> float | None:
    """同比/环比: a count's relative change, a rate's change in points (as a fraction: 0.05 = 5 points)."""
    if now is None or then is None:
        return None
    if rate:
        return now - then
    if not then:
        return None
    return (now - then) / then


@dataclass
class Figure:
    name: str
    label: str
    value: float | int | None
    last_year: float | int | None
    previous: float | int | None
    params: dict  # the EventFilter parameters of the events behind it (a rate: its numerator's)
    rate: bool = False
    denominator: str = ""
    better: str = NEUTRAL
    share: Rate | None = None  # a rate's numerator and denominator in the period (core.rates)
    population: int | None = None  # a figure per 10,000 residents: the registry's population

    @property
    def reliable(self) -> bool:
        """A count, or a rate from enough cases to compare (core.rates)."""
        return self.share is None or self.share.reliable

    @property
    def yoy(self) -> float | None:
        return change(self.value, self.last_year, rate=self.rate)

    @property
    def mom(self) -> float | None:
        return change(self.value, self.previous, rate=self.rate)

    @property
    def query(self) -> str:
        return urlencode(self.params)


@dataclass
class StepTime:
    status: str
    label: str
    hours: float | None
    count: int  # finished stays measured


@dataclass
class Row:
    path: str
    code: str
    name: str
    level: str
    figures: dict[str, Figure] = field(default_factory=dict)
    steps: list[StepTime] = field(default_factory=list)

    def __getitem__(self, name):  # templates: row.figures.received reads as row.received too
        return self.figures[name]


# ---------------------------------------------------------------------------------------------
# periods


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # included

    def params(self) -> dict:
        return {"opened_from": self.start.isoformat(), "opened_to": self.end.isoformat()}

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return start_of(self.start), start_of(self.end + dt.timedelta(days=1))

    @property
    def whole_months(self) -> bool:
        return self.start.day == 1 and self.end.day == _month_days(self.end)

    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def last_year(self) -> Period:
        return Period(_shift_months(self.start, -12, False), _shift_months(self.end, -12, self.whole_months))

    def previous(self) -> Period:
        """The period just before: as many whole months before when it starts on a first of the
        month (a month to date compares with the same days of the month before), else as many days."""
        if self.start.day == 1:
            n = self.months()
            return Period(
                _shift_months(self.start, -n, False), _shift_months(self.end, -n, self.whole_months)
            )
        days = (self.end - self.start).days + 1
        return Period(self.start - dt.timedelta(days=days), self.start - dt.timedelta(days=1))


def _month_days(day: dt.date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _shift_months(day: dt.date, months: int, to_month_end: bool) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, last if to_month_end else min(day.day, last))


def default_period(today: dt.date | None = None) -> Period:
    """The last whole month: the monthly report (月报)."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    end = first - dt.timedelta(days=1)
    return Period(end.replace(day=1), end)


def check_period(start: dt.date | None, end: dt.date | None, today: dt.date | None = None) -> Period:
    default = default_period(today)
    start = start or (default.start if end is None else end.replace(day=1))
    end = end or (default.end if start == default.start else timezone.localdate())
    if start > end:
        raise ValidationError({"start": [_("The start is after the end.")]})
    if (end - start).days > MAX_DAYS:
        raise ValidationError({"start": [_("Count at most ten years at a time.")]})
    return Period(start, end)


# ---------------------------------------------------------------------------------------------
# the jurisdiction


@dataclass(frozen=True)
class Node:
    path: str
    code: str
    name: str
    level: str
    is_grid: bool = False
    complete: bool = True  # False: above the user's postings, only the part they see is counted


def _level(path: str) -> str:
    return LEVELS.get(path.count("/") + 1, "")


def _node_at(user, path: str, *, complete: bool = True) -> Node | None:
    unit = PoliceUnit.objects.filter(path=path).only("path", "code", "name").first()
    if unit is not None:
        return Node(unit.path, unit.code, unit.name, _level(path), complete=complete)
    grid = Grid.objects.visible_to(user).filter(scope_path=path).only("scope_path", "code", "name").first()
    if grid is not None:
        return Node(grid.scope_path, grid.code, grid.name, _level(path), is_grid=True, complete=complete)
    return None


def _common_path(paths: list[str]) -> str:
    split = [p.split("/") for p in paths]
    common = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/".join(common)


def resolve_node(user, unit: str = "") -> Node:
    """The jurisdiction to count: ``unit`` (a path within the user's scope), else the user's own."""
    if not may_see_indicators(user):
        raise PermissionDenied(_("Only staff see the indicators."))
    prefixes = scope_prefixes(user)
    unit = (unit or "").strip().rstrip("/")
    complete = True
    if not unit:
        if prefixes is None:
            root = PoliceUnit.objects.filter(parent__isnull=True).order_by("path").first()
            unit = root.path if root is not None else ""
        elif len(prefixes) == 1:
            unit = prefixes[0]
        else:
            unit, complete = _common_path(prefixes), False
    elif not path_within(unit, prefixes):
        unit = ""
    node = _node_at(user, unit, complete=complete) if unit else None
    if node is None:
        raise ValidationError({"unit": [_("No unit or grid %(path)s in your area.") % {"path": unit}]})
    return node


def breadcrumbs(user, node: Node) -> list[Node]:
    """The nodes from the top the user may count down to ``node``'s parent."""
    prefixes = scope_prefixes(user)
    parts = node.path.split("/")
    ancestors = ["/".join(parts[:i]) for i in range(1, len(parts))]
    units = {u.path: u for u in PoliceUnit.objects.filter(path__in=ancestors).only("path", "code", "name")}
    return [
        Node(p, units[p].code, units[p].name, _level(p))
        for p in ancestors
        if p in units and path_within(p, prefixes)
    ]


def _children(user, node: Node) -> list[Node]:
    if node.is_grid:
        return [node]
    prefixes = scope_prefixes(user)
    units = list(
        PoliceUnit.objects.filter(parent__path=node.path).order_by("code").only("path", "code", "name")
    )
    if units:
        rows = [(u.path, u.code, u.name) for u in units]
    else:
        grids = Grid.objects.visible_to(user).filter(district__path=node.path).order_by("code")
        rows = list(grids.values_list("scope_path", "code", "name"))
    if not node.complete:  # only the children the user sees, whole or in part
        rows = [
            r for r in rows if path_within(r[0], prefixes) or any(p.startswith(r[0] + "/") for p in prefixes)
        ]
    return [
        Node(path, code, name, _level(path), is_grid=path.count("/") + 1 >= GRID_DEPTH)
        for path, code, name in rows
    ]


def _key(node: Node, child: Node) -> str:
    """The child's code as :func:`_with_child` reads it off an event's path."""
    return "" if node.is_grid else child.path.rsplit("/", 1)[-1]


# ---------------------------------------------------------------------------------------------
# counting


def _cohort(user, node: Node, period: Period):
    """The events opened in the period at or under the node, as the user sees them."""
    start, end = period.bounds()
    qs = Event.objects.visible_to(user)
    vendor = connections[qs.db].vendor
    return qs.filter(scope_q([node.path], vendor=vendor), opened_at__gte=start, opened_at__lt=end)


def _with_child(qs, node: Node):
    """Annotate ``child``: the path segment after the node's (the code of the child the event
    lies under), in SQL; "" when the node is a grid, its own only row."""
    if node.is_grid:
        return qs.annotate(child=Value("", output_field=CharField()))
    rest = Substr("scope_path", len(node.path) + 2)
    return qs.annotate(slash_at=StrIndex(rest, Value("/"))).annotate(
        child=Case(
            When(slash_at__gt=0, then=Substr(rest, 1, F("slash_at") - 1)),
            default=rest,
            output_field=CharField(),
        )
    )


def _population_by_child(user, node: Node) -> dict[str, int]:
    """The registry's population under each child (people recorded and not retired, as the user
    sees them): what a figure per 10,000 residents divides by. One grouped count."""
    qs = Person.objects.visible_to(user)
    vendor = connections[qs.db].vendor
    qs = qs.filter(scope_q([node.path], vendor=vendor), retired_at__isnull=True)
    rows = _with_child(qs, node).values("child").annotate(n=Count("pk")).order_by()
    return {r["child"]: r["n"] for r in rows}


def _count_by_child(user, node: Node, period: Period, defs: list[CountDef]) -> dict[str, dict[str, int]]:
    qs = _with_child(_cohort(user, node, period), node).alias(holder_depth=HOLDER_DEPTH)
    aggregates = {d.name: Count("pk", filter=d.q) if d.q else Count("pk") for d in defs}
    rows = qs.values("child").annotate(**aggregates).order_by()
    return {r["child"]: {d.name: r[d.name] for d in defs} for r in rows}


class Epoch(Func):
    """Seconds since 1970 of a datetime, on SQLite and PostgreSQL."""

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"((julianday({sql}) - 2440587.5) * 86400.0)", params

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(EXTRACT(EPOCH FROM {sql}) AS double precision)", params


def _step_times(user, node: Node, period: Period) -> dict[str, dict[str, tuple[float, int]]]:
    """{child: {status: (average seconds, stays)}} over the cohort's finished stays in open states.

    The timeline's status changes of each event, in order; a change leaves ``from_status``, and
    the change before it (LAG) entered it. Notes, reminders and reassignments keep the status and
    are left out, so they do not cut a stay in two."""
    cohort = _cohort(user, node, period)
    changes = (
        TimelineEntry.objects.filter(case_type=EVENT_WORKFLOW.case_type, case_id__in=cohort.values("pk"))
        .exclude(from_status=F("to_status"))
        .annotate(
            left_s=Epoch("at"),
            entered_s=Window(Lag(Epoch("at")), partition_by=[F("case_id")], order_by=[F("id").asc()]),
        )
        .values("case_id", "from_status", "left_s", "entered_s")
    )
    children = _with_child(cohort, node).annotate(event_id=F("pk")).values("event_id", "child")
    changes_sql, changes_params = changes.query.sql_with_params()
    children_sql, children_params = children.query.sql_with_params()
    steps = [s.name for s in STEPS]
    marks = ", ".join(["%s"] * len(steps))
    sql = (
        f"SELECT e.child, t.from_status, AVG(t.left_s - t.entered_s), COUNT(*) "
        f"FROM ({changes_sql}) t INNER JOIN ({children_sql}) e ON e.event_id = t.case_id "
        f"WHERE t.entered_s IS NOT NULL AND t.from_status IN ({marks}) "
        f"GROUP BY e.child, t.from_status"
    )
    out: dict[str, dict[str, tuple[float, int]]] = {}
    with connections[cohort.db].cursor() as cursor:
        cursor.execute(sql, [*changes_params, *children_params, *steps])
        for child, status, seconds, stays in cursor.fetchall():
            out.setdefault(child, {})[status] = (float(seconds), stays)
    return out


def _monthly(user, node: Node, period: Period) -> list[dict]:
    """Received (by the day opened) and closed (by the day closed) per month, for the twelve
    months up to the end of the period: one aggregate each, a filtered count per month (no
    per-row date truncation, which SQLite would do in Python)."""
    first = _shift_months(period.end.replace(day=1), -(CHART_MONTHS - 1), False)
    months = [_shift_months(first, i, False) for i in range(CHART_MONTHS + 1)]
    bounds = [start_of(m) for m in months]
    qs = Event.objects.visible_to(user)
    in_node = scope_q([node.path], vendor=connections[qs.db].vendor)

    def per_month(field: str, extra: Q) -> dict:
        window = {f"{field}__gte": bounds[0], f"{field}__lt": bounds[-1]}
        counts = {
            f"m{i}": Count("pk", filter=Q(**{f"{field}__gte": bounds[i], f"{field}__lt": bounds[i + 1]}))
            for i in range(CHART_MONTHS)
        }
        return qs.filter(in_node, extra, **window).aggregate(**counts)

    received = per_month("opened_at", Q())
    closed = per_month("closed_at", Q(status=Status.CLOSED))
    return [
        {
            "month": m,
            "label": f"{m.year}-{m.month:02d}",
            "received": received[f"m{i}"],
            "closed": closed[f"m{i}"],
        }
        for i, m in enumerate(months[:-1])
    ]


# ---------------------------------------------------------------------------------------------
# the answer


@dataclass
class Indicators:
    node: Node
    breadcrumbs: list[Node]
    period: Period
    last_year: Period
    previous: Period
    rows: list[Row]
    total: Row
    monthly: list[dict]
    count_labels: dict = field(default_factory=dict)
    rate_labels: dict = field(default_factory=dict)
    # The rows by the ranked rate, best first; the rows whose rate rests on too few cases
    # (core.rates) take no place and are listed apart.
    ranking: list[Row] = field(default_factory=list)
    unranked: list[Row] = field(default_factory=list)


def _figures(
    counts: dict, last: dict, prev: dict, defs: list[CountDef], base: dict, population: int
) -> dict[str, Figure]:
    figures = {}
    for d in defs:
        figures[d.name] = Figure(
            d.name,
            str(d.label),
            counts.get(d.name, 0),
            last.get(d.name, 0),
            prev.get(d.name, 0),
            {**base, **d.params},
            better=d.better,
        )
    by_name = {d.name: d for d in defs}
    for name, (label, numerator, denominator, better) in RATES.items():

        def share(values, numerator=numerator, denominator=denominator) -> Rate:
            return Rate(values.get(numerator, 0), values.get(denominator, 0))

        figures[name] = Figure(
            name,
            str(label),
            share(counts).value,
            share(last).value,
            share(prev).value,
            {**base, **by_name[numerator].params},
            rate=True,
            denominator=denominator,
            better=better,
            share=share(counts),
        )
    for name, (label, count) in PER_10K.items():
        figures[name] = Figure(
            name,
            str(label),
            per_10k(counts.get(count, 0), population),
            per_10k(last.get(count, 0), population),
            per_10k(prev.get(count, 0), population),
            {**base, **by_name[count].params},
            better=by_name[count].better,
            population=population,
        )
    return figures


def _steps(times: dict[str, tuple[float, int]]) -> list[StepTime]:
    return [
        StepTime(
            s.name,
            str(s.label),
            round(times[s.name][0] / 3600, 2) if s.name in times else None,
            times[s.name][1] if s.name in times else 0,
        )
        for s in STEPS
    ]


def _sum(rows: list[dict]) -> dict:
    total: dict[str, int] = {}
    for r in rows:
        for k, v in r.items():
            total[k] = total.get(k, 0) + v
    return total


def indicators(
    user, *, unit: str = "", start: dt.date | None = None, end: dt.date | None = None
) -> Indicators:
    """Every indicator for the node (``unit``, default the user's scope) and the period."""
    node = resolve_node(user, unit)
    period = check_period(start, end)
    last_year, previous = period.last_year(), period.previous()
    defs = _counts(timezone.now())
    current = _count_by_child(user, node, period, defs)
    then = _count_by_child(user, node, last_year, defs)
    before = _count_by_child(user, node, previous, defs)
    times = _step_times(user, node, period)
    population = _population_by_child(user, node)

    children = _children(user, node)
    known = {_key(node, c) for c in children}
    for code in sorted(set(current) - known):  # events under a child no longer in the tree
        children.append(Node(f"{node.path}/{code}", code, code, _level(f"{node.path}/{code}")))
    rows = []
    for child in children:
        key = _key(node, child)
        base = {"unit": child.path, **period.params()}
        row = Row(child.path, child.code, child.name, child.level)
        row.figures = _figures(
            current.get(key, {}), then.get(key, {}), before.get(key, {}), defs, base, population.get(key, 0)
        )
        row.steps = _steps(times.get(key, {}))
        rows.append(row)

    total = Row(node.path, node.code, node.name, node.level)
    total.figures = _figures(
        _sum(list(current.values())),
        _sum(list(then.values())),
        _sum(list(before.values())),
        defs,
        {"unit": node.path, **period.params()},
        sum(population.values()),
    )
    pooled: dict[str, tuple[float, int]] = {}
    for per_status in times.values():
        for status, (seconds, stays) in per_status.items():
            total_s, total_n = pooled.get(status, (0.0, 0))
            pooled[status] = (total_s + seconds * stays, total_n + stays)
    total.steps = _steps({s: (t / n, n) for s, (t, n) in pooled.items() if n})

    ranking = ranked(rows, lambda row: row.figures[RANKED_BY].share) if len(rows) > 1 else []
    return Indicators(
        node=node,
        breadcrumbs=breadcrumbs(user, node),
        period=period,
        last_year=last_year,
        previous=previous,
        rows=rows,
        total=total,
        monthly=_monthly(user, node, period),
        count_labels={d.name: str(d.label) for d in defs},
        rate_labels={name: str(v[0]) for name, v in RATES.items()},
        ranking=ranking,
        unranked=[row for row in rows if row not in ranking],
    )


def list_url(params: dict) -> str:
    """The event list behind a figure, when the list page is installed."""
    try:
        base = reverse("event_list")
    except NoReverseMatch:
        return ""
    return f"{base}?{urlencode(params)}"
