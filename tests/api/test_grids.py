"""Grids through the API: scoped lists and details, GeoJSON, creation and change by grid managers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fengqiao.core.models import AuditEntry
from fengqiao.geo.models import Grid
from tests.conftest import make_grid, square
from tests.fixtures.api import fields_of

GRIDS = "/api/v1/grids"

SEES = {
    "grid_a": {"A"},
    "grid_b": {"B"},
    "officer": {"A"},
    "station": {"A", "B"},
    "city": {"A", "B", "C"},
    "resident": set(),
    "admin": {"A", "B", "C"},
}


def codes_by_place(t):
    return {"A": t.grid_a.code, "B": t.grid_b.code, "C": t.grid_c.code}


def all_grids():
    return Grid.objects.unscoped(reason="test: what is in the database")


def codes(response) -> list[str]:
    return [item["code"] for item in response.json()["items"]]


# --- list -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", list(SEES))
def test_the_list_holds_exactly_the_grids_in_scope(api, personas, persona):
    by_place = codes_by_place(personas.territory)
    # when a persona lists the grids
    response = api.get(GRIDS, as_=getattr(personas, persona))
    # then they see their subtree and nothing else, and the count agrees
    assert response.status_code == 200
    expected = sorted(by_place[place] for place in SEES[persona])
    assert codes(response) == expected
    assert response.json()["count"] == len(expected)


def test_list_items_name_community_district_and_station(api, personas):
    t = personas.territory
    item = api.get(GRIDS, as_=personas.grid_a).json()["items"][0]
    assert item["community"] == {"code": t.village_a.code, "name": t.village_a.name}
    assert item["district"] == {"code": "d01", "name": t.district_a.name, "path": t.district_a.path}
    assert item["station"] == {"code": "ps01", "name": t.station.name, "path": t.station.path}
    assert item["centroid"] == {"lon": t.grid_a.centroid_lon, "lat": t.grid_a.centroid_lat}
    assert "geometry" not in item


def test_pages_split_the_list_and_keep_the_total(api, personas):
    t = personas.territory
    # when the city pages through its three grids two at a time
    first = api.get(GRIDS, as_=personas.city, params={"limit": 2, "offset": 0}).json()
    second = api.get(GRIDS, as_=personas.city, params={"limit": 2, "offset": 2}).json()
    # then the pages hold every grid once, in code order, and each gives the total
    assert (first["count"], first["limit"], first["offset"]) == (3, 2, 0)
    assert second["count"] == 3
    assert [g["code"] for g in first["items"] + second["items"]] == sorted(codes_by_place(t).values())


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"community": "6403021002"}, "community"),
        ({"community": "64030210020x"}, "community"),
        ({"district": "d01/../d02"}, "district"),
        ({"district": "d 01"}, "district"),
    ],
)
def test_bad_paging_or_filter_values_are_422_naming_the_field(api, personas, params, field):
    response = api.get(GRIDS, as_=personas.city, params=params)
    assert response.status_code == 422
    assert fields_of(response) == {field}
    assert field in response.json()["detail"]


def test_filter_by_community(api, personas):
    t = personas.territory
    response = api.get(GRIDS, as_=personas.city, params={"community": t.village_b.code})
    assert codes(response) == [t.grid_b.code]


def test_filter_by_district_path_or_code(api, personas):
    t = personas.territory
    # a path names one district
    by_path = api.get(GRIDS, as_=personas.city, params={"district": t.district_c.path})
    assert codes(by_path) == [t.grid_c.code]
    # a bare code names the districts of that code in every station the caller sees
    by_code = api.get(GRIDS, as_=personas.city, params={"district": "d01"})
    assert codes(by_code) == sorted([t.grid_a.code, t.grid_c.code])
    station_by_code = api.get(GRIDS, as_=personas.station, params={"district": "d01"})
    assert codes(station_by_code) == [t.grid_a.code]


def test_a_filter_never_widens_the_scope(api, personas):
    t = personas.territory
    response = api.get(GRIDS, as_=personas.grid_a, params={"community": t.village_b.code})
    assert response.json() == {"items": [], "count": 0, "limit": 100, "offset": 0}


def test_the_list_costs_the_same_queries_for_more_grids(api, personas):
    t = personas.territory
    api.get(GRIDS, as_=personas.city)  # the token's last use is written once; not counted below

    def queries_for_list():
        with CaptureQueriesContext(connection) as queries:
            assert api.get(GRIDS, as_=personas.city).status_code == 200
        return len(queries)

    # given the list's cost with three grids
    before = queries_for_list()
    # when five more grids join
    for i in range(5):
        make_grid(f"64030210020100{i + 2}", f"网格{i}", t.village_a, t.district_a, 106.2 + i / 50, 37.9)
    api.get(GRIDS, as_=personas.city)  # a changed tree is read again once per process, not counted
    # then listing them costs no more queries (no query per grid)
    assert queries_for_list() == before


# --- detail -----------------------------------------------------------------------------------


def test_a_grid_is_a_geojson_feature(api, personas):
    t = personas.territory
    # when grid A's worker reads their grid
    response = api.get(f"{GRIDS}/{t.grid_a.code}", as_=personas.grid_a)
    # then it is a GeoJSON Feature with the outline and the grid's facts as properties
    assert response.status_code == 200
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["id"] == t.grid_a.code
    assert feature["geometry"] == square(106.10, 37.90)
    props = feature["properties"]
    assert props["code"] == t.grid_a.code
    assert props["name"] == t.grid_a.name
    assert props["community"] == {"code": t.village_a.code, "name": t.village_a.name}
    assert props["district"]["path"] == t.district_a.path
    assert props["station"]["name"] == t.station.name
    assert props["area_km2"] == pytest.approx(0.98)
    assert props["centroid"] == {"lon": pytest.approx(106.105), "lat": pytest.approx(37.905)}


def test_a_grid_out_of_scope_is_404_exactly_like_a_missing_one(api, personas):
    t = personas.territory
    # when grid A's worker asks for the neighbouring grid B, and for a grid that does not exist
    out_of_scope = api.get(f"{GRIDS}/{t.grid_b.code}", as_=personas.grid_a)
    missing = api.get(f"{GRIDS}/640302100201099", as_=personas.grid_a)
    # then both are the same 404, giving nothing away
    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.json() == missing.json()
    assert t.grid_b.name not in out_of_scope.content.decode()


# --- create -----------------------------------------------------------------------------------


def new_grid(t, *, community=None, district=None, code=None, **extra):
    community = community or t.village_a
    return {
        "code": code or f"{community.code}077",
        "name": "新网格",
        "community": community.code,
        "district": (district or t.district_a).path,
        "geometry": square(106.30, 37.90),
        **extra,
    }


def test_a_station_chief_creates_a_grid_in_their_scope(api, personas):
    t = personas.territory
    # when the station chief creates a grid in their first district
    response = api.post(GRIDS, new_grid(t), as_=personas.station)
    # then it exists, is answered as a Feature, measured, and in the tree under that district
    assert response.status_code == 201, response.content
    feature = response.json()
    assert feature["id"] == "640302100201077"
    assert feature["properties"]["area_km2"] > 0.9
    grid = all_grids().get(code="640302100201077")
    assert grid.scope_path == f"{t.district_a.path}/640302100201077"
    # and the audit log names the token's user and the API as the door
    entry = AuditEntry.objects.get(action="create", object_type="geo.grid")
    assert (entry.actor, entry.source, entry.object_id) == (personas.station, "api", str(grid.pk))
    assert entry.request_id == response["X-Request-ID"]


def test_a_grid_worker_may_not_create_grids(api, personas):
    t = personas.territory
    response = api.post(GRIDS, new_grid(t), as_=personas.grid_a)
    assert response.status_code == 403
    assert response.json()["detail"]
    assert not all_grids().filter(code="640302100201077").exists()


def test_a_grid_outside_the_creators_scope_is_404_and_nothing_is_written(api, personas):
    t = personas.territory
    # when the station chief tries to put a grid in another county's district
    payload = new_grid(t, community=t.village_c, district=t.district_c)
    response = api.post(GRIDS, payload, as_=personas.station)
    # then 404, as for anything outside their scope, and no grid nor audit entry is left
    assert response.status_code == 404
    assert not all_grids().filter(code=payload["code"]).exists()
    assert not AuditEntry.objects.filter(action="create").exists()


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        (
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[106.3, 37.9], [106.31, 37.9], [106.31, 37.91]]],
                }
            },
            {"geometry"},
        ),
        ({"geometry": {"type": "Point", "coordinates": [106.3, 37.9]}}, {"geometry"}),
        ({"geometry": "POLYGON((0 0, 1 0, 1 1, 0 0))"}, {"geometry"}),
        ({"community": "640302100299"}, {"community"}),
        ({"district": "640300/640302/ps01/d99"}, {"district"}),
        ({"code": "640302100202077"}, {"code"}),
        ({"code": "6403"}, {"code"}),
        ({"name": ""}, {"name"}),
        ({"colour": "red"}, {"colour"}),
    ],
)
def test_bad_grids_are_422_naming_the_field(api, personas, change, fields):
    t = personas.territory
    response = api.post(GRIDS, {**new_grid(t), **change}, as_=personas.station)
    assert response.status_code == 422, response.content
    assert fields_of(response) == fields
    assert all_grids().count() == 3


def test_a_grid_code_is_taken_once(api, personas):
    t = personas.territory
    response = api.post(GRIDS, new_grid(t, code=t.grid_a.code), as_=personas.station)
    assert response.status_code == 422
    assert fields_of(response) == {"code"}


def test_every_missing_field_is_named(api, personas):
    response = api.post(GRIDS, {}, as_=personas.station)
    assert response.status_code == 422
    assert fields_of(response) == {"code", "name", "community", "district", "geometry"}


# --- change -----------------------------------------------------------------------------------


def test_a_station_chief_renames_a_grid(api, personas):
    t = personas.territory
    # when the station chief renames grid B
    response = api.patch(f"{GRIDS}/{t.grid_b.code}", {"name": "关渠村中心网格"}, as_=personas.station)
    # then it is renamed, and the audit log holds before and after, from the API
    assert response.status_code == 200, response.content
    assert response.json()["properties"]["name"] == "关渠村中心网格"
    assert all_grids().get(pk=t.grid_b.pk).name == "关渠村中心网格"
    entry = AuditEntry.objects.get(action="update")
    assert (entry.actor, entry.source) == (personas.station, "api")
    assert (entry.before, entry.after) == ({"name": t.grid_b.name}, {"name": "关渠村中心网格"})


def test_a_station_chief_redraws_and_retires_a_grid(api, personas):
    t = personas.territory
    # when the station chief doubles grid A's outline and takes it out of use
    response = api.patch(
        f"{GRIDS}/{t.grid_a.code}",
        {"geometry": square(106.10, 37.90, 0.02), "is_active": False},
        as_=personas.station,
    )
    # then the outline, its measures and the state change together
    assert response.status_code == 200, response.content
    grid = all_grids().get(pk=t.grid_a.pk)
    assert grid.is_active is False
    assert grid.geometry == square(106.10, 37.90, 0.02)
    # a 0.02° square at 37.9°N: about 2.22 km × 1.75 km
    assert grid.area_km2 == pytest.approx(3.9, rel=0.02)
    assert response.json()["properties"]["area_km2"] == grid.area_km2
    assert (grid.centroid_lon, grid.centroid_lat) == (pytest.approx(106.11), pytest.approx(37.91, abs=1e-4))


def test_a_grid_worker_may_not_change_their_grid(api, personas):
    t = personas.territory
    response = api.patch(f"{GRIDS}/{t.grid_a.code}", {"name": "改名"}, as_=personas.grid_a)
    assert response.status_code == 403
    assert all_grids().get(pk=t.grid_a.pk).name == t.grid_a.name


def test_changing_a_grid_out_of_scope_is_404(api, personas):
    t = personas.territory
    response = api.patch(f"{GRIDS}/{t.grid_b.code}", {"name": "改名"}, as_=personas.grid_a)
    assert response.status_code == 404
    assert all_grids().get(pk=t.grid_b.pk).name == t.grid_b.name


def test_moving_a_grid_out_of_ones_scope_is_404_and_rolled_back(api, personas):
    t = personas.territory
    # when the station chief moves grid A into another county's district
    response = api.patch(f"{GRIDS}/{t.grid_a.code}", {"district": t.district_c.path}, as_=personas.station)
    # then it is refused as out of scope, and the grid stays where it was
    assert response.status_code == 404
    grid = all_grids().get(pk=t.grid_a.pk)
    assert (grid.district_id, grid.scope_path) == (t.district_a.pk, t.grid_a.scope_path)
    assert not AuditEntry.objects.filter(action="update").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"name": 7}, "name"),
        ({"is_active": "yes"}, "is_active"),
        ({"geometry": None}, "geometry"),
        ({"code": "640302100201002"}, "code"),
        ({"community": "12"}, "community"),
    ],
)
def test_bad_changes_are_422_naming_the_field(api, personas, change, field):
    t = personas.territory
    response = api.patch(f"{GRIDS}/{t.grid_a.code}", change, as_=personas.station)
    assert response.status_code == 422
    assert fields_of(response) == {field}
    assert all_grids().get(pk=t.grid_a.pk).name == t.grid_a.name
