"""The pure planning of the demo city: proportions at full scale, cutting areas, sharing out seats,
names. No database."""

import csv
import json
import os
import re
import subprocess
import sys

import pytest
import shapely
from django.conf import settings
from shapely.geometry import Polygon, box

from fengqiao.demo.city import County, PlanError, Township, Village, apportion, partition, plan_city
from fengqiao.demo.names import chinese_number, grid_name, station_name, village_short_name
from fengqiao.geo.data import WUZHONG
from fengqiao.geo.datum import gcj02_point_to_wgs84, gcj02_to_wgs84
from fengqiao.geo.geometry import parse_area
from tests.demo.conftest import SEED

DATA = str(WUZHONG)


def read_wuzhong_inputs():
    """The real divisions read straight from the shipped files, converted to WGS-84."""
    with open(f"{DATA}/divisions_2016.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    counties = []
    for row in rows:
        if row["level"] == "county" and row["virtual"] == "f":
            with open(f"{DATA}/boundaries/{row['code'][:6]}.json", encoding="utf-8") as f:
                outline = parse_area(gcj02_to_wgs84(json.load(f)))
            counties.append(County(row["code"][:6], row["name"], outline))
    townships = [
        Township(
            row["code"],
            row["name"],
            gcj02_point_to_wgs84(float(row["longitude"]), float(row["latitude"]))
            if row["longitude"]
            else None,
        )
        for row in rows
        if row["level"] == "town"
    ]
    villages = [
        Village(row["code"], row["name"], row["ur_code"]) for row in rows if row["level"] == "village"
    ]
    return counties, townships, villages


@pytest.fixture(scope="module")
def wuzhong_inputs():
    return read_wuzhong_inputs()


@pytest.fixture(scope="module")
def full_plan(wuzhong_inputs):
    return plan_city(*wuzhong_inputs, scale=1.0, seed=SEED)


def test_full_scale_is_the_real_city_of_the_article(full_plan):
    # given the plan at scale 1.0
    # then it has the article's 5 county bureaus, 44 stations, 118 districts and 3,475 grids,
    # in all 617 villages of the 2016 list
    assert full_plan.counts() == {
        "counties": 5,
        "stations": 44,
        "districts": 118,
        "villages": 617,
        "grids": 3475,
    }
    # with codes unique across the city
    for items in (full_plan.stations, full_plan.districts, full_plan.grids):
        assert len({i.code for i in items}) == len(items)
    # every township in exactly one station, every village in exactly one district
    towns = [t for s in full_plan.stations for t in s.township_codes]
    assert len(towns) == len(set(towns)) == 52
    villages = [v for d in full_plan.districts for v in d.village_codes]
    assert len(villages) == len(set(villages)) == 617


def test_full_scale_grids_tile_each_county(full_plan):
    # given the plan at scale 1.0
    for county in full_plan.counties:
        shapes = [g.geometry for g in full_plan.grids if g.code.startswith(county.code)]
        # then every grid is one valid polygon, the grids form a clean coverage (shared edges
        # identical, no overlap) and together they fill the county outline
        assert all(s.geom_type == "Polygon" and s.is_valid for s in shapes)
        assert shapely.coverage_is_valid(shapes)
        union = shapely.coverage_union_all(shapes)
        assert union.symmetric_difference(county.outline).area < 1e-9 * county.outline.area


def test_the_plan_depends_on_the_seed_only(wuzhong_inputs):
    # given two plans from the same seed and one from another
    a = plan_city(*wuzhong_inputs, scale=0.05, seed=SEED)
    b = plan_city(*wuzhong_inputs, scale=0.05, seed=SEED)
    c = plan_city(*wuzhong_inputs, scale=0.05, seed=SEED + 1)
    # then the same seed gives the same codes and the same coordinates, bit for bit
    assert [(g.code, g.name, g.district_code, g.geometry.wkb) for g in a.grids] == [
        (g.code, g.name, g.district_code, g.geometry.wkb) for g in b.grids
    ]
    # and another seed other polygons
    assert [g.geometry.wkb for g in a.grids] != [g.geometry.wkb for g in c.grids]


@pytest.mark.parametrize("scale", [0, -0.5, 1.5])
def test_scale_out_of_range_is_refused(wuzhong_inputs, scale):
    with pytest.raises(PlanError, match="scale"):
        plan_city(*wuzhong_inputs, scale=scale, seed=SEED)


def test_partition_of_a_concave_area_gives_one_polygon_per_point():
    # given a U-shaped area and a point at the bottom of the U, whose Voronoi cell reaches up into
    # both arms, and a point in each arm
    u_shape = box(0, 0, 10, 10).difference(box(3, 3, 7, 10))
    points = [(5, 1.5), (1.5, 8), (8.5, 8)]
    # when the area is cut
    cells = partition(u_shape, points)
    # then there is one single polygon per point, holding it, and together they tile the area
    assert len(cells) == 3
    for cell, point in zip(cells, points, strict=True):
        assert cell.geom_type == "Polygon"
        assert cell.contains(shapely.Point(point))
    assert shapely.union_all(cells).symmetric_difference(u_shape).area < 1e-9
    assert sum(c.area for c in cells) == pytest.approx(u_shape.area)


def test_partition_gives_a_stray_piece_to_its_neighbour():
    # given a comb whose middle cell, clipped, would fall into two pieces (one per tooth)
    comb = Polygon(
        [(0, 0), (12, 0), (12, 1), (8, 1), (8, 6), (7, 6), (7, 1), (5, 1), (5, 6), (4, 6), (4, 1), (0, 1)]
    )
    points = [(1, 0.5), (6, 0.5), (11, 0.5), (4.5, 5.5), (7.5, 5.5)]
    # when it is cut
    cells = partition(comb, points)
    # then every cell is still one polygon
    assert all(c.geom_type == "Polygon" for c in cells)
    assert sum(c.area for c in cells) == pytest.approx(comb.area)


def test_apportion_is_proportional_with_minimums_and_caps():
    assert apportion(10, [1, 1, 2]) == [2, 3, 5] or apportion(10, [1, 1, 2]) == [3, 2, 5]
    assert sum(apportion(3475, [3.0] * 55 + [1.0] * 562)) == 3475
    # every item gets its minimum, none more than its cap
    assert apportion(5, [100, 1, 1], minimum=1, caps=[2, 5, 5]) == [2, 2, 1]
    with pytest.raises(PlanError):
        apportion(2, [1, 1, 1])


def test_apportion_breaks_ties_the_same_way_every_time():
    assert apportion(4, [1, 1, 1]) == apportion(4, [1, 1, 1]) == [2, 1, 1]


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (21, "二十一"), (100, "一百"), (105, "一百零五")],
)
def test_chinese_numbers(n, text):
    assert chinese_number(n) == text


