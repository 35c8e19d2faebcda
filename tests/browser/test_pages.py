"""The pages in a real Chromium: the map of one's grids, scoping, the language switch, a phone."""

import json
import re

import pytest
from playwright.sync_api import expect

from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import PoliceUnit
from tests.conftest import make_grid
from tests.conftest import square as square_outline

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp"
OUTLINES = "#scope-map .leaflet-overlay-pane path.leaflet-interactive"


def wait_for_map(visit, selector="#scope-map"):
    visit.page.wait_for_selector(f"{selector}[data-state=ready]")


def test_grid_worker_sees_their_grid_drawn_on_the_map(visit, personas):
    t = personas.territory
    # given grid worker A logs in
    visit.login("grid_a")
    # when the home page has drawn its map
    wait_for_map(visit)
    page = visit.page
    # then Leaflet came from the app's own static files and drew exactly one outline, theirs
    assert page.evaluate("typeof window.L === 'object' && L.version") == "1.9.4"
    assert page.locator("#scope-map").get_attribute("data-features") == "1"
    outlines = page.locator(OUTLINES)
    assert outlines.count() == 1
    box = outlines.first.bounding_box()
    map_box = page.locator("#scope-map").bounding_box()
    # fitted to its bounds: the outline fills a good part of the map
    assert box["width"] > map_box["width"] / 3 or box["height"] > map_box["height"] / 3
    # on a plain background: no tile server, no tiles
    assert page.locator("#scope-map .leaflet-tile").count() == 0
    page.screenshot(path=f"{SCREENSHOTS}/fengqiao-home-grid-a.png", full_page=True)
    # and clicking the outline opens the grid's page
    with page.expect_navigation():
        outlines.first.click()
    assert page.url == visit.url(f"/grids/{t.grid_a.code}/")
    wait_for_map(visit, "#grid-map")
    assert page.locator("#grid-map .leaflet-overlay-pane path").count() == 1
    assert t.grid_a.name in page.locator("h1").inner_text()


def test_station_chief_sees_both_grids_of_the_station(visit, personas):
    # given the station chief, over grids A and B
    visit.login("station")
    # when the map is drawn
    wait_for_map(visit)
    # then it has the two outlines, and the tree shows the station with its districts
    assert visit.page.locator(OUTLINES).count() == 2
    tree = visit.page.locator(".tree").inner_text()
    assert personas.territory.station.name in tree
    assert personas.territory.district_b.name in tree


def test_opening_a_grid_outside_scope_by_url_is_404(visit, personas):
    t = personas.territory
    # given grid worker A is logged in
    visit.login("grid_a")
    # when they type the address of grid B's page
    response = visit.goto(f"/grids/{t.grid_b.code}/")
    # then the answer is 404, and nothing of grid B shows
    assert response.status == 404
    body = visit.page.locator("body").inner_text()
    assert "未找到" in body
    assert t.grid_b.name not in body


def test_the_language_switch_turns_chinese_to_english_and_back(visit, personas):
    # given grid worker A on their home page, in Chinese by default
    visit.login("grid_a")
    page = visit.page
    nav = page.locator("nav.nav")
    assert visit.html_lang() == "zh-hans"
    assert "网格" in nav.inner_text()
    # when they press "English"
    with page.expect_navigation():
        page.locator("form.lang button[value=en]").click()
    # then the same page comes back in English
    assert page.url == visit.url("/")
    assert visit.html_lang() == "en"
    assert "Grids" in nav.inner_text() and "Log out" in page.locator("header").inner_text()
    page.screenshot(path=f"{SCREENSHOTS}/fengqiao-home-english.png")
    # and the choice sticks while they move on
    visit.goto("/grids/")
    assert visit.html_lang() == "en"
    # and "简体中文" brings Chinese back
    with page.expect_navigation():
        page.locator("form.lang button[value=zh-hans]").click()
    assert page.url == visit.url("/grids/")
    assert visit.html_lang() == "zh-hans"
    assert "警务区" in page.locator("form.filters").inner_text()


