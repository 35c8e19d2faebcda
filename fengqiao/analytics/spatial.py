"""Hotspots of the command room (issue 16 §3): Getis-Ord Gi* per grid, emerging hotspots, and the
point density of the chosen events.

- Gi* is esda's ``G_Local`` (``star=True``, binary weights, 999 conditional permutations with a
  fixed seed) on the counts of the chosen class and period per grid, over the queen contiguity of
  the grid polygons. The weights are built once per process from the grids and kept until the
  grids change (their version: how many, how many active, the latest change). A user's analysis
  covers the grids in their scope only: the weights are cut to those grids, so no count outside
  the scope enters a figure they see.
- A grid is hot (cold) at 90/95/99% confidence when its z-score is positive (negative) and its
  pseudo p-value is at most 0.10/0.05/0.01.
- Emerging hotspots: Gi* per grid per week over a span, the Mann-Kendall trend of each grid's
  weekly z-scores, and the patterns of ArcGIS's Emerging Hot Spot Analysis (new, consecutive,
  intensifying, persistent, diminishing, sporadic, oscillating, historical; hot and cold), a week
  significant at 95% by the normal p-value of its z-score, as ArcGIS reads it.
- Point density: a Gaussian kernel density of the events' points on a raster over their extent.

libpysal and esda are heavy: they are imported inside the functions, so Django's start-up does
not pay for them.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core.params import parse_date, start_of
from fengqiao.core.roles import GRID_MANAGERS
from fengqiao.core.scoping import is_staff, path_within, scope_prefixes
from fengqiao.events.choices import CRIME_GROUPS, CrimeClass, Status
from fengqiao.events.inputs import category_label
from fengqiao.events.models import Category
from fengqiao.events.selectors import EventFilter, events_for
from fengqiao.geo.models import Grid

PERMUTATIONS = 999
SEED = 20261206
# Pseudo p-value at or under which a grid is hot or cold, with its confidence (per cent).
CONFIDENCE = ((0.01, 99), (0.05, 95), (0.10, 90))
EMERGING_ALPHA = 0.05
MAX_DAYS = 3660
MAX_WEEKS = 52
DEFAULT_WEEKS = 12
# Events that count: neither refused nor merged into another.
NOT_COUNTED = (Status.REJECTED, Status.MERGED)

UNSCOPED_LATTICE = "hotspots: the grid lattice is built once for the city; each user gets their grids' part"


def may_analyse(user) -> bool:
    """The command room's analyses are for police stations and above."""
    return is_staff(user) and (user.is_superuser or (user.role in GRID_MANAGERS and bool(user.scope_paths())))


def analysis_prefixes(user) -> list[str] | None:
    """The tree paths whose grids the user's analyses cover: none for roles below a station
    (their pages answer 404 for a grid, as for one outside their scope)."""
    if not may_analyse(user):
        return []
    return scope_prefixes(user)


# ---------------------------------------------------------------------------------------------
# the lattice: grids and their queen contiguity, cached per process by the grids' version


@dataclass
class Lattice:
    """The active grids in code order and their queen contiguity (libpysal ``W`` over 0..n-1)."""

    ids: np.ndarray
    codes: list[str]
    names: list[str]
    paths: list[str]
    centroids: np.ndarray  # (n, 2) lon, lat
    geometries: list  # shapely polygons, WGS-84
    neighbours: dict[int, list[int]]
    w: object  # libpysal.weights.W

    def __len__(self):
        return len(self.codes)


_lock = threading.Lock()
_lattice: dict = {"version": None, "lattice": None}
_subsets: OrderedDict = OrderedDict()
SUBSETS_KEPT = 32


def _grids():
    return Grid.objects.unscoped(reason=UNSCOPED_LATTICE)


def grids_version() -> tuple:
    """The grids' version: how many there are, how many are active, and their latest change
    (an indexed column); any creation, deletion, redrawing or retirement moves it."""
    row = _grids().aggregate(
        n=Count("id"), active=Count("id", filter=Q(is_active=True)), latest=Max("updated_at")
    )
    return (row["n"], row["active"], row["latest"])


def queen_weights(geometries) -> object:
    """Queen contiguity (a shared edge or corner) of polygons, as a libpysal ``W`` over 0..n-1."""
    from libpysal.weights import Queen

    return Queen.from_iterable(geometries, ids=list(range(len(geometries))), silence_warnings=True)


