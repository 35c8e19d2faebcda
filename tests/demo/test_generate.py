"""The demo city as generated into the database: proportions, geometry, codes, staff, demo accounts,
determinism, re-runs and the audit trail."""

import math
import re
from collections import defaultdict

import pytest
import shapely
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from fengqiao.accounts.models import Posting, User
from fengqiao.core import audit
from fengqiao.core.roles import Role
from fengqiao.demo.actions import DEMO_PASSWORD, generate_demo_city
from fengqiao.geo.choices import DivisionLevel, UnitKind
from fengqiao.geo.geometry import parse_area
from fengqiao.geo.models import Division, Grid, PoliceUnit
from tests.demo.conftest import SCALE, SEED

pytestmark = pytest.mark.django_db

ALL_GRIDS = "test: inspect the whole generated territory"
# Grids are cut in a local plane in kilometres and mapped back to degrees; where a grid meets its
# county's outline the round trip may move a vertex by float rounding (~1e-14°). 1e-9° is 0.1 mm.
FLOAT_SLACK_DEG = 1e-9


def all_grids():
    return Grid.objects.unscoped(reason=ALL_GRIDS).select_related(
        "community__parent", "district__parent__parent"
    )


def units(kind):
    return list(PoliceUnit.objects.filter(kind=kind).order_by("code"))


def snapshot() -> dict:
    """Everything that makes the city what it is, comparable between two generations."""
    return {
        "units": list(
            PoliceUnit.objects.order_by("path").values_list("kind", "code", "name", "path", "division__code")
        ),
        "grids": list(
            Grid.objects.unscoped(reason=ALL_GRIDS)
            .order_by("code")
            .values_list(
                "code", "name", "community__code", "district__code", "scope_path", "geometry", "area_km2"
            )
        ),
        "villages": dict(
            Division.objects.filter(level=DivisionLevel.VILLAGE, outline__isnull=False).values_list(
                "code", "outline"
            )
        ),
        "staff": list(
            User.objects.filter(is_active=True)
            .order_by("username")
            .values_list("username", "full_name", "role")
        ),
    }


def test_counts_follow_the_article_at_a_small_scale(small_city):
    # given a city generated at scale 0.05 (see the small_city fixture)
    # then stations, districts and grids shrink in the article's proportions (44 / 118 / 3,475),
    # with at least one station per county and one district per station
    counties = units(UnitKind.COUNTY)
    stations = units(UnitKind.STATION)
    districts = units(UnitKind.DISTRICT)
    assert len(units(UnitKind.CITY)) == 1
    assert [c.code for c in counties] == ["640302", "640303", "640323", "640324", "640381"]
    assert len(stations) == max(5, round(44 * SCALE)) == 5
    assert len(districts) == max(len(stations), round(118 * SCALE)) == 6
    assert all_grids().count() == round(3475 * SCALE) == 174
    assert {s.parent_id for s in stations} == {c.pk for c in counties}
    assert {d.parent_id for d in districts} == {s.pk for s in stations}
    # and the report says so
    assert small_city.created
    assert small_city.counts == {
        "counties": 5,
        "stations": 5,
        "districts": 6,
        "villages": 31,
        "grids": 174,
        "staff": 191,
        "accounts": 194,
    }


def test_every_grid_is_a_valid_polygon_inside_exactly_one_village_and_its_county(small_city):
    # given the generated grids and the stored village and county outlines
    grids = list(all_grids())
    villages = {
        d.code: d for d in Division.objects.filter(level=DivisionLevel.VILLAGE, outline__isnull=False)
    }
    village_shapes = {code: parse_area(d.outline) for code, d in villages.items()}
    counties = {
        d.code[:6]: parse_area(d.outline) for d in Division.objects.filter(level=DivisionLevel.COUNTY)
    }
    codes = list(village_shapes)
    tree = shapely.STRtree([village_shapes[c] for c in codes])
    for grid in grids:
        # then each grid is one valid polygon (parse_area raises otherwise) with its measures
        shape = parse_area(grid.geometry)
        assert shape.geom_type == "Polygon"
        assert grid.area_km2 == pytest.approx(plain_area_km2(shape), rel=0.01)
        assert (grid.centroid_lon, grid.centroid_lat) == pytest.approx(shape.centroid.coords[0], abs=1e-3)
        # inside its own village's outline, exactly
        assert village_shapes[grid.community.code].covers(shape)
        # sharing area with no other village
        overlapping = [
            codes[i] for i in tree.query(shape) if village_shapes[codes[i]].intersection(shape).area > 1e-12
        ]
        assert overlapping == [grid.community.code]
        # and inside its county's (real) outline
        assert counties[grid.code[:6]].buffer(FLOAT_SLACK_DEG).covers(shape)
    # and the grids of a county neither overlap nor leave slivers between neighbours
    by_county = defaultdict(list)
    for grid in grids:
        by_county[grid.code[:6]].append(parse_area(grid.geometry))
    for shapes in by_county.values():
        assert shapely.coverage_is_valid(shapes)


