"""The pages through Django's test client: log-in, home per role, grid list, grid page, GeoJSON."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fengqiao.core.models import AuditEntry
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import Grid, PoliceUnit
from tests.conftest import PASSWORD, make_grid

VISIBLE = {
    "grid_a": {"grid_a"},
    "grid_b": {"grid_b"},
    "officer": {"grid_a"},
    "station": {"grid_a", "grid_b"},
    "city": {"grid_a", "grid_b", "grid_c"},
    "admin": {"grid_a", "grid_b", "grid_c"},
    "resident": set(),
}


def page_text(response, code):
    """The page without what differs between any two requests: the CSRF token and the URL asked."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return text.replace(code, "")


def codes_of(territory, names):
    return {getattr(territory, name).code for name in names}


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/grids/",
        "/grids.geojson",
        "/grids/640302100201001/",
        "/grids/new/",
        "/grids/640302100201001/edit/",
    ],
)
def test_pages_require_login(client, territory, url):
    # when an anonymous visitor opens a page
    response = client.get(url)
    # then they are sent to the log-in page, which brings them back afterwards
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_logging_in_lands_on_home_and_is_audited(client, personas):
    # when grid worker A logs in through the form
    response = client.post("/login/", {"username": "grid_a", "password": PASSWORD})
    # then they land on their home page, and the log-in is in the audit log
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(action="login", actor=personas.grid_a).exists()


def test_a_wrong_password_is_refused_and_audited(client, personas):
    # when someone tries grid_a with a wrong password
    response = client.post("/login/", {"username": "grid_a", "password": "not-the-password"})
    # then the form says so, nobody is logged in, and the attempt is audited
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="login_failed", object_id="grid_a").exists()


def test_log_out_takes_a_post(logged_in, personas):
    # given grid worker A is logged in
    client = logged_in(personas.grid_a)
    # when they follow a link to log out, nothing happens; when they post the form, they are out
    assert client.get("/logout/").status_code == 405
    assert client.get("/").status_code == 200
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_home_of_a_station_chief_shows_the_station_tree_with_counts(logged_in, personas):
    # given the station chief, whose station has two districts with one grid each
    t = personas.territory
    # when they open the home page
    response = logged_in(personas.station).get("/")
    # then it shows their station, the districts beneath with their grid counts, and where it hangs
    scope = response.context["scope"]
    assert [root.unit for root in scope.roots] == [t.station]
    assert [(n.unit, n.grid_count) for n in scope.roots[0].children] == [(t.district_a, 1), (t.district_b, 1)]
    assert scope.roots[0].grid_count == 2 and scope.grid_count == 2
    assert scope.roots[0].ancestors == [t.city, t.county]
    body = response.content.decode()
    for name in (t.station.name, t.district_a.name, t.district_b.name, t.county.name):
        assert name in body
    assert t.station2.name not in body
    # and a map fed by the scoped GeoJSON
    assert 'data-geojson-url="/grids.geojson"' in body
    assert "vendor/leaflet/dist/leaflet.js" in body


def test_home_of_the_city_counts_every_grid_under_each_node(logged_in, personas):
    t = personas.territory
    # given one grid retired from use in county 640381
    Grid.objects.unscoped(reason="test: retire grid C").filter(pk=t.grid_c.pk).update(is_active=False)
    # when city command opens the home page
    scope = logged_in(personas.city).get("/").context["scope"]
    # then the counts add up the grids in use under each node
    (city,) = scope.roots
    counties = {n.unit: n for n in city.children}
    assert city.grid_count == 2
    assert counties[t.county].grid_count == 2
    assert counties[t.county2].grid_count == 0
    assert [n.unit for n in counties[t.county].children] == [t.station]


def test_home_of_a_grid_worker_lists_their_grid(logged_in, personas):
    t = personas.territory
    # when grid worker A opens the home page
    response = logged_in(personas.grid_a).get("/")
    # then their grid is listed with its district, and no tree of units they are not posted to
    scope = response.context["scope"]
    assert scope.roots == [] and scope.grids == [t.grid_a] and scope.grid_count == 1
    body = response.content.decode()
    assert f'href="/grids/{t.grid_a.code}/"' in body
    assert t.grid_b.code not in body


def test_home_of_a_resident_offers_their_reports_not_a_territory(logged_in, personas):
    # when a resident with no reports yet opens the home page
    response = logged_in(personas.resident).get("/")
    # then it offers to report a problem, and says nothing of territories or maps (staff words)
    body = response.content.decode()
    assert 'id="no-territory"' not in body and "data-map" not in body
    assert 'id="home-reports"' in body and 'href="/report/"' in body
    assert response.context["scope"].is_empty


