"""The hotspot, emerging-hotspot and near-repeat pages: what a station and the city see, what the
figures link to, bad parameters named in Chinese, and the lattice kept until the grids change."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fengqiao.analytics import spatial

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def burglaries(report, personas):
    for lon, lat, n in ((106.105, 37.905, 4), (106.115, 37.905, 1), (106.005, 38.005, 2)):
        for _k in range(n):
            report("0101", lon=lon, lat=lat, actor=personas.city, title="入室盗窃")


def values(response, name):
    match = re.search(
        rf'<script id="{name}" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    return json.loads(match.group(1))


def test_the_hotspot_map_counts_the_events_its_link_opens(client, personas):
    # given the station (grids A and B)
    client.force_login(personas.station)
    # when
    response = client.get("/analytics/hotspots/?category=0101")
    # then each of its grids has its count, z-score and bin, the density has cells, and the
    # total equals the events the page's link lists
    assert response.status_code == 200
    data = values(response, "hotspot-values")
    t = personas.territory
    assert set(data["grids"]) == {t.grid_a.code, t.grid_b.code}
    assert data["grids"][t.grid_a.code]["count"] == 4 and data["grids"][t.grid_b.code]["count"] == 1
    assert data["density"]["points"] == 5 and data["density"]["cells"]
    link = re.search(r'href="(/events/\?[^"]+)"', response.content.decode()).group(1).replace("&amp;", "&")
    listed = client.get(link)
    assert listed.status_code == 200 and listed.context["page"].paginator.count == 5
    assert response.context["result"].total == 5
    body = response.content.decode()
    assert "99%" in body and "data-hotspot-map" in body  # the legend and the map


def test_bad_parameters_are_named_in_chinese(client, personas):
    client.force_login(personas.station)
    response = client.get(
        "/analytics/hotspots/?category=9999&start=2026-13-01", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= {"category", "start"}
    assert re.search(r"[\u4e00-\u9fff]", str(errors["category"]))


def test_the_near_repeat_table_counts_pairs_in_the_viewers_scope(client, personas):
    # the station's 5 events make 10 pairs; the city's 7 make 21; a grid worker may not look
    pairs = {"station": 10, "city": 21}
    for persona, n in pairs.items():
        client.force_login(getattr(personas, persona))
        response = client.get("/analytics/near-repeat/?category=0101")
        assert response.status_code == 200, persona
        assert int(response.context["result"].observed.sum()) == n
        assert response.content.decode().count("<tr>") >= 7  # the header and the distance bands
    client.force_login(personas.grid_a)
    assert client.get("/analytics/near-repeat/?category=0101").status_code == 403


def test_the_menu_offers_the_analyses_to_stations_only(client, personas):
    for persona, shown in (("station", True), ("city", True), ("officer", False), ("grid_a", False)):
        client.force_login(getattr(personas, persona))
        body = client.get("/").content.decode()
        assert ('data-module="hotspots"' in body) is shown, persona
        assert ('data-module="near_repeat"' in body) is shown, persona


def test_the_lattice_is_built_once_and_again_when_a_grid_changes(personas):
    spatial.reset()
    first = spatial.city_lattice()
    with CaptureQueriesContext(connection) as queries:
        again = spatial.city_lattice()
    assert again is first and len(queries) == 1  # the version only
    # when a grid is redrawn, the lattice is rebuilt
    grid = personas.territory.grid_b
    grid.name = "关渠村一网格"
    grid.save()
    rebuilt = spatial.city_lattice()
    assert rebuilt is not first and "关渠村一网格" in rebuilt.names
    # A and B touch (queen), C is alone
    a, b, c = (
        rebuilt.codes.index(g.code) for g in (personas.territory.grid_a, grid, personas.territory.grid_c)
    )
    assert rebuilt.neighbours[a] == [b] and rebuilt.neighbours[c] == []


def test_a_grid_hot_only_in_the_last_week_is_a_new_hot_spot(client, personas, report):
    import datetime as dt

    from django.utils import timezone

    from fengqiao.geo.models import Grid
    from tests.conftest import square

    # given a 5 × 5 block of small grids in district A, and burglaries around its centre this week only
    t = personas.territory
    step = 0.002
    block = []
    for r in range(5):
        for c in range(5):
            lon, lat = 106.10 + c * step, 37.88 + r * step
            block.append(
                Grid.objects.create(
                    code=f"640302100201{100 + r * 5 + c}",
                    name=f"块{r}{c}",
                    community=t.village_a,
                    district=t.district_a,
                    geometry=square(lon, lat, step),
                    centroid_lon=lon + step / 2,
                    centroid_lat=lat + step / 2,
                    area_km2=0.04,
                )
            )
    centre = block[12]
    for cell in (6, 7, 8, 11, 12, 13, 16, 17, 18):  # the centre and its ring: a cluster
        for _k in range(3):
            report("0101", lon=block[cell].centroid_lon, lat=block[cell].centroid_lat, actor=personas.station)
    # when the station reads six weeks up to today
    client.force_login(personas.station)
    end = timezone.localdate().isoformat()
    response = client.get(f"/analytics/hotspots/emerging/?category=0101&weeks=6&end={end}")
    # then the centre is a new hot spot, on the map and in the table, and its page shows its weeks
    assert response.status_code == 200
    patterns = values(response, "emerging-values")
    assert patterns[centre.code]["pattern"] == "new_hot"
    assert f'data-grid="{centre.code}" data-pattern="new_hot"' in response.content.decode()
    page = client.get(f"/analytics/hotspots/grids/{centre.code}/?category=0101&weeks=6&end={end}")
    assert page.status_code == 200 and [w["count"] for w in page.context["weeks"]] == [0, 0, 0, 0, 0, 3]
    assert dt.date.fromisoformat(end) - page.context["weeks"][-1]["start"] == dt.timedelta(days=6)


def test_without_parameters_the_map_shows_burglaries_and_links_to_them(client, personas, report):
    # given two burglaries in grid A besides the incidents
    for _k in range(2):
        report("020111", lon=106.104, lat=37.904, actor=personas.station, title="入室盗窃")
    client.force_login(personas.station)
    # when the station opens the map as the menu does
    response = client.get("/analytics/hotspots/")
    # then it counts the burglaries, and its link lists exactly them
    assert response.status_code == 200 and response.context["result"].total == 2
    link = re.search(r'href="(/events/\?[^"]+)"', response.content.decode()).group(1).replace("&amp;", "&")
    assert "crime=burglary" in link
    assert client.get(link).context["page"].paginator.count == 2