def test_the_list_filters_without_reloading_the_page(visit, personas):
    t = personas.territory
    # given the station chief on the grid list, which shows grids A and B
    visit.login("station")
    visit.goto("/grids/")
    page = visit.page
    rows = page.locator("tr.grid-row")
    assert rows.count() == 2
    page.evaluate("window.__samePage = true")
    # when they pick district B in the filter
    page.locator("select[name=district]").select_option(str(t.district_b.pk))
    # then the list narrows to grid B in place (htmx), and the address says what is shown
    expect(rows).to_have_count(1)  # (wait_for_function evaluates a string: the CSP forbids that)
    assert rows.first.get_attribute("data-code") == t.grid_b.code
    assert page.evaluate("window.__samePage") is True
    assert re.search(rf"district={t.district_b.pk}", page.url)


def test_pages_fit_a_phone_without_sideways_scrolling(phone, personas):
    t = personas.territory
    # given a long name and a deep tree, which are what break narrow layouts
    district = PoliceUnit.objects.create(
        kind=UnitKind.DISTRICT, code="d09", name="金积镇关渠村与金积村联合第九警务区", parent=t.station
    )
    make_grid(
        "640302100202009", "关渠村第九网格（含工业园区及周边商业街）", t.village_b, district, 106.12, 37.91
    )
    # when the station chief works on a 375×812 phone screen
    phone.login("station")
    wait_for_map(phone)
    assert phone.page.locator(OUTLINES).count() == 3
    phone.page.screenshot(path=f"{SCREENSHOTS}/fengqiao-phone-home.png", full_page=True)
    # then no page scrolls sideways
    for path in ("/", "/grids/", f"/grids/{t.grid_a.code}/", "/grids/new/", f"/grids/{t.grid_a.code}/edit/"):
        phone.goto(path)
        assert phone.no_horizontal_scroll(), path
    phone.goto("/grids/")
    phone.page.screenshot(path=f"{SCREENSHOTS}/fengqiao-phone-grids.png", full_page=True)
    # and the grid page's map is drawn at phone width
    phone.goto(f"/grids/{t.grid_a.code}/")
    wait_for_map(phone, "#grid-map")
    assert phone.page.locator("#grid-map").bounding_box()["width"] <= 375
    # and the log-in page too
    phone.page.locator("form.logout button").click()
    phone.page.wait_for_url(phone.url("/login/"))
    assert phone.no_horizontal_scroll()


def test_a_station_chief_redraws_a_grid_and_sees_errors_on_the_field(visit, personas):
    t = personas.territory
    visit.login("station")
    page = visit.page
    # given the station chief on grid A's page, which offers them "edit"
    visit.goto(f"/grids/{t.grid_a.code}/")
    with page.expect_navigation():
        page.locator("a.button", has_text="编辑").click()
    # when they type a self-intersecting outline and save
    bowtie = json.dumps(
        {
            "type": "Polygon",
            "coordinates": [[[106.1, 37.9], [106.2, 38.0], [106.2, 37.9], [106.1, 38.0], [106.1, 37.9]]],
        }
    )
    page.locator("input[name=name]").fill("不该保存")
    page.locator("textarea[name=geometry]").fill(bowtie)
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    # then the form comes back with the reason under the outline field, and nothing was saved
    error = page.locator("#field-geometry .error")
    assert error.count() == 1 and "边界无效" in error.inner_text()
    page.screenshot(path=f"{SCREENSHOTS}/fengqiao-edit-error.png", full_page=True)
    assert (
        t.grid_a.__class__.objects.unscoped(reason="test: check nothing saved").get(pk=t.grid_a.pk).name
        == t.grid_a.name
    )
    # when they give a good, larger outline instead
    square = json.dumps(square_outline(106.10, 37.90, size=0.02))
    page.locator("input[name=name]").fill("金积村大网格")
    page.locator("textarea[name=geometry]").fill(square)
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    # then they are on the grid's page, which says it is saved and draws the new outline
    assert page.url == visit.url(f"/grids/{t.grid_a.code}/")
    assert "金积村大网格" in page.locator("h1").inner_text()
    assert page.locator(".message.success").count() == 1
    wait_for_map(visit, "#grid-map")
    assert page.locator("#grid-map .leaflet-overlay-pane path").count() == 1
    page.screenshot(path=f"{SCREENSHOTS}/fengqiao-grid-page.png", full_page=True)