def test_names_read_like_real_ones():
    assert village_short_name("北门村委会") == "北门村"
    assert village_short_name("金丰社区居委会") == "金丰社区"
    assert village_short_name("园艺场") == "园艺场"
    assert grid_name("金积村委会", 1) == "金积村第一网格"
    assert station_name("金积镇") == "金积派出所"
    assert station_name("裕民街道办事处") == "裕民派出所"
    assert station_name("红寺堡区大河乡") == "大河派出所"
    assert re.fullmatch(r"巴浪湖农场派出所", station_name("巴浪湖农场"))


@pytest.mark.parametrize("scale", [0.001, 0.01, 0.3])
def test_any_scale_keeps_one_station_per_county_and_neighbouring_demo_grids(wuzhong_inputs, scale):
    # given a plan at a small or middling scale
    plan = plan_city(*wuzhong_inputs, scale=scale, seed=SEED)
    # then every county has a station, every station a district, every used village a grid
    assert {s.county_code for s in plan.stations} == {c.code for c in plan.counties}
    assert {d.station_code for d in plan.districts} == {s.code for s in plan.stations}
    used = {v for d in plan.districts for v in d.village_codes}
    assert used == {g.village_code for g in plan.grids}
    # and the demo grids touch, in two districts of the first station
    grids = {g.code: g for g in plan.grids}
    grid, grid2 = grids[plan.demo_grid_code], grids[plan.neighbour_grid_code]
    assert grid.geometry.intersection(grid2.geometry).length > 0
    assert grid.district_code == plan.districts[0].code != grid2.district_code
    assert grid2.district_code.startswith(plan.stations[0].code)


def test_the_same_seed_gives_the_same_plan_in_another_process():
    # given two fresh interpreters with different string-hash seeds (set order differs between them)
    script = (
        "import hashlib, django, os;"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.settings'; django.setup();"
        "from tests.demo.test_plan import read_wuzhong_inputs;"
        "from fengqiao.demo.city import plan_city;"
        "plan = plan_city(*read_wuzhong_inputs(), scale=0.05, seed=7);"
        "print(hashlib.sha256(b''.join(g.code.encode() + g.name.encode() + g.geometry.wkb"
        " for g in plan.grids)).hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        # when each plans the city from the same seed
        result = subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
            cwd=settings.PROJECT_DIR,
        )
        digests.add(result.stdout.strip())
    # then both plans are identical, bit for bit
    assert len(digests) == 1