def plain_area_km2(shape) -> float:
    """Area in km² by a plain equirectangular approximation: a cross-check of the stored value."""
    return shape.area * 111.32 * 110.574 * math.cos(math.radians(shape.centroid.y))


def test_codes_nest_and_names_read_like_real_ones(small_city):
    # given the generated units and grids
    stations = units(UnitKind.STATION)
    districts = units(UnitKind.DISTRICT)
    grids = list(all_grids())
    # then station codes are the county code, 51, a two-digit sequence and 00, unique city-wide
    for station in stations:
        assert re.fullmatch(r"\d{6}51\d{2}00", station.code)
        assert station.code.startswith(station.parent.code)
        assert station.name.endswith("派出所")
    assert len({s.code for s in stations}) == len(stations)
    # district codes are the station code, Q and a two-digit sequence, unique city-wide
    for district in districts:
        assert re.fullmatch(re.escape(district.parent.code) + r"Q\d{2}", district.code)
        assert district.name.endswith("警务区")
        assert district.path == f"{district.parent.path}/{district.code}"
    assert len({d.code for d in districts}) == len(districts)
    # grid codes are the 12-digit village code and a 3-digit sequence; the scope path ends in it
    for grid in grids:
        assert re.fullmatch(re.escape(grid.community.code) + r"\d{3}", grid.code)
        assert re.fullmatch(r".+第[一二三四五六七八九十]+网格", grid.name)
        assert grid.scope_path == f"{grid.district.path}/{grid.code}"
        assert grid.community.level == DivisionLevel.VILLAGE


def test_stations_cover_whole_townships_and_districts_whole_villages(small_city):
    # given the generated grids
    grids = list(all_grids())
    station_of_town = defaultdict(set)
    district_of_village = defaultdict(set)
    for grid in grids:
        station = grid.district.parent
        town = grid.community.parent
        station_of_town[town.code].add(station.code)
        district_of_village[grid.community.code].add(grid.district.code)
        # then each grid's station is in the grid's county
        assert station.parent.code == town.code[:6]
    # every township with grids belongs to exactly one station, every village to one district
    assert all(len(s) == 1 for s in station_of_town.values())
    assert all(len(d) == 1 for d in district_of_village.values())
    # and a station sits in one of the townships it covers
    for station in units(UnitKind.STATION):
        covered = {town for town, s in station_of_town.items() if s == {station.code}}
        assert station.division.code in covered


def test_staff_for_every_post(small_city):
    # given the generated city
    postings = list(Posting.objects.select_related("user", "unit", "grid"))
    by_unit = defaultdict(list)
    by_grid = defaultdict(list)
    for p in postings:
        (by_grid[p.grid_id] if p.grid_id else by_unit[p.unit_id]).append(p.user)
    # then every unit and every grid has exactly one person posted there, in the matching role
    role_of_kind = {
        UnitKind.CITY: Role.CITY_COMMAND,
        UnitKind.COUNTY: Role.COUNTY_BUREAU,
        UnitKind.STATION: Role.STATION,
        UnitKind.DISTRICT: Role.COMMUNITY_OFFICER,
    }
    for unit in PoliceUnit.objects.all():
        (user,) = by_unit[unit.pk]
        assert user.role == role_of_kind[unit.kind]
    for grid in all_grids():
        (user,) = by_grid[grid.pk]
        assert user.role == Role.GRID_WORKER
    # with a plausible Chinese name: a surname and one or two given-name characters
    staff = [p.user for p in postings]
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", u.full_name) for u in staff)
    assert len({u.full_name for u in staff}) > len(staff) // 3


def test_the_eight_demo_accounts(small_city):
    # given the generated city
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["admin", "city", "station", "officer", "grid", "grid2", "volunteer", "resident"]
        )
    }
    # then all eight exist and log in with the demo password
    assert set(users) == {"admin", "city", "station", "officer", "grid", "grid2", "volunteer", "resident"}
    for username in users:
        assert (
            authenticate(RequestFactory().post("/login/"), username=username, password=DEMO_PASSWORD)
            == users[username]
        )
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert not any(u.is_superuser for name, u in users.items() if name != "admin")
    roles = {name: u.role for name, u in users.items() if name != "admin"}
    assert roles == {
        "city": Role.CITY_COMMAND,
        "station": Role.STATION,
        "officer": Role.COMMUNITY_OFFICER,
        "grid": Role.GRID_WORKER,
        "grid2": Role.GRID_WORKER,
        "volunteer": Role.VOLUNTEER,
        "resident": Role.RESIDENT,
    }
    # posted where the README says: the city, the first station, its first district, a grid there
    posting = {
        name: u.postings.select_related("unit", "grid__district").get()
        for name, u in users.items()
        if name not in ("admin", "volunteer", "resident")
    }
    assert posting["city"].unit.kind == UnitKind.CITY
    first_station = units(UnitKind.STATION)[0]
    assert posting["station"].unit == first_station
    assert posting["officer"].unit == first_station.children.order_by("code").first()
    assert posting["grid"].grid.district == posting["officer"].unit
    assert not users["resident"].postings.exists() and not users["volunteer"].postings.exists()
    assert not users["admin"].postings.exists()


