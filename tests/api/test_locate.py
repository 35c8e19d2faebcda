"""POST /api/v1/locate: which grid a point is in, told only as far as the caller's scope allows."""

import pytest

from fengqiao.geo.models import Grid
from tests.fixtures.api import fields_of

LOCATE = "/api/v1/locate"
IN_A = {"lon": 106.105, "lat": 37.905}
IN_C = {"lon": 106.005, "lat": 38.005}


def test_a_point_in_the_callers_grid_gets_the_whole_answer(api, personas):
    t = personas.territory
    # when grid A's worker locates a point inside grid A
    response = api.post(LOCATE, IN_A, as_=personas.grid_a)
    # then they get the grid with its community, district and station
    assert response.status_code == 200
    assert response.json() == {
        "code": t.grid_a.code,
        "in_scope": True,
        "name": t.grid_a.name,
        "community": {"code": t.village_a.code, "name": t.village_a.name},
        "district": {"code": "d01", "name": t.district_a.name, "path": t.district_a.path},
        "station": {"code": "ps01", "name": t.station.name, "path": t.station.path},
    }


@pytest.mark.parametrize("persona", ["station", "grid_b", "resident"])
def test_a_point_in_someone_elses_grid_gives_only_the_code_and_community(api, personas, persona):
    t = personas.territory
    point = IN_C if persona == "station" else IN_A
    grid = t.grid_c if persona == "station" else t.grid_a
    # when a caller locates a point in a grid outside their scope
    response = api.post(LOCATE, point, as_=getattr(personas, persona))
    # then they learn where to hand the case on (grid code, village) and nothing of the grid's
    # name or of the police units that own it
    assert response.status_code == 200
    assert response.json() == {
        "code": grid.code,
        "in_scope": False,
        "name": None,
        "community": {"code": grid.community.code, "name": grid.community.name},
        "district": None,
        "station": None,
    }
    assert grid.district.name not in response.content.decode()


def test_the_city_locates_anywhere(api, personas):
    response = api.post(LOCATE, IN_C, as_=personas.city)
    assert response.json()["in_scope"] is True
    assert response.json()["code"] == personas.territory.grid_c.code


def test_a_point_outside_every_grid_is_422_outside_the_territory(api, personas):
    # when a point far from every grid is located
    response = api.post(LOCATE, {"lon": 116.4, "lat": 39.9}, as_=personas.city)
    # then 422 saying so, blaming the coordinates
    assert response.status_code == 422
    assert "outside the territory" in response.json()["detail"]
    assert fields_of(response) == {"lon", "lat"}


def test_a_retired_grid_places_no_point(api, personas):
    t = personas.territory
    Grid.objects.unscoped(reason="test: retire grid A").filter(pk=t.grid_a.pk).update(is_active=False)
    response = api.post(LOCATE, IN_A, as_=personas.city)
    assert response.status_code == 422
    assert "outside the territory" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"lat": 37.9}, {"lon"}),
        ({"lon": 106.1}, {"lat"}),
        ({}, {"lon", "lat"}),
        ({"lon": 181, "lat": 37.9}, {"lon"}),
        ({"lon": -180.5, "lat": 37.9}, {"lon"}),
        ({"lon": 106.1, "lat": 90.01}, {"lat"}),
        ({"lon": "106.1", "lat": 37.9}, {"lon"}),
        ({"lon": True, "lat": 37.9}, {"lon"}),
        ({"lon": None, "lat": None}, {"lon", "lat"}),
        ({"lon": [106.1], "lat": {"v": 37.9}}, {"lon", "lat"}),
        ({"lon": 106.1, "lat": 37.9, "datum": "gcj02"}, {"datum"}),
    ],
)
def test_missing_or_bad_coordinates_are_422_naming_the_field(api, personas, body, fields):
    response = api.post(LOCATE, body, as_=personas.city)
    assert response.status_code == 422, response.content
    assert fields_of(response) == fields
    for field in fields:
        assert field in response.json()["detail"]


def test_locating_needs_credentials(api, personas):
    assert api.post(LOCATE, IN_A).status_code == 401