def _build() -> Lattice:
    from shapely.geometry import shape

    rows = list(
        _grids()
        .filter(is_active=True)
        .order_by("code")
        .values_list("id", "code", "name", "scope_path", "centroid_lon", "centroid_lat", "geometry")
    )
    geometries = [shape(r[6]) for r in rows]
    w = queen_weights(geometries) if rows else None
    return Lattice(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        codes=[r[1] for r in rows],
        names=[r[2] for r in rows],
        paths=[r[3] for r in rows],
        centroids=np.array([(r[4], r[5]) for r in rows], dtype=float).reshape(-1, 2),
        geometries=geometries,
        neighbours={i: list(w.neighbors[i]) for i in range(len(rows))} if w is not None else {},
        w=w,
    )


def city_lattice() -> Lattice:
    """Every active grid, rebuilt only when the grids' version moved since this process built it."""
    version = grids_version()
    if _lattice["version"] == version and _lattice["lattice"] is not None:
        return _lattice["lattice"]
    with _lock:
        if _lattice["version"] != version or _lattice["lattice"] is None:
            _lattice["lattice"] = _build()
            _lattice["version"] = version
            _subsets.clear()
        return _lattice["lattice"]


def reset() -> None:
    """Forget the cached lattice (the next call rebuilds it)."""
    with _lock:
        _lattice["version"] = _lattice["lattice"] = None
        _subsets.clear()


def subset(lattice: Lattice, keep: np.ndarray) -> Lattice:
    """The part of a lattice at the positions ``keep`` (sorted), its contiguity cut to them."""
    from libpysal.weights import W

    position = {int(old): new for new, old in enumerate(keep)}
    neighbours = {
        new: [position[j] for j in lattice.neighbours[int(old)] if j in position]
        for new, old in enumerate(keep)
    }
    return Lattice(
        ids=lattice.ids[keep],
        codes=[lattice.codes[i] for i in keep],
        names=[lattice.names[i] for i in keep],
        paths=[lattice.paths[i] for i in keep],
        centroids=lattice.centroids[keep],
        geometries=[lattice.geometries[i] for i in keep],
        neighbours=neighbours,
        w=W(neighbours, silence_warnings=True) if len(keep) else None,
    )


def lattice_for(user) -> Lattice:
    """The grids of the user's analysis scope, with their contiguity (cached per scope)."""
    return lattice_within(analysis_prefixes(user))


def lattice_within(prefixes: list[str] | None) -> Lattice:
    """The grids under the tree paths ``prefixes`` (None: the city), cached per set of paths."""
    city = city_lattice()
    if prefixes is None:
        return city
    key = (id(city), tuple(sorted(prefixes)))
    with _lock:
        found = _subsets.get(key)
        if found is not None:
            _subsets.move_to_end(key)
            return found
    keep = np.array([i for i, p in enumerate(city.paths) if path_within(p, prefixes)], dtype=np.int64)
    part = subset(city, keep)
    with _lock:
        _subsets[key] = part
        while len(_subsets) > SUBSETS_KEPT:
            _subsets.popitem(last=False)
    return part


# ---------------------------------------------------------------------------------------------
# the statistics


@dataclass
class GiStar:
    z: np.ndarray
    p: np.ndarray  # pseudo p-values from the permutations (one-sided, in the direction of z)


def esda_arguments(y, w, *, permutations: int, seed: int) -> dict:
    """How Gi* is asked of esda, here and by whoever checks it (the tests, bench/hotspots.py):
    binary weights with the grid itself, one process (the machine's cores serve the requests)."""
    return {
        "y": y,
        "w": w,
        "transform": "B",
        "star": True,
        "permutations": permutations,
        "seed": seed,
        "n_jobs": 1,
        # the simulated values, for p-values that count ties fairly (see pseudo_p)
        "keep_simulations": bool(permutations),
    }


def pseudo_p(observed: np.ndarray, simulated: np.ndarray) -> np.ndarray:
    """The pseudo p-value of each observed value against its simulations (one row per grid), in
    the direction of its smaller tail, ties counted on both sides: (min(#sims ≥ obs, #sims ≤ obs)
    + 1) / (permutations + 1).

    esda's own ``p_sim`` counts ties as more extreme only upwards: a grid with no events among
    neighbours with none — the lowest value there is, which most simulations tie — comes out
    "cold at 99%". Counts of events tie a lot (a city has many grids with none), so we count
    ties both ways; where no simulation ties, the two are the same number."""
    observed = np.asarray(observed, dtype=float)[:, None]
    simulated = np.asarray(simulated, dtype=float)
    high = (simulated >= observed).sum(axis=1)
    low = (simulated <= observed).sum(axis=1)
    return (np.minimum(high, low) + 1.0) / (simulated.shape[1] + 1.0)