def test_grid2_borders_grid_from_another_district(small_city):
    # given the grids of the two grid-worker demo accounts
    grid = Posting.objects.select_related("grid").get(user__username="grid").grid
    grid2 = Posting.objects.select_related("grid").get(user__username="grid2").grid
    a, b = parse_area(grid.geometry), parse_area(grid2.geometry)
    # then the polygons touch along a border (not only at a corner) without overlapping
    assert a.touches(b)
    assert a.intersection(b).length > 0
    # and the grids lie in different police districts of the same station
    assert grid.district_id != grid2.district_id
    assert grid.district.parent_id == grid2.district.parent_id


def test_demo_accounts_see_their_own_scope_only(small_city):
    # given the demo accounts
    grid_user = User.objects.get(username="grid")
    grid2_user = User.objects.get(username="grid2")
    officer = User.objects.get(username="officer")
    station = User.objects.get(username="station")
    city = User.objects.get(username="city")
    resident = User.objects.get(username="resident")
    own = Posting.objects.get(user=grid_user).grid
    neighbour = Posting.objects.get(user=grid2_user).grid

    # when each lists the grids visible to them
    def visible(user):
        return set(Grid.objects.visible_to(user).values_list("code", flat=True))

    # then the grid worker sees their grid only, not the neighbour's
    assert visible(grid_user) == {own.code}
    assert visible(grid2_user) == {neighbour.code}
    # the officer sees the grids of their district, the station chief both districts', the city all
    assert visible(officer) == set(
        Grid.objects.unscoped(reason=ALL_GRIDS).filter(district=own.district).values_list("code", flat=True)
    )
    assert {own.code, neighbour.code} <= visible(station)
    assert neighbour.code not in visible(officer)
    assert len(visible(city)) == all_grids().count()
    assert visible(resident) == set()


def test_same_seed_same_city_and_another_seed_another(wuzhong, runner):
    # given a city generated from seed 7
    generate_demo_city(actor=runner, scale=SCALE, seed=SEED)
    first = snapshot()
    # when it is generated again from scratch with the same seed
    generate_demo_city(actor=runner, scale=SCALE, seed=SEED, reset=True)
    again = snapshot()
    # then every unit, grid polygon, village outline and person is the same
    assert again == first
    # and another seed gives other polygons and other people
    generate_demo_city(actor=runner, scale=SCALE, seed=SEED + 1, reset=True)
    other = snapshot()
    assert [g[5] for g in other["grids"]] != [g[5] for g in first["grids"]]
    assert other["villages"] != first["villages"]
    assert other["staff"] != first["staff"]


def test_rerun_without_reset_changes_nothing(small_city, runner, audit_since):
    # given a generated city
    before = snapshot()
    since = audit_since()
    # when the generator runs again, even with another scale and seed
    report = generate_demo_city(actor=runner, scale=0.1, seed=SEED + 1)
    # then it reports that it made nothing, and nothing changed or was audited
    assert not report.created
    assert snapshot() == before
    assert since() == []


def test_generation_is_one_audit_entry(wuzhong, runner, audit_since):
    # given the divisions, already imported
    since = audit_since()
    # when the city is generated
    generate_demo_city(actor=runner, scale=SCALE, seed=SEED)
    # then exactly one audit entry was written, naming scale, seed and counts
    (entry,) = since()
    assert entry.action == "demo_generate"
    assert entry.actor == runner
    assert entry.object_type == "geo.policeunit"
    assert entry.after["scale"] == SCALE and entry.after["seed"] == SEED
    assert entry.after["counts"]["grids"] == 174 and entry.after["counts"]["stations"] == 5
    # and the chain still holds
    assert audit.verify_chain().ok


def test_reset_to_a_smaller_city_deactivates_staff_without_a_post(wuzhong, runner):
    # given a city at scale 0.1
    generate_demo_city(actor=runner, scale=0.1, seed=SEED)
    bigger = set(User.objects.filter(is_active=True).values_list("username", flat=True))
    # when it is reset to scale 0.05
    generate_demo_city(actor=runner, scale=SCALE, seed=SEED, reset=True)
    # then the staff of posts that no longer exist can no longer log in, and everyone left has a post
    active = set(User.objects.filter(is_active=True).values_list("username", flat=True))
    gone = bigger - active
    assert gone and all(re.fullmatch(r"(grid\d{15}|officer\d{12}Q\d{2}|chief\d{12})", u) for u in gone)
    assert all_grids().count() == 174
    without_post = User.objects.filter(is_active=True, is_superuser=False, postings__isnull=True)
    assert set(without_post.values_list("username", flat=True)) == {"resident", "volunteer"}


def test_only_a_superuser_may_generate(wuzhong):
    # given a city-command user who is not a superuser
    user = User.objects.create_user("commander", password="x", role=Role.CITY_COMMAND)
    # when they try to generate the demo city
    with pytest.raises(PermissionDenied):
        generate_demo_city(actor=user, scale=SCALE, seed=SEED)
    # then nothing was made
    assert not PoliceUnit.objects.exists()
