"""The demo city as pure geometry and bookkeeping: no database, no clock, no global randomness.

Input: the real counties (with their outlines, WGS-84), townships (with their centre point where the
data has one) and villages of Wuzhong. Output: a :class:`CityPlan` — police stations, police
districts and grids with their polygons — in the proportions of the article the platform follows
(scale 1.0: 44 stations, 118 police districts, 3,475 grids). The same input, scale and seed give
the same plan, to the last coordinate: every random choice comes from a generator seeded with the
seed and the code of the thing being placed.

How the territory is cut, per county:

1. Work in a local plane in kilometres (an equirectangular projection about the county's centre),
   so that distances and Voronoi cells are not stretched by the longitude scale.
2. Each township sits at its centre point; a township the data gives no centre gets the point
   inside the county farthest from the other centres among a few seeded candidates.
3. Each village is placed near its township's centre on a jittered sunflower spiral, inside the
   county outline, villages with lower codes nearer the centre.
4. The county is cut into village areas by the Voronoi diagram of the village points, clipped to
   the outline; each used village is cut into its grids by the Voronoi diagram of seeded,
   relaxed points inside it. A cell that the clipping splits in pieces keeps the piece holding its
   point and hands the others to the neighbour it shares the longest border with, so every
   village and every grid is a single polygon.
5. Back in longitude/latitude, the county's pieces are cleaned as one polygonal coverage (shared
   edges identical vertex for vertex, no overlaps), and each village outline is the union of its
   grids. Neighbouring grids therefore touch exactly.

Police stations cover whole townships (neighbouring small townships share one), police districts
cover whole villages of their station (cut by recursive weighted bisection of the village points,
so a district is a compact group), and a grid lies in exactly one village and one district.
Below scale 1.0 fewer townships and villages are used; every used village has at least one grid.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon
from shapely.ops import nearest_points

from fengqiao.demo import names

# The real city, as the article reports it (shared/data/SOURCES.md).
ARTICLE_STATIONS = 44
ARTICLE_DISTRICTS = 118
ARTICLE_GRIDS = 3475

# Grids per village are shared out by these weights of the urban–rural class (ur_code):
# town centres have more people per village, hence more grids.
URBAN_RURAL_GRID_WEIGHT = {"111": 3.0, "112": 2.5, "121": 2.0, "122": 1.6, "123": 1.3, "210": 1.0, "220": 1.0}

KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON_AT_EQUATOR = 111.320

GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
MIN_POINT_SPACING_KM = 0.03
LLOYD_ITERATIONS = 2
CANDIDATES = 8


class PlanError(ValueError):
    """The input cannot make a demo city (no villages, a point that cannot be placed, …)."""


# --- input ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class County:
    code: str  # six digits, e.g. 640302
    name: str
    outline: Polygon  # WGS-84


@dataclass(frozen=True)
class Township:
    code: str  # twelve digits, e.g. 640302100000
    name: str
    centre: tuple[float, float] | None  # (lon, lat), WGS-84

    @property
    def county_code(self) -> str:
        return self.code[:6]


@dataclass(frozen=True)
class Village:
    code: str  # twelve digits, e.g. 640302100201
    name: str
    urban_rural_code: str = ""

    @property
    def township_code(self) -> str:
        return self.code[:9] + "000"


# --- output -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StationPlan:
    code: str  # county code + "51" + two-digit sequence + "00"
    name: str
    county_code: str
    township_code: str  # the township it is named after and sits in
    township_codes: tuple[str, ...]  # every township it covers


@dataclass(frozen=True)
class DistrictPlan:
    code: str  # station code + "Q" + two-digit sequence
    name: str
    station_code: str
    village_codes: tuple[str, ...]


@dataclass(frozen=True)
class GridPlan:
    code: str  # village code + three-digit sequence
    name: str
    village_code: str
    district_code: str
    geometry: Polygon  # WGS-84


@dataclass
class CityPlan:
    scale: float
    seed: int
    counties: list[County]
    stations: list[StationPlan]
    districts: list[DistrictPlan]
    grids: list[GridPlan]
    # Every village of the counties gets an area, used or not: the union of its grids if it has any.
    village_outlines: dict[str, Polygon]
    # The grid of the demo account ``grid`` and the touching grid, in another district, of ``grid2``.
    demo_grid_code: str = ""
    neighbour_grid_code: str = ""
    # Where each township was put (its real centre, or a seeded one where the data has none), WGS-84.
    township_centres: dict[str, tuple[float, float]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "counties": len(self.counties),
            "stations": len(self.stations),
            "districts": len(self.districts),
            "villages": len({g.village_code for g in self.grids}),
            "grids": len(self.grids),
        }


# --- small helpers ----------------------------------------------------------------------------


def seeded(seed: int, *parts: str) -> random.Random:
    """A generator for one purpose and one thing: stable however many other things exist."""
    return random.Random("fengqiao-demo/" + "/".join([str(seed), *parts]))


def apportion(
    total: int,
    weights: Sequence[float],
    *,
    minimum: Sequence[int] | int = 1,
    caps: Sequence[int] | None = None,
) -> list[int]:
    """Share ``total`` seats out by ``weights`` (Sainte-Laguë highest averages), each item getting at
    least its minimum and at most its cap. Ties go to the earlier item, so the result is stable."""
    n = len(weights)
    mins = [minimum] * n if isinstance(minimum, int) else list(minimum)
    caps = [math.inf] * n if caps is None else list(caps)
    if any(lo > hi for lo, hi in zip(mins, caps, strict=True)):
        raise PlanError("a minimum exceeds its cap")
    if not sum(mins) <= total <= sum(caps):
        raise PlanError(
            f"cannot share {total} among {n} items with minimums {sum(mins)} and caps {sum(caps)}"
        )
    seats = list(mins)
    heap = [(-weights[i] / (2 * seats[i] + 1), i) for i in range(n) if seats[i] < caps[i]]
    heapq.heapify(heap)
    for _ in range(total - sum(mins)):
        _, i = heapq.heappop(heap)
        seats[i] += 1
        if seats[i] < caps[i]:
            heapq.heappush(heap, (-weights[i] / (2 * seats[i] + 1), i))
    return seats


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


class LocalPlane:
    """Equirectangular projection about a point, in kilometres; plenty for a county."""

    def __init__(self, lon0: float, lat0: float):
        self.lon0, self.lat0 = lon0, lat0
        self.kx = KM_PER_DEG_LON_AT_EQUATOR * math.cos(math.radians(lat0))
        self.ky = KM_PER_DEG_LAT

    def to_km(self, geom):
        return shapely.transform(
            geom,
            lambda c: np.column_stack(((c[:, 0] - self.lon0) * self.kx, (c[:, 1] - self.lat0) * self.ky)),
        )

    def to_lonlat(self, geom):
        return shapely.transform(
            geom, lambda c: np.column_stack((c[:, 0] / self.kx + self.lon0, c[:, 1] / self.ky + self.lat0))
        )

    def point_to_km(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky


def _polygons_of(geom) -> list[Polygon]:
    """The polygons with area in a geometry that an overlay returned."""
    if geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom] if geom.area > 0 else []
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _polygons_of(g)]
    return []


def _random_point_in(region, rng: random.Random) -> tuple[float, float]:
    minx, miny, maxx, maxy = region.bounds
    for _ in range(20000):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(region, x, y):
            return x, y
    raise PlanError("could not find a point inside an area; it is too thin")


def _min_distance(p: tuple[float, float], points: Sequence[tuple[float, float]]) -> float:
    if not points:
        return math.inf
    arr = np.asarray(points)
    return float(np.min(np.hypot(arr[:, 0] - p[0], arr[:, 1] - p[1])))


def _spread_points(region, n: int, rng: random.Random, avoid: Sequence[tuple[float, float]] = ()) -> list:
    """``n`` points inside ``region``, spread out: each is the best of a few seeded candidates,
    the one farthest from the points already chosen (Mitchell's best-candidate sampling)."""
    shapely.prepare(region)
    chosen: list[tuple[float, float]] = []
    for _ in range(n):
        best, best_d = None, -1.0
        for _ in range(CANDIDATES):
            p = _random_point_in(region, rng)
            d = _min_distance(p, [*avoid, *chosen])
            if d > best_d:
                best, best_d = p, d
        chosen.append(best)
    return chosen


# --- cutting an area into cells ---------------------------------------------------------------


def partition(region: Polygon, points: Sequence[tuple[float, float]]) -> list[Polygon]:
    """Cut ``region`` into one polygon per point: the point's Voronoi cell clipped to the region.

    Every point must lie strictly inside the region, no two at the same place. Clipping a cell to
    a concave region can split it; the piece that holds the point stays, each other piece joins
    the cell it shares the longest border with. The cells cover the region without overlapping.
    """
    if len(points) == 1:
        return [region]
    cells = shapely.voronoi_polygons(MultiPoint(points), extend_to=region, ordered=True)
    if len(cells.geoms) != len(points):
        raise PlanError("two points of a partition coincide")
    shapely.prepare(region)
    kept: list[Polygon] = []
    orphans: list[Polygon] = []
    for cell, (x, y) in zip(cells.geoms, points, strict=True):
        pieces = _polygons_of(cell.intersection(region))
        home = [p for p in pieces if shapely.intersects_xy(p, x, y)]
        if not home:
            raise PlanError(f"the point ({x:.4f}, {y:.4f}) is not inside the area it should cut")
        kept.append(home[0])
        orphans.extend(p for p in pieces if p is not home[0])
    # Largest stray pieces first; a piece that borders only other strays waits for them.
    orphans.sort(key=lambda p: (-p.area, p.centroid.x, p.centroid.y))
    while orphans:
        waiting = []
        for piece in orphans:
            best, best_len = None, 0.0
            for i, cell in enumerate(kept):
                if not cell.intersects(piece):
                    continue
                shared = cell.intersection(piece).length
                if shared > best_len:
                    best, best_len = i, shared
            merged = shapely.union(kept[best], piece) if best is not None else None
            if merged is None or merged.geom_type != "Polygon":
                waiting.append(piece)
            else:
                kept[best] = merged
        if len(waiting) == len(orphans):
            raise PlanError("a piece of a clipped cell borders no other cell")
        orphans = waiting
    return kept


def relaxed_points(region: Polygon, n: int, rng: random.Random) -> list[tuple[float, float]]:
    """``n`` well-spread points inside ``region``: best-candidate samples moved a few times to
    the centre of their own cell (Lloyd's relaxation), so the cells come out rounded."""
    points = _spread_points(region, n, rng)
    if n == 1:
        return points
    for _ in range(LLOYD_ITERATIONS):
        moved = []
        for cell, old in zip(partition(region, points), points, strict=True):
            c = cell.centroid
            if not shapely.contains_xy(region, c.x, c.y):
                c = cell.representative_point()
            p = (c.x, c.y)
            moved.append(p if _min_distance(p, moved) > MIN_POINT_SPACING_KM else old)
        points = moved
    return points


# --- the plan ---------------------------------------------------------------------------------


@dataclass
class _CountyWork:
    county: County
    plane: LocalPlane
    outline_km: Polygon
    townships: list[Township]
    centres_km: dict[str, tuple[float, float]] = field(default_factory=dict)
    village_points: dict[str, tuple[float, float]] = field(default_factory=dict)
    village_cells: dict[str, Polygon] = field(default_factory=dict)


def _place_centres(work: _CountyWork, seed: int) -> None:
    outline = work.outline_km
    inner = outline.buffer(-0.5)
    if inner.is_empty:
        inner = outline
    for town in work.townships:
        if town.centre is None:
            continue
        x, y = work.plane.point_to_km(*town.centre)
        if not shapely.contains_xy(outline, x, y):
            near = nearest_points(inner, shapely.Point(x, y))[0]
            x, y = near.x, near.y
        work.centres_km[town.code] = (x, y)
    for town in work.townships:
        if town.code not in work.centres_km:
            rng = seeded(seed, "centre", town.code)
            (p,) = _spread_points(inner, 1, rng, avoid=list(work.centres_km.values()))
            work.centres_km[town.code] = p


def _place_villages(work: _CountyWork, villages_by_town: dict[str, list[Village]], seed: int) -> None:
    outline = work.outline_km
    shapely.prepare(outline)
    centres = work.centres_km
    placed: list[tuple[float, float]] = []
    for town in work.townships:
        cx, cy = centres[town.code]
        others = [c for code, c in centres.items() if code != town.code]
        nearest = _min_distance((cx, cy), others)
        if nearest == math.inf:
            nearest = 2 * math.sqrt(outline.area / math.pi)
        radius = min(max(0.45 * nearest, 0.6), 12.0)
        villages = villages_by_town[town.code]
        n = len(villages)
        rng = seeded(seed, "villages", town.code)
        turn = rng.uniform(0, 2 * math.pi)
        spacing = radius / math.sqrt(n)
        for i, village in enumerate(villages):
            r = radius * math.sqrt((i + 0.5) / n)
            angle = turn + i * GOLDEN_ANGLE
            x = cx + r * math.cos(angle) + rng.uniform(-0.2, 0.2) * spacing
            y = cy + r * math.sin(angle) + rng.uniform(-0.2, 0.2) * spacing
            for _ in range(60):
                if (
                    shapely.contains_xy(outline, x, y)
                    and _min_distance((x, y), placed) > MIN_POINT_SPACING_KM
                ):
                    break
                # Pull towards the township centre, with a little jitter so points do not stack.
                x = cx + (x - cx) * 0.8 + rng.uniform(-0.05, 0.05)
                y = cy + (y - cy) * 0.8 + rng.uniform(-0.05, 0.05)
            else:
                raise PlanError(f"could not place village {village.code} inside its county")
            placed.append((x, y))
            work.village_points[village.code] = (x, y)


def _group_townships(work: _CountyWork, used: list[Township], n_stations: int, weight: dict[str, float]):
    """Merge neighbouring townships until there are ``n_stations`` groups: always the lightest
    group into the group with the nearest township centre."""
    groups: list[list[str]] = [[t.code] for t in used]
    while len(groups) > n_stations:
        light = min(range(len(groups)), key=lambda i: (sum(weight[c] for c in groups[i]), groups[i][0]))

        def gap(j, light=light):
            return min(
                math.dist(work.centres_km[a], work.centres_km[b]) for a in groups[light] for b in groups[j]
            )

        target = min((j for j in range(len(groups)) if j != light), key=lambda j: (gap(j), groups[j][0]))
        groups[target] = sorted(groups[target] + groups[light])
        del groups[light]
    return sorted(groups)


def _bisect(items: list[tuple[str, float, float, float]], k: int) -> list[list[str]]:
    """Split (key, x, y, weight) items into ``k`` compact groups of about equal weight, cutting
    across the longer side each time (recursive coordinate bisection)."""
    if k == 1:
        return [[key for key, *_ in items]]
    k_left = k // 2
    xs = [it[1] for it in items]
    ys = [it[2] for it in items]
    axis = 1 if (max(xs) - min(xs)) >= (max(ys) - min(ys)) else 2
    ordered = sorted(items, key=lambda it: (it[axis], it[0]))
    total = sum(it[3] for it in ordered)
    target = total * k_left / k
    best_cut, best_err, running = k_left, math.inf, 0.0
    for cut in range(1, len(ordered)):
        running += ordered[cut - 1][3]
        if cut < k_left or len(ordered) - cut < k - k_left:
            continue
        err = abs(running - target)
        if err < best_err:
            best_cut, best_err = cut, err
    return _bisect(ordered[:best_cut], k_left) + _bisect(ordered[best_cut:], k - k_left)


def _touching_pair(grids: list[GridPlan], station_of: dict[str, str], first_district: str) -> tuple[str, str]:
    """A grid of ``first_district`` and a grid of another district whose polygons share a border,
    preferring a neighbour in the same station, then lower codes."""
    mine = [g for g in grids if g.district_code == first_district]
    others = [g for g in grids if g.district_code != first_district]
    tree = shapely.STRtree([g.geometry for g in others])
    station = station_of[first_district]
    best = None
    for grid in mine:
        for j in tree.query(grid.geometry, predicate="touches"):
            other = others[int(j)]
            if grid.geometry.intersection(other.geometry).length <= 0:
                continue  # a corner, not a border
            key = (station_of[other.district_code] != station, grid.code, other.code)
            if best is None or key < best:
                best = key
    if best is None:
        raise PlanError(f"no grid of district {first_district} borders a grid of another district")
    return best[1], best[2]


def plan_city(
    counties: Sequence[County],
    townships: Sequence[Township],
    villages: Sequence[Village],
    *,
    scale: float,
    seed: int,
) -> CityPlan:
    """The demo city for these divisions at ``scale`` (0 < scale ≤ 1) from ``seed``."""
    if not 0 < scale <= 1:
        raise PlanError(f"the scale must be more than 0 and at most 1, not {scale}")
    counties = sorted(counties, key=lambda c: c.code)
    county_codes = {c.code for c in counties}
    villages_by_town: dict[str, list[Village]] = defaultdict(list)
    for v in sorted(villages, key=lambda v: v.code):
        if v.code[:6] in county_codes:
            villages_by_town[v.township_code].append(v)
    towns_by_county: dict[str, list[Township]] = defaultdict(list)
    for t in sorted(townships, key=lambda t: t.code):
        if t.county_code in county_codes and villages_by_town.get(t.code):
            towns_by_county[t.county_code].append(t)
    missing = [c.code for c in counties if not towns_by_county[c.code]]
    if missing:
        raise PlanError(f"counties without townships or villages: {', '.join(missing)}")
    village_by_code = {v.code: v for vs in villages_by_town.values() for v in vs}
    town_by_code = {t.code: t for ts in towns_by_county.values() for t in ts}
    n_towns = sum(len(ts) for ts in towns_by_county.values())

    # How many of each, in the article's proportions.
    n_stations = _clamp(round(ARTICLE_STATIONS * scale), len(counties), n_towns)
    stations_per_county = apportion(
        n_stations,
        [len(towns_by_county[c.code]) for c in counties],
        caps=[len(towns_by_county[c.code]) for c in counties],
    )
    used_towns: dict[str, list[Township]] = {}
    for county, n_st in zip(counties, stations_per_county, strict=True):
        towns = towns_by_county[county.code]
        used_towns[county.code] = towns[: _clamp(round(len(towns) * scale), n_st, len(towns))]
    used_town_list = [t for c in counties for t in used_towns[c.code]]
    n_districts = max(n_stations, round(ARTICLE_DISTRICTS * scale))
    capacity = sum(len(villages_by_town[t.code]) for t in used_town_list)
    town_sizes = [len(villages_by_town[t.code]) for t in used_town_list]
    # The first township gets two villages at least, so that the first station can have two
    # districts side by side: the demo accounts ``grid`` and ``grid2`` need them.
    town_minimums = [min(2, size) if i == 0 else 1 for i, size in enumerate(town_sizes)]
    n_villages = _clamp(
        round(len(village_by_code) * scale), max(sum(town_minimums), n_districts + 1), capacity
    )
    per_town = apportion(n_villages, town_sizes, minimum=town_minimums, caps=town_sizes)
    used_villages: list[Village] = []
    for town, k in zip(used_town_list, per_town, strict=True):
        used_villages.extend(villages_by_town[town.code][:k])  # the innermost ones
    n_grids = max(len(used_villages), round(ARTICLE_GRIDS * scale))
    grids_per_village = dict(
        zip(
            [v.code for v in used_villages],
            apportion(n_grids, [URBAN_RURAL_GRID_WEIGHT.get(v.urban_rural_code, 1.0) for v in used_villages]),
            strict=True,
        )
    )

    # Where everything is: the villages of every county, used or not.
    works: dict[str, _CountyWork] = {}
    for county in counties:
        centre = county.outline.centroid
        plane = LocalPlane(centre.x, centre.y)
        outline_km = plane.to_km(county.outline)
        work = _CountyWork(county, plane, outline_km, towns_by_county[county.code])
        _place_centres(work, seed)
        _place_villages(work, villages_by_town, seed)
        codes = [v.code for t in work.townships for v in villages_by_town[t.code]]
        cells = partition(outline_km, [work.village_points[c] for c in codes])
        work.village_cells = dict(zip(codes, cells, strict=True))
        works[county.code] = work

    # Police stations: whole townships.
    stations: list[StationPlan] = []
    station_of_town: dict[str, str] = {}
    used_village_codes = {v.code for v in used_villages}
    for county, n_st in zip(counties, stations_per_county, strict=True):
        town_weight = {
            t.code: sum(1 for v in villages_by_town[t.code] if v.code in used_village_codes)
            for t in used_towns[county.code]
        }
        groups = _group_townships(works[county.code], used_towns[county.code], n_st, town_weight)
        for seq, group in enumerate(groups, start=1):
            head = max(group, key=lambda c: (town_weight[c], -int(c)))
            code = f"{county.code}51{seq:02d}00"
            stations.append(
                StationPlan(
                    code, names.station_name(town_by_code[head].name), county.code, head, tuple(group)
                )
            )
            for town_code in group:
                station_of_town[town_code] = code

    # Police districts: whole villages of a station, in compact groups.
    villages_of_station: dict[str, list[Village]] = defaultdict(list)
    for v in used_villages:
        villages_of_station[station_of_town[v.township_code]].append(v)
    station_weights = [sum(grids_per_village[v.code] for v in villages_of_station[s.code]) for s in stations]
    station_caps = [len(villages_of_station[s.code]) for s in stations]
    minimums = [1] * len(stations)
    minimums[0] = min(2, station_caps[0])  # so the demo accounts have a neighbouring district
    n_districts = _clamp(n_districts, sum(minimums), sum(station_caps))
    districts_per_station = apportion(n_districts, station_weights, minimum=minimums, caps=station_caps)
    districts: list[DistrictPlan] = []
    district_of_village: dict[str, str] = {}
    for station, k in zip(stations, districts_per_station, strict=True):
        work = works[station.county_code]
        items = [
            (v.code, *work.village_points[v.code], float(grids_per_village[v.code]))
            for v in villages_of_station[station.code]
        ]
        groups = sorted(sorted(g) for g in _bisect(items, k))
        for seq, group in enumerate(groups, start=1):
            code = f"{station.code}Q{seq:02d}"
            districts.append(
                DistrictPlan(code, names.district_name(station.name, seq), station.code, tuple(group))
            )
            for village_code in group:
                district_of_village[village_code] = code

    # Grids: cut inside each used village, then cleaned with the rest of the county as one coverage.
    grids: list[GridPlan] = []
    village_outlines: dict[str, Polygon] = {}
    for county in counties:
        work = works[county.code]
        keys: list[tuple[str, int]] = []  # (village code, grid sequence or 0 for an unused village)
        pieces_km: list[Polygon] = []
        for village_code, cell in work.village_cells.items():
            k = grids_per_village.get(village_code, 0)
            if k == 0:
                keys.append((village_code, 0))
                pieces_km.append(cell)
                continue
            rng = seeded(seed, "grids", village_code, str(k))
            for seq, piece in enumerate(partition(cell, relaxed_points(cell, k, rng)), start=1):
                keys.append((village_code, seq))
                pieces_km.append(piece)
        pieces = shapely.coverage_clean(np.array([work.plane.to_lonlat(p) for p in pieces_km], dtype=object))
        by_village: dict[str, list[Polygon]] = defaultdict(list)
        for (village_code, seq), piece in zip(keys, pieces, strict=True):
            if piece.geom_type != "Polygon" or piece.is_empty or not piece.is_valid:
                raise PlanError(f"the area of village {village_code} came out as {piece.geom_type}")
            by_village[village_code].append(piece)
            if seq:
                village = village_by_code[village_code]
                grids.append(
                    GridPlan(
                        code=f"{village_code}{seq:03d}",
                        name=names.grid_name(village.name, seq),
                        village_code=village_code,
                        district_code=district_of_village[village_code],
                        geometry=piece,
                    )
                )
        for village_code, parts in by_village.items():
            outline = parts[0] if len(parts) == 1 else shapely.coverage_union_all(parts)
            if outline.geom_type != "Polygon":
                raise PlanError(f"the grids of village {village_code} do not form one area")
            village_outlines[village_code] = outline

    grids.sort(key=lambda g: g.code)
    station_of_district = {d.code: d.station_code for d in districts}
    demo_grid, neighbour = _touching_pair(grids, station_of_district, districts[0].code)
    centres = {
        code: tuple(float(v) for v in works[code[:6]].plane.to_lonlat(shapely.Point(p)).coords[0])
        for w in works.values()
        for code, p in w.centres_km.items()
    }
    return CityPlan(
        scale=scale,
        seed=seed,
        counties=list(counties),
        stations=stations,
        districts=districts,
        grids=grids,
        village_outlines=village_outlines,
        demo_grid_code=demo_grid,
        neighbour_grid_code=neighbour,
        township_centres=centres,
    )
