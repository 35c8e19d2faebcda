"""Near-repeat analysis and warnings (issue 16 §4), as Ratcliffe's Near Repeat Calculator does it.

The Knox test over spatial bands × temporal bands: every pair of events is counted in the cell of
its distance and its time apart; the times are then shuffled among the events (999 Monte Carlo
permutations, seeded) and the pairs counted again. Per cell: the observed count, the expected
count (the permutations' mean), their ratio, and the p-value (permutations at least as large as
the observed count, plus one, over the permutations plus one).

Bands as the calculator draws them (and Steenbeek's NearRepeat package, which reproduces it):
"same location" (under half a metre apart), then ``(0, b]``, ``(b, 2b]``, … up to ``n·b`` metres,
and "more than n·b"; times ``[0, t]``, ``(t, 2t]``, … up to ``m·t`` days, and "more than m·t".
Days apart are whole days between the dates the events opened.

Counting every pair at every permutation would cost n² × 999. Two facts make it cheap: a
permutation only moves times among events, so the set of time gaps — hence each time band's
total over all distances — never changes; and only the pairs within ``n·b`` metres land in a
finite distance band. So the pairs within reach are found once (a k-d tree) and only they are
recounted; the "more than n·b" row is each time band's total minus the rows above it.

A warning: when a new event of a watched class falls where the near-repeat risk of its county is
significant (the nearest cells at p ≤ 0.05 with a ratio above 1; the risk reaches as far as the
significant cells touching them), the grid workers and community officers of every grid within
the risky distance are told, with the risky number of days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.models import Posting
from fengqiao.analytics.spatial import NOT_COUNTED, city_lattice, project
from fengqiao.core import audit
from fengqiao.core.context import Source, acting_as
from fengqiao.core.notifications.actions import notify
from fengqiao.core.roles import Role
from fengqiao.events.choices import CrimeClass
from fengqiao.events.models import Event

PERMUTATIONS = 999
SEED = 20261206
ALPHA = 0.05
SAME_PLACE_M = 0.5
# The calculator's usual settings for burglary (Ratcliffe's examples): 100 m × 5, 7 days × 4.
SPATIAL_BAND_M = 100
SPATIAL_BANDS = 5
TEMPORAL_BAND_DAYS = 7
TEMPORAL_BANDS = 4
# The events a warning looks back on, and how far back a new event is still news.
HISTORY_DAYS = 365
FRESH_HOURS = 48
# The crime classes watched for near repeats (events.choices.CrimeClass).
WATCHED = (CrimeClass.BURGLARY,)

NEAR_REPEAT_WARNED = audit.register("near_repeat_warned", "sent a near-repeat warning")
NOTIFICATION_KIND = "near_repeat_warning"


@dataclass
class Bands:
    spatial_m: float = SPATIAL_BAND_M
    spatial_n: int = SPATIAL_BANDS
    temporal_days: int = TEMPORAL_BAND_DAYS
    temporal_n: int = TEMPORAL_BANDS

    def check(self) -> None:
        errors = {}
        if not 1 <= self.spatial_m <= 5000:
            errors["spatial_m"] = [_("A distance band is 1 to 5,000 metres.")]
        if not 1 <= self.spatial_n <= 20:
            errors["spatial_n"] = [_("Choose 1 to 20 distance bands.")]
        if not 1 <= self.temporal_days <= 365:
            errors["temporal_days"] = [_("A time band is 1 to 365 days.")]
        if not 1 <= self.temporal_n <= 20:
            errors["temporal_n"] = [_("Choose 1 to 20 time bands.")]
        if errors:
            raise ValidationError(errors)

    @property
    def reach_m(self) -> float:
        return self.spatial_m * self.spatial_n

    def spatial_band(self, d: np.ndarray) -> np.ndarray:
        """Row of each distance: 0 same location, k for ((k−1)·b, k·b], n+1 beyond."""
        d = np.asarray(d, dtype=float)
        k = np.ceil(d / self.spatial_m).astype(np.int64)
        k = np.where(d < SAME_PLACE_M, 0, np.maximum(k, 1))
        return np.minimum(k, self.spatial_n + 1)

    def temporal_band(self, days: np.ndarray) -> np.ndarray:
        """Column of each gap in days: 0 for [0, t], k for (k·t, (k+1)·t], n beyond."""
        days = np.asarray(days, dtype=np.int64)
        k = np.maximum(np.ceil(days / self.temporal_days).astype(np.int64) - 1, 0)
        return np.minimum(k, self.temporal_n)

    def spatial_labels(self) -> list[str]:
        b = self.spatial_m
        labels = [_("same location")]
        labels += [
            _("%(low)d–%(high)d m") % {"low": (k - 1) * b, "high": k * b}
            for k in range(1, self.spatial_n + 1)
        ]
        labels.append(_("more than %(m)d m") % {"m": self.reach_m})
        return labels

    def temporal_labels(self) -> list[str]:
        t = self.temporal_days
        labels = [_("0–%(high)d days") % {"high": t}]
        labels += [
            _("%(low)d–%(high)d days") % {"low": k * t + 1, "high": (k + 1) * t}
            for k in range(1, self.temporal_n)
        ]
        labels.append(_("more than %(days)d days") % {"days": t * self.temporal_n})
        return labels


@dataclass
class Knox:
    bands: Bands
    events: int
    observed: np.ndarray  # (spatial_n + 2, temporal_n + 1)
    expected: np.ndarray
    p: np.ndarray
    permutations: int
    significant: np.ndarray = field(init=False)

    def __post_init__(self):
        with np.errstate(divide="ignore", invalid="ignore"):
            self.ratio = np.where(self.expected > 0, self.observed / self.expected, np.nan)
        self.significant = (self.p <= ALPHA) & (self.ratio > 1)

    def risk(self) -> tuple[float, int] | None:
        """The risky distance (metres) and number of days: how far the significant cells above
        expectation reach from the nearest ones (same location or the first distance band, in
        the first time band), moving from cell to touching cell. A lone significant cell far
        out is no near repeat (with some thirty cells tested at 5%, one may flicker by chance).
        None when the nearest cells are not significant."""
        finite = self.significant[: self.bands.spatial_n + 1, : self.bands.temporal_n]
        seeds = [(r, 0) for r in (0, 1) if r < finite.shape[0] and finite[r, 0]]
        if not seeds:
            return None
        reached, todo = set(seeds), list(seeds)
        while todo:
            r, c = todo.pop()
            for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                inside = 0 <= nr < finite.shape[0] and 0 <= nc < finite.shape[1]
                if inside and finite[nr, nc] and (nr, nc) not in reached:
                    reached.add((nr, nc))
                    todo.append((nr, nc))
        distance = float(max(r for r, _c in reached) * self.bands.spatial_m)  # row 0 (same place): 0 m
        days = int((max(c for _r, c in reached) + 1) * self.bands.temporal_days)
        return distance, days


def close_pairs(x: np.ndarray, y: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs (i < j) of points at most ``reach`` metres apart, with their distances."""
    from scipy.spatial import cKDTree

    if len(x) < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    points = np.column_stack([x, y])
    pairs = cKDTree(points).query_pairs(r=reach, output_type="ndarray")
    if pairs.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    i, j = pairs[:, 0], pairs[:, 1]
    d = np.hypot(x[i] - x[j], y[i] - y[j])
    return i, j, d