def test_home_of_staff_not_posted_says_they_have_no_territory(logged_in, personas):
    # given a member of staff whose postings have all ended
    user = personas.grid_a
    user.postings.all().delete()
    # then their home says they have no territory
    body = logged_in(user).get("/").content.decode()
    assert 'id="no-territory"' in body and "data-map" not in body


def test_home_runs_a_fixed_number_of_queries_whatever_the_tree(logged_in, personas):
    t = personas.territory
    client = logged_in(personas.city)
    client.get("/")  # warm up the session and the content types
    with CaptureQueriesContext(connection) as small:
        client.get("/")
    # given a few more districts with grids under the station
    for i in range(3, 9):
        district = PoliceUnit.objects.create(
            kind=UnitKind.DISTRICT, code=f"d{i:02}", name=f"第{i}警务区", parent=t.station
        )
        make_grid(f"6403021002010{i:02}", f"网格{i}", t.village_a, district, 106.2 + i / 100, 37.95)
    # when the home page is drawn again
    with CaptureQueriesContext(connection) as large:
        response = client.get("/")
    # then it shows them all with the same number of queries
    assert response.context["scope"].grid_count == 9
    assert len(large) == len(small)


@pytest.mark.parametrize("persona", [p for p in VISIBLE if p != "resident"])  # residents: 403 (test_menu)
def test_list_and_geojson_show_exactly_the_grids_in_scope(logged_in, personas, persona):
    t = personas.territory
    client = logged_in(getattr(personas, persona))
    expected = codes_of(t, VISIBLE[persona])
    # when the persona opens the grid list and the map's GeoJSON
    listed = {g.code for g in client.get("/grids/").context["page"].object_list}
    response = client.get("/grids.geojson")
    drawn = {f["properties"]["code"] for f in response.json()["features"]}
    # then both hold exactly the grids under their postings
    assert listed == expected
    assert drawn == expected
    assert response["Content-Type"] == "application/geo+json"


def test_geojson_features_carry_outline_name_and_link(logged_in, personas):
    t = personas.territory
    # when grid worker A's map asks for its outlines
    collection = logged_in(personas.grid_a).get("/grids.geojson").json()
    # then it gets a FeatureCollection whose feature links to the grid's page
    assert collection["type"] == "FeatureCollection"
    (feature,) = collection["features"]
    assert feature["geometry"] == t.grid_a.geometry
    assert feature["properties"] == {
        "code": t.grid_a.code,
        "name": t.grid_a.name,
        "url": f"/grids/{t.grid_a.code}/",
    }


def test_grids_out_of_use_are_listed_but_not_drawn(logged_in, personas):
    t = personas.territory
    Grid.objects.unscoped(reason="test: retire grid B").filter(pk=t.grid_b.pk).update(is_active=False)
    client = logged_in(personas.station)
    # when the station chief looks at the list and the map
    listed = {g.code for g in client.get("/grids/").context["page"].object_list}
    drawn = {f["id"] for f in client.get("/grids.geojson").json()["features"]}
    # then the retired grid is listed (marked) but not drawn
    assert listed == {t.grid_a.code, t.grid_b.code}
    assert drawn == {t.grid_a.code}


def test_filters_offer_only_choices_within_scope(logged_in, personas):
    t = personas.territory
    # when the station chief and grid worker A open the grid list
    station_form = logged_in(personas.station).get("/grids/").context["form"]
    worker_form = logged_in(personas.grid_a).get("/grids/").context["form"]
    # then each is offered only the villages and districts of their own scope
    assert list(station_form.fields["community"].queryset) == [t.village_a, t.village_b]
    assert list(station_form.fields["district"].queryset) == [t.district_a, t.district_b]
    assert list(worker_form.fields["community"].queryset) == [t.village_a]
    assert list(worker_form.fields["district"].queryset) == [t.district_a]


def test_filters_narrow_the_list_and_the_map(logged_in, personas):
    t = personas.territory
    client = logged_in(personas.station)

    def listed(query):
        return {g.code for g in client.get(f"/grids/?{query}").context["page"].object_list}

    def drawn(query):
        return {f["id"] for f in client.get(f"/grids.geojson?{query}").json()["features"]}

    # when the station chief filters by village and by district
    # then only the matching grids remain
    assert listed(f"community={t.village_b.code}") == {t.grid_b.code}
    assert listed(f"district={t.district_a.pk}") == {t.grid_a.code}
    assert listed(f"community={t.village_a.code}&district={t.district_b.pk}") == set()
    assert drawn(f"district={t.district_b.pk}") == {t.grid_b.code}