def gi_star(y, w, *, permutations: int = PERMUTATIONS, seed: int = SEED) -> GiStar:
    """Getis-Ord Gi* of ``y`` over the binary weights ``w`` (esda ``G_Local``, ``star=True``):
    esda's z-scores, and pseudo p-values from esda's permutations (:func:`pseudo_p`), or with
    ``permutations=0`` the two-sided normal p-values of the z-scores. Counts that do not vary
    (none at all, say) are no pattern: z 0, p 1."""
    y = np.asarray(y, dtype=float)
    n = y.size
    if n < 3 or np.all(y == y[0]):
        return GiStar(np.zeros(n), np.ones(n))
    import esda

    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        # esda announces a change of its default alternative; G_Local's p_sim stays "directed"
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)  # "not fully connected": islands are allowed
        g = esda.G_Local(**esda_arguments(y, w, permutations=permutations, seed=seed))
    z = np.nan_to_num(np.asarray(g.Zs, dtype=float))
    # without permutations: the two-sided normal p-value of the z-score, as ArcGIS reads Gi*
    p = pseudo_p(g.Gs, g.rGs) if permutations else np.minimum(1.0, 2 * np.asarray(g.p_norm, dtype=float))
    return GiStar(z, np.nan_to_num(p, nan=1.0))