def _time_band_totals(days: np.ndarray, bands: Bands) -> np.ndarray:
    """How many pairs of all the events fall in each time band (permutations leave it as it is).
    From the events per day: the pairs ``g`` days apart are Σ c[d]·c[d+g] (and Σ c(c−1)/2 on the
    same day), a correlation over the days of the span instead of a loop over the n² pairs."""
    days = np.asarray(days, dtype=np.int64)
    totals = np.zeros(bands.temporal_n + 1, dtype=np.int64)
    if days.size < 2:
        return totals
    c = np.bincount(days - days.min()).astype(np.int64)
    span = c.size
    pairs = np.array([int((c * (c - 1)).sum() // 2)] + [int(np.dot(c[:-g], c[g:])) for g in range(1, span)])
    np.add.at(totals, bands.temporal_band(np.arange(span)), pairs)
    return totals


def knox(
    x, y, days, *, bands: Bands | None = None, permutations: int = PERMUTATIONS, seed: int = SEED
) -> Knox:
    """The Knox table of points (metres) and their days (integers), with Monte Carlo p-values."""
    bands = bands or Bands()
    bands.check()
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    days = np.asarray(days, dtype=np.int64)
    n_rows, n_cols = bands.spatial_n + 2, bands.temporal_n + 1
    i, j, d = close_pairs(x, y, bands.reach_m)
    rows = bands.spatial_band(d)
    inside = rows <= bands.spatial_n  # at the reach's edge a float may still say "beyond"
    i, j, rows = i[inside], j[inside], rows[inside]
    totals = _time_band_totals(days, bands)

    def table(t: np.ndarray) -> np.ndarray:
        cols = bands.temporal_band(np.abs(t[i] - t[j]))
        near = np.bincount(rows * n_cols + cols, minlength=(n_rows - 1) * n_cols).reshape(n_rows - 1, n_cols)
        return np.vstack([near, totals - near.sum(axis=0)])

    observed = table(days)
    rng = np.random.default_rng(seed)
    total = np.zeros((n_rows, n_cols))
    at_least = np.zeros((n_rows, n_cols), dtype=np.int64)
    for _k in range(permutations):
        simulated = table(rng.permutation(days))
        total += simulated
        at_least += simulated >= observed
    expected = total / permutations if permutations else np.full((n_rows, n_cols), np.nan)
    p = (at_least + 1) / (permutations + 1)
    return Knox(bands, int(x.size), observed, expected, p, permutations)


# ---------------------------------------------------------------------------------------------
# the events behind it


def _day_numbers(opened) -> np.ndarray:
    tz = timezone.get_current_timezone()
    return np.array([timezone.localtime(t, tz).date().toordinal() for t in opened], dtype=np.int64)


def knox_of_events(rows, *, bands: Bands | None = None, permutations: int = PERMUTATIONS) -> Knox:
    """The Knox table of (lon, lat, opened_at) rows."""
    rows = list(rows)
    if not rows:
        return knox([], [], [], bands=bands, permutations=permutations)
    lons = np.array([r[0] for r in rows], dtype=float)
    lats = np.array([r[1] for r in rows], dtype=float)
    x, y = project(lons, lats, lat0=float(lats.mean()), lon0=float(lons.mean()))
    return knox(x, y, _day_numbers(r[2] for r in rows), bands=bands, permutations=permutations)


def near_repeat_for(user, choice, *, bands: Bands | None = None, permutations: int = PERMUTATIONS) -> Knox:
    """The Knox table of the chosen events with a point in the user's analysis scope."""
    from fengqiao.analytics.spatial import chosen_events

    rows = (
        chosen_events(user, choice)
        .exclude(lon=None)
        .exclude(lat=None)
        .order_by("opened_at", "id")
        .values_list("lon", "lat", "opened_at")
    )
    return knox_of_events(rows, bands=bands, permutations=permutations)


def class_events(qs, crime: str, *, start: dt.date | None = None, end: dt.date | None = None):
    """The events of a crime class with a point, as (lon, lat, opened)."""
    from fengqiao.core.params import start_of

    qs = qs.filter(crime_class=crime).exclude(status__in=NOT_COUNTED)
    qs = qs.exclude(lon=None).exclude(lat=None)
    if start is not None:
        qs = qs.filter(opened_at__gte=start_of(start))
    if end is not None:
        qs = qs.filter(opened_at__lt=start_of(end + dt.timedelta(days=1)))
    return qs.order_by("opened_at", "id").values_list("lon", "lat", "opened_at")


def grids_within(lon: float, lat: float, distance_m: float) -> list[int]:
    """The active grids at most ``distance_m`` from a point (the grid it lies in among them)."""
    import shapely
    from shapely.geometry import Point

    lattice = city_lattice()
    if not len(lattice):
        return []
    point = Point(lon, lat)

    # the polygons and the point in metres around the point: exact enough within a city
    def to_m(coords):
        x, y = project(coords[:, 0], coords[:, 1], lat0=lat, lon0=lon)
        return np.column_stack([x, y])

    reach = max(distance_m, SAME_PLACE_M)
    degrees = reach / 111_000 / max(np.cos(np.radians(lat)), 0.1) * 1.5
    near = [
        k
        for k, g in enumerate(lattice.geometries)
        if g.distance(point) <= degrees  # a cheap cut before measuring in metres
    ]
    origin = Point(0, 0)
    found = [
        int(lattice.ids[k])
        for k in near
        if shapely.transform(lattice.geometries[k], to_m).distance(origin) <= reach
    ]
    return found


def recipients_for(grid_ids) -> list:
    """The grid workers of these grids and the community officers of their police districts."""
    from fengqiao.geo.models import Grid

    grids = Grid.objects.unscoped(reason="near-repeat warning: find whom to tell").filter(pk__in=grid_ids)
    districts = set(grids.values_list("district_id", flat=True))
    postings = Posting.objects.select_related("user").filter(user__is_active=True).filter(
        grid_id__in=grid_ids, user__role=Role.GRID_WORKER
    ) | Posting.objects.select_related("user").filter(
        user__is_active=True, unit_id__in=districts, user__role=Role.COMMUNITY_OFFICER
    )
    return sorted({p.user for p in postings}, key=lambda u: u.pk)


def _watched_class(event: Event) -> str | None:
    return event.crime_class if event.crime_class in WATCHED else None


def _already_warned(event: Event) -> bool:
    from fengqiao.core.models import AuditEntry

    return AuditEntry.objects.filter(
        action=NEAR_REPEAT_WARNED.name, object_type=event._meta.label_lower, object_id=str(event.pk)
    ).exists()


@dataclass
class Warning:
    event: Event
    distance_m: float
    days: int
    grid_ids: list[int]
    recipients: list


def warn_near_repeat(
    event: Event,
    *,
    actor,
    permutations: int = PERMUTATIONS,
    bands: Bands | None = None,
    tables: dict | None = None,
) -> Warning | None:
    """Tell the people of the grids within the risky distance of a new event of a watched class,
    when its county's near-repeat risk is significant. Once per event (its audit entry says it
    was done); None when there is nothing to say."""
    watched = _watched_class(event)
    if watched is None or event.lon is None or event.lat is None or event.status in NOT_COUNTED:
        return None
    county = "/".join(event.scope_path.split("/")[:2])
    since = timezone.localdate(event.opened_at) - dt.timedelta(days=HISTORY_DAYS)
    history = Event.objects.unscoped(reason="near-repeat warning: the county's events of the class").filter(
        scope_path__startswith=county + "/"
    )
    key = (county, watched, timezone.localdate(event.opened_at))
    tables = {} if tables is None else tables  # one table per county, class and day in a run
    if key not in tables:
        tables[key] = knox_of_events(
            class_events(history, watched, start=since, end=timezone.localdate(event.opened_at)),
            bands=bands,
            permutations=permutations,
        )
    risk = tables[key].risk()
    if risk is None:
        return None
    distance, days = risk
    grid_ids = grids_within(event.lon, event.lat, distance)
    with transaction.atomic():
        locked = (
            Event.objects.unscoped(reason="near-repeat warning: lock the event")
            .select_for_update()
            .get(pk=event.pk)
        )
        if _already_warned(locked):
            return None
        people = recipients_for(grid_ids)
        until = timezone.localdate(event.opened_at) + dt.timedelta(days=days)
        what = CrimeClass(watched).label
        title = _("Near-repeat warning: %(category)s near %(grid)s") % {
            "category": what,
            "grid": event.grid.name,
        }
        body = _(
            "A %(category)s was reported on %(date)s. Past cases here show a raised risk of another "
            "within %(distance)d m in the next %(days)d days (until %(until)s). Patrol, visit and remind "
            "the residents of your grid."
        ) % {
            "category": what,
            "date": timezone.localdate(event.opened_at).isoformat(),
            "distance": distance,
            "days": days,
            "until": until.isoformat(),
        }
        notify(people, kind=NOTIFICATION_KIND, title=title, body=body, scope_path=event.scope_path)
        directives = _directives(event, grid_ids, until, title, body, actor)
        audit.record(
            NEAR_REPEAT_WARNED,
            locked,
            actor=actor,
            after={
                "distance_m": distance,
                "days": days,
                "grids": sorted(grid_ids),
                "recipients": [u.pk for u in people],
                "directives": [d.number for d in directives],
            },
        )
    return Warning(event, distance, days, grid_ids, people)


def _directives(event: Event, grid_ids, until: dt.date, title: str, body: str, actor) -> list:
    """A patrol directive to each risky grid, due when the risky days end (a day at least)."""
    from fengqiao.analytics import directives
    from fengqiao.core.params import start_of
    from fengqiao.geo.models import Grid

    grids = list(
        Grid.objects.unscoped(reason="near-repeat warning: the risky grids get directives")
        .filter(pk__in=grid_ids)
        .order_by("pk")
    )
    if not grids:
        return []
    order = directives.Order(
        grids=grids,
        task=directives.Task.PATROL,
        title=title[:200],
        instructions=body,
        deadline=max(start_of(until + dt.timedelta(days=1)), timezone.now() + dt.timedelta(days=1)),
        source=directives.DirectiveSource.NEAR_REPEAT,
        event=event,
    )
    return directives.issue(order, actor=actor)


def warn_recent(*, now: dt.datetime | None = None, permutations: int = PERMUTATIONS) -> int:
    """The worker's job: warn about the watched events opened in the last ``FRESH_HOURS`` hours
    that have not been looked at yet. Returns how many warnings went out."""
    from fengqiao.core.commands import system_user

    now = now or timezone.now()
    actor = system_user()
    sent = 0
    tables: dict = {}
    with acting_as(actor, Source.WORKER):
        fresh = (
            Event.objects.unscoped(reason="near-repeat warnings: new events of the watched classes")
            .filter(opened_at__gte=now - dt.timedelta(hours=FRESH_HOURS), opened_at__lte=now)
            .exclude(lon=None)
            .filter(crime_class__in=WATCHED)
            .select_related("category", "grid")
            .order_by("opened_at")
        )
        for event in fresh:
            if _watched_class(event) and not _already_warned(event):
                sent += (
                    warn_near_repeat(event, actor=actor, permutations=permutations, tables=tables) is not None
                )
    return sent