def test_a_filter_outside_scope_is_refused_not_applied(logged_in, personas):
    t = personas.territory
    client = logged_in(personas.station)
    # when the station chief puts another county's village in the query
    response = client.get(f"/grids/?community={t.village_c.code}")
    # then the filter is refused on the form and grid C stays hidden
    assert "community" in response.context["form"].errors
    assert {g.code for g in response.context["page"].object_list} == {t.grid_a.code, t.grid_b.code}
    assert t.grid_c.code not in response.content.decode()
    # and the map's GeoJSON answers 400 naming the field
    geo = client.get(f"/grids.geojson?community={t.village_c.code}")
    assert geo.status_code == 400 and "community" in geo.json()["errors"]


def test_the_list_is_paginated(logged_in, personas):
    t = personas.territory
    # given 60 more grids in district A
    for i in range(60):
        make_grid(f"640302100201{100 + i}", f"网格{i}", t.village_a, t.district_a, 106.3 + i / 100, 37.9)
    client = logged_in(personas.station)
    # when the station chief pages through the list
    first = client.get("/grids/")
    second = client.get("/grids/?page=2")
    # then 62 grids come 50 to a page, and the filters ride along the page links
    assert first.context["page"].paginator.count == 62
    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 12
    filtered = client.get(f"/grids/?district={t.district_a.pk}")
    assert f"district={t.district_a.pk}&amp;page=2" in filtered.content.decode()


def test_grid_page_shows_the_grid_its_places_and_staff(logged_in, personas):
    t = personas.territory
    # when the officer of district A opens grid A's page
    response = logged_in(personas.officer).get(f"/grids/{t.grid_a.code}/")
    # then it shows the grid, its community, district, station and area, the outline, and its staff
    assert response.status_code == 200
    body = response.content.decode()
    for text in (t.grid_a.name, t.grid_a.code, t.village_a.name, t.district_a.name, t.station.name, "0.98"):
        assert text in body
    assert [p.user for p in response.context["staff"]["grid"]] == [personas.grid_a]
    assert [p.user for p in response.context["staff"]["district"]] == [personas.officer]
    assert 'id="grid-feature"' in body and "data-geojson-id" in body


def test_a_grid_outside_scope_is_404_like_a_missing_one(logged_in, personas):
    t = personas.territory
    client = logged_in(personas.grid_a)
    # when grid worker A opens grid B's page, and a page that does not exist
    outside = client.get(f"/grids/{t.grid_b.code}/")
    missing = client.get("/grids/640302100201999/")
    # then both are the same 404, which gives nothing of grid B away
    assert outside.status_code == missing.status_code == 404
    assert t.grid_b.name not in outside.content.decode()
    assert page_text(outside, t.grid_b.code) == page_text(missing, "640302100201999")


def test_management_buttons_show_only_to_grid_managers(logged_in, personas):
    t = personas.territory
    # when grid worker A and the station chief look at the list and at grid A
    worker = logged_in(personas.grid_a)
    worker_pages = (
        worker.get("/grids/").content.decode() + worker.get(f"/grids/{t.grid_a.code}/").content.decode()
    )
    station = logged_in(personas.station)
    station_pages = (
        station.get("/grids/").content.decode() + station.get(f"/grids/{t.grid_a.code}/").content.decode()
    )
    # then only the station chief is offered "new grid" and "edit"
    assert 'href="/grids/new/"' not in worker_pages
    assert f'href="/grids/{t.grid_a.code}/edit/"' not in worker_pages
    assert 'href="/grids/new/"' in station_pages
    assert f'href="/grids/{t.grid_a.code}/edit/"' in station_pages


def test_the_map_adds_a_tile_layer_only_when_configured(logged_in, personas, settings):
    client = logged_in(personas.station)
    # given no tile server, the map has no tile layer
    assert "data-tile-url" not in client.get("/").content.decode()
    # given a 天地图 URL, the map names it with its attribution
    settings.MAP_TILE_URL = "http://tiles.example/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "天地图"
    body = client.get("/").content.decode()
    assert 'data-tile-url="http://tiles.example/{z}/{x}/{y}.png"' in body
    assert 'data-tile-attribution="天地图"' in body


def test_pages_load_assets_only_from_the_app(logged_in, personas):
    t = personas.territory
    client = logged_in(personas.station)
    # when any page is drawn, every script and stylesheet comes from the app itself
    for url in ("/", "/grids/", f"/grids/{t.grid_a.code}/", "/grids/new/"):
        body = client.get(url).content.decode()
        assert "http://" not in body.replace("http://tiles.example", "")
        assert "https://" not in body
        assert "//cdn" not in body
