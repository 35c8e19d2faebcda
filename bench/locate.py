"""Benchmark: place Wuzhong's 733,000 people among its 3,475 grids.

Builds 3,475 grids as Voronoi cells of random seeds clipped to the real city outline
(shared/data/wuzhong/boundaries/640300.json, converted from GCJ-02 to WGS-84), places 733,000
random points from the outline's bounding box with ``Locator.locate_many`` (STRtree over prepared
polygons), and, in the same run, times the naive loop — for each point, for each polygon,
``polygon.contains(point)`` — on a sample, extrapolates it, and prints the ratio (goal ≥ 100×).
Both must place the sample identically. No database needed:

    .venv/bin/python bench/locate.py [--points 733000] [--grids 3475] [--sample 2000] [--seed 1]
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fengqiao.geo.data import WUZHONG  # noqa: E402
from fengqiao.geo.datum import gcj02_to_wgs84  # noqa: E402
from fengqiao.geo.locator import OUTSIDE, Locator  # noqa: E402

OUTLINE = WUZHONG / "boundaries" / "640300.json"


def city_outline(path: Path) -> shapely.Geometry:
    return shapely.geometry.shape(gcj02_to_wgs84(json.loads(path.read_text())))


def random_points_in(area, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    found = []
    count = 0
    while count < n:
        xs = rng.uniform(minx, maxx, n)
        ys = rng.uniform(miny, maxy, n)
        inside = shapely.contains_xy(area, xs, ys)
        found.append(np.column_stack([xs[inside], ys[inside]]))
        count += int(inside.sum())
    return np.concatenate(found)[:n]


def voronoi_grids(area, n: int, rng: np.random.Generator) -> list:
    seeds = shapely.multipoints(random_points_in(area, n, rng))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=area))
    clipped = shapely.intersection(cells, area)
    grids = []
    for cell in clipped:
        polygonal = [p for p in shapely.get_parts(cell) if p.geom_type in ("Polygon", "MultiPolygon")]
        if polygonal:
            grids.append(shapely.union_all(polygonal) if len(polygonal) > 1 else polygonal[0])
    return grids


def naive_locate(polygons: list, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    result = np.full(lons.size, OUTSIDE, dtype=np.int64)
    for i, (lon, lat) in enumerate(zip(lons, lats, strict=True)):
        point = shapely.Point(lon, lat)
        for j, polygon in enumerate(polygons):
            if polygon.contains(point):
                result[i] = j
                break
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=733_000)
    parser.add_argument("--grids", type=int, default=3_475)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    t0 = time.perf_counter()
    area = city_outline(OUTLINE)
    grids = voronoi_grids(area, args.grids, rng)
    vertices = int(shapely.get_num_coordinates(np.asarray(grids, dtype=object)).sum())
    print(
        f"grids: {len(grids)} Voronoi cells clipped to the Wuzhong outline ({vertices:,} vertices), "
        f"built in {time.perf_counter() - t0:.2f} s"
    )

    minx, miny, maxx, maxy = area.bounds
    lons = rng.uniform(minx, maxx, args.points)
    lats = rng.uniform(miny, maxy, args.points)

    # The naive loop gets its own, unprepared copies of the polygons.
    naive_polygons = list(shapely.from_wkb(shapely.to_wkb(np.asarray(grids, dtype=object))))

    t0 = time.perf_counter()
    locator = Locator(range(len(grids)), grids)
    locator.locate(minx, miny)  # GEOS builds the tree on its first query: count that as building
    build = time.perf_counter() - t0

    t0 = time.perf_counter()
    placed = locator.locate_many(lons, lats)
    indexed = time.perf_counter() - t0
    indexed_rate = args.points / indexed
    inside = int((placed != OUTSIDE).sum())
    print(
        f"STRtree: index built in {build * 1000:.0f} ms; {args.points:,} points placed in {indexed:.2f} s "
        f"= {indexed_rate:,.0f} points/s ({inside:,} inside a grid, {args.points - inside:,} outside)"
    )

    sample = min(args.sample, args.points)
    t0 = time.perf_counter()
    naive = naive_locate(naive_polygons, lons[:sample], lats[:sample])
    naive_time = time.perf_counter() - t0
    naive_rate = sample / naive_time
    print(
        f"naive loop: {sample:,} points in {naive_time:.2f} s = {naive_rate:,.0f} points/s "
        f"(extrapolated to {args.points:,} points: {args.points / naive_rate:,.0f} s)"
    )

    agree = bool(np.array_equal(naive, placed[:sample]))
    print(
        f"agreement on the sample: {'yes' if agree else 'NO'} "
        f"({int((naive == placed[:sample]).sum()):,}/{sample:,} identical)"
    )
    ratio = indexed_rate / naive_rate
    print(f"speed-up: {ratio:,.0f}x (goal: >= 100x) {'met' if ratio >= 100 else 'NOT met'}")
    if not agree:
        sys.exit(1)


if __name__ == "__main__":
    main()