def confidence_bins(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """+99/+95/+90 for hot grids, −99/−95/−90 for cold ones, 0 for the rest."""
    out = np.zeros(len(z), dtype=int)
    for level, conf in reversed(CONFIDENCE):  # the strictest last, so it wins
        hit = p <= level
        out[hit & (z > 0)] = conf
        out[hit & (z < 0)] = -conf
    return out


@dataclass
class MannKendall:
    s: int
    var: float
    z: float
    p: float
    tau: float


def mann_kendall(x) -> MannKendall:
    """The Mann-Kendall trend test of a series in time order: S, its variance with the tie
    correction, the continuity-corrected z, the two-sided p-value, and Kendall's tau (S over the
    number of pairs)."""
    from scipy.stats import norm

    x = np.asarray(x, dtype=float)
    n = x.size
    if n < 2:
        return MannKendall(0, 0.0, 0.0, 1.0, 0.0)
    i, j = np.triu_indices(n, k=1)
    s = int(np.sign(x[j] - x[i]).sum())
    _values, ties = np.unique(x, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - float(np.sum(ties * (ties - 1) * (2 * ties + 5)))) / 18.0
    # continuity-corrected: S moves towards zero by one
    z = 0.0 if var <= 0 or s == 0 else (s - math.copysign(1, s)) / math.sqrt(var)
    p = float(2 * norm.sf(abs(z)))
    return MannKendall(s, var, z, p, s / (n * (n - 1) / 2))


class Pattern(models.TextChoices):
    """The patterns of ArcGIS's Emerging Hot Spot Analysis."""

    NONE = "none", gettext_lazy("no pattern")
    NEW_HOT = "new_hot", gettext_lazy("new hot spot")
    CONSECUTIVE_HOT = "consecutive_hot", gettext_lazy("consecutive hot spot")
    INTENSIFYING_HOT = "intensifying_hot", gettext_lazy("intensifying hot spot")
    PERSISTENT_HOT = "persistent_hot", gettext_lazy("persistent hot spot")
    DIMINISHING_HOT = "diminishing_hot", gettext_lazy("diminishing hot spot")
    SPORADIC_HOT = "sporadic_hot", gettext_lazy("sporadic hot spot")
    OSCILLATING_HOT = "oscillating_hot", gettext_lazy("oscillating hot spot")
    HISTORICAL_HOT = "historical_hot", gettext_lazy("historical hot spot")
    NEW_COLD = "new_cold", gettext_lazy("new cold spot")
    CONSECUTIVE_COLD = "consecutive_cold", gettext_lazy("consecutive cold spot")
    INTENSIFYING_COLD = "intensifying_cold", gettext_lazy("intensifying cold spot")
    PERSISTENT_COLD = "persistent_cold", gettext_lazy("persistent cold spot")
    DIMINISHING_COLD = "diminishing_cold", gettext_lazy("diminishing cold spot")
    SPORADIC_COLD = "sporadic_cold", gettext_lazy("sporadic cold spot")
    OSCILLATING_COLD = "oscillating_cold", gettext_lazy("oscillating cold spot")
    HISTORICAL_COLD = "historical_cold", gettext_lazy("historical cold spot")


def _pattern_one_side(own: np.ndarray, other: np.ndarray, trend: MannKendall, sign: int, alpha: float) -> str:
    """The pattern of one side (hot: sign +1, cold: −1) from the significant steps of that side
    (``own``) and of the other side, after ArcGIS's definitions; "" when none applies."""
    n = own.size
    share = own.sum() / n
    last = bool(own[-1])
    side = "hot" if sign > 0 else "cold"
    # the run of significant steps at the end
    run = 0
    for value in own[::-1]:
        if not value:
            break
        run += 1
    rising = trend.p <= alpha and trend.z * sign > 0  # clustering intensity grows on this side
    falling = trend.p <= alpha and trend.z * sign < 0
    if last and own.sum() == 1:
        return f"new_{side}"
    if last and run >= 2 and run == own.sum() and share < 0.9:
        return f"consecutive_{side}"
    if share >= 0.9 and last and rising:
        return f"intensifying_{side}"
    if share >= 0.9 and last and trend.p > alpha:
        return f"persistent_{side}"
    if share >= 0.9 and last and falling:
        return f"diminishing_{side}"
    if last and share < 0.9 and not other.any():
        return f"sporadic_{side}"
    if last and share < 0.9 and other.any():
        return f"oscillating_{side}"
    if not last and share >= 0.9:
        return f"historical_{side}"
    return ""


def classify_emerging(
    z: np.ndarray, p: np.ndarray, *, alpha: float = EMERGING_ALPHA
) -> tuple[str, MannKendall]:
    """The emerging-hotspot pattern of one grid from its weekly Gi* z-scores and p-values (oldest
    first), with the Mann-Kendall trend of the z-scores. Hot patterns are looked for first, as
    ArcGIS lists them; a grid that fits none is "no pattern"."""
    z, p = np.asarray(z, dtype=float), np.asarray(p, dtype=float)
    trend = mann_kendall(z)
    hot = (p <= alpha) & (z > 0)
    cold = (p <= alpha) & (z < 0)
    if not hot.any() and not cold.any():
        return Pattern.NONE, trend
    if hot[-1] or (not cold[-1] and hot.sum() >= cold.sum()):
        found = _pattern_one_side(hot, cold, trend, +1, alpha) or _pattern_one_side(
            cold, hot, trend, -1, alpha
        )
    else:
        found = _pattern_one_side(cold, hot, trend, -1, alpha) or _pattern_one_side(
            hot, cold, trend, +1, alpha
        )
    return found or Pattern.NONE, trend


def kernel_density(lons, lats, *, bandwidth_m: float | None = None, cells: int = 48) -> dict:
    """A Gaussian kernel density of points on a ``cells`` × ``cells`` raster over their extent
    (plus three bandwidths), in events per km². The bandwidth defaults to Silverman's rule of
    thumb on the projected points. Returns the raster's bounds, its cell size and the cells above
    1% of the peak as [row, col, density]."""
    lons, lats = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    if lons.size == 0:
        return {"bandwidth_m": 0, "cells": [], "bounds": None, "peak": 0}
    lat0 = float(np.mean(lats))
    x, y = project(lons, lats, lat0=lat0, lon0=float(np.mean(lons)))
    if bandwidth_m is None:
        spread = math.sqrt((np.var(x) + np.var(y)) / 2) if lons.size > 1 else 0.0
        bandwidth_m = max(50.0, 1.06 * spread * lons.size ** (-1 / 5)) if spread > 0 else 200.0
    pad = 3 * bandwidth_m
    x0, x1, y0, y1 = x.min() - pad, x.max() + pad, y.min() - pad, y.max() + pad
    size = max(x1 - x0, y1 - y0) / cells
    cols = max(1, math.ceil((x1 - x0) / size))
    rows = max(1, math.ceil((y1 - y0) / size))
    cx = x0 + (np.arange(cols) + 0.5) * size
    cy = y0 + (np.arange(rows) + 0.5) * size
    # separable Gaussian: density(r, c) = Σ_k gy[r, k] · gx[c, k]
    gx = np.exp(-0.5 * ((cx[:, None] - x[None, :]) / bandwidth_m) ** 2)
    gy = np.exp(-0.5 * ((cy[:, None] - y[None, :]) / bandwidth_m) ** 2)
    density = gy @ gx.T / (2 * math.pi * bandwidth_m**2) * 1e6  # per km²
    peak = float(density.max())
    keep = np.argwhere(density >= peak * 0.01)
    lon0 = float(np.mean(lons))
    west, south = unproject(np.array([x0]), np.array([y0]), lat0=lat0, lon0=lon0)
    east, north = unproject(np.array([x0 + cols * size]), np.array([y0 + rows * size]), lat0=lat0, lon0=lon0)
    return {
        "bandwidth_m": round(bandwidth_m),
        "bounds": [float(west[0]), float(south[0]), float(east[0]), float(north[0])],
        "rows": rows,
        "cols": cols,
        "peak": round(peak, 3),
        "cells": [[int(r), int(c), round(float(density[r, c]), 3)] for r, c in keep],
    }


_EARTH_M = 6371008.8


def project(lons, lats, *, lat0: float, lon0: float):
    """Longitude/latitude to metres east/north of (lon0, lat0): equirectangular, exact enough
    within a city (under 0.1% over 50 km)."""
    k = math.pi / 180 * _EARTH_M
    return (np.asarray(lons) - lon0) * k * math.cos(math.radians(lat0)), (np.asarray(lats) - lat0) * k


def unproject(x, y, *, lat0: float, lon0: float):
    k = math.pi / 180 * _EARTH_M
    return np.asarray(x) / (k * math.cos(math.radians(lat0))) + lon0, np.asarray(y) / k + lat0


# ---------------------------------------------------------------------------------------------
# the reads behind the pages


@dataclass
class Choice:
    """What the user asked for: a class of events — a category and what is under it, a crime
    class or group (events.choices), or both — and a period."""

    category: Category | None
    start: dt.date
    end: dt.date
    crime: str = ""

    def params(self) -> dict:
        """The events list's parameters for the same events."""
        params = {"opened_from": self.start.isoformat(), "opened_to": self.end.isoformat()}
        if self.category is not None:
            params["category"] = self.category.code
        if self.crime:
            params["crime"] = self.crime
        return params

    @property
    def label(self) -> str:
        names = [category_label(self.category)] if self.category is not None else []
        if self.crime:
            names.append(str(crime_label(self.crime)))
        return " · ".join(names)


def crime_label(crime: str) -> str:
    return CRIME_GROUPS[crime][0] if crime in CRIME_GROUPS else CrimeClass(crime).label


def parse_choice(params, *, default_days: int = 28) -> Choice:
    """The class and period of a query string; bad values are errors naming the parameter."""
    errors = {}
    code = str(params.get("category", "") or "").strip()
    crime = str(params.get("crime", "") or "").strip()
    category = None
    if code:
        category = Category.objects.filter(code=code).first()
        if category is None:
            errors["category"] = [_("Unknown class: %(value)s.") % {"value": code[:20]}]
    if crime and crime not in CRIME_GROUPS and crime not in CrimeClass.values:
        errors["crime"] = [_("Unknown class: %(value)s.") % {"value": crime[:20]}]
    if not code and not crime:
        errors["category"] = [_("Choose a class of events.")]
    try:
        end = parse_date(str(params.get("end", "") or "").strip(), "end") or timezone.localdate()
    except ValidationError as error:
        errors.update(error.message_dict)
        end = timezone.localdate()
    try:
        start = parse_date(str(params.get("start", "") or "").strip(), "start") or end - dt.timedelta(
            days=default_days - 1
        )
    except ValidationError as error:
        errors.update(error.message_dict)
        start = end
    if start > end:
        errors["start"] = [_("The period starts after it ends.")]
    elif (end - start).days > MAX_DAYS:
        errors["start"] = [_("A period is at most ten years.")]
    if errors:
        raise ValidationError(errors)
    return Choice(category, start, end, crime)


def chosen_events(user, choice: Choice):
    """The events of the class and period in the user's analysis scope (the query behind the
    counts: the events list opens the same ones with ``choice.params()``)."""
    if not may_analyse(user):
        raise PermissionDenied
    qs = EventFilter(**choice.params()).apply(events_for(user))
    return qs.exclude(status__in=NOT_COUNTED)


def counts_per_grid(lattice: Lattice, grid_ids) -> np.ndarray:
    """How many of the given grid ids fall on each grid of the lattice."""
    index = {int(g): i for i, g in enumerate(lattice.ids)}
    y = np.zeros(len(lattice), dtype=float)
    for grid_id, n in grid_ids:
        i = index.get(int(grid_id))
        if i is not None:
            y[i] += n
    return y


@dataclass
class GridResult:
    code: str
    name: str
    count: int
    z: float
    p: float
    bin: int  # ±99/95/90 or 0


@dataclass
class Hotspots:
    choice: Choice
    rows: list[GridResult]
    total: int
    permutations: int

    @property
    def hot(self) -> list[GridResult]:
        return sorted((r for r in self.rows if r.bin > 0), key=lambda r: -r.z)

    @property
    def cold(self) -> list[GridResult]:
        return sorted((r for r in self.rows if r.bin < 0), key=lambda r: r.z)


def hotspots(user, choice: Choice, *, permutations: int = PERMUTATIONS) -> Hotspots:
    """Gi* of the chosen events per grid of the user's analysis scope."""
    lattice = lattice_for(user)
    grouped = chosen_events(user, choice).order_by().values_list("grid_id").annotate(n=Count("id"))
    y = counts_per_grid(lattice, grouped)
    result = gi_star(y, lattice.w, permutations=permutations)
    bins = confidence_bins(result.z, result.p)
    rows = [
        GridResult(
            lattice.codes[i],
            lattice.names[i],
            int(y[i]),
            float(result.z[i]),
            float(result.p[i]),
            int(bins[i]),
        )
        for i in range(len(lattice))
    ]
    return Hotspots(choice, rows, int(y.sum()), permutations)


@dataclass
class EmergingRow:
    code: str
    name: str
    pattern: str
    label: str
    counts: list[int]
    z: list[float]
    trend: MannKendall


@dataclass
class Emerging:
    choice: Choice
    weeks: list[dt.date]  # the first day of each week
    rows: list[EmergingRow]

    def with_pattern(self) -> list[EmergingRow]:
        return sorted((r for r in self.rows if r.pattern != Pattern.NONE), key=lambda r: (r.pattern, r.code))


def emerging(
    user,
    category: Category | None,
    *,
    crime: str = "",
    end: dt.date,
    weeks: int = DEFAULT_WEEKS,
    permutations: int = 0,
) -> Emerging:
    """Gi* per grid for each of the ``weeks`` weeks ending on ``end``, and each grid's pattern.
    Each week's significance is the normal p-value of its z-score, as ArcGIS's emerging hot spot
    analysis reads it (999 permutations a week would cost the city's page ten seconds)."""
    if not 2 <= weeks <= MAX_WEEKS:
        raise ValidationError({"weeks": [_("Choose between 2 and %(max)d weeks.") % {"max": MAX_WEEKS}]})
    start = end - dt.timedelta(days=7 * weeks - 1)
    choice = Choice(category, start, end, crime)
    lattice = lattice_for(user)
    index = {int(g): i for i, g in enumerate(lattice.ids)}
    cube = np.zeros((len(lattice), weeks), dtype=float)
    first = start_of(start)
    for grid_id, opened_at in chosen_events(user, choice).order_by().values_list("grid_id", "opened_at"):
        i = index.get(int(grid_id))
        week = (opened_at - first).days // 7
        if i is not None and 0 <= week < weeks:
            cube[i, week] += 1
    zs = np.zeros_like(cube)
    ps = np.ones_like(cube)
    for k in range(weeks):
        result = gi_star(cube[:, k], lattice.w, permutations=permutations)
        zs[:, k], ps[:, k] = result.z, result.p
    rows = []
    for i in range(len(lattice)):
        pattern, trend = classify_emerging(zs[i], ps[i])
        rows.append(
            EmergingRow(
                lattice.codes[i],
                lattice.names[i],
                pattern,
                str(Pattern(pattern).label),
                [int(c) for c in cube[i]],
                [round(float(v), 3) for v in zs[i]],
                trend,
            )
        )
    return Emerging(choice, [start + dt.timedelta(days=7 * k) for k in range(weeks)], rows)


def density(user, choice: Choice, *, limit: int = 20000) -> dict:
    """The kernel density of the chosen events' points (those with coordinates)."""
    points = list(
        chosen_events(user, choice)
        .exclude(lon=None)
        .exclude(lat=None)
        .order_by("-opened_at")
        .values_list("lon", "lat")[:limit]
    )
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    result = kernel_density(lons, lats)
    result["points"] = len(points)
    return result
