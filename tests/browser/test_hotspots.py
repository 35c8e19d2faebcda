"""The hotspot pages in a real Chromium, for a station, on a phone and on a desktop: the map
colours the hot grids with its legend and density layer, the emerging hotspots colour by pattern,
and the near-repeat table marks its significant cells; nothing reaches outside the server, no
script error, no page wider than the phone."""

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.geo.models import Grid
from tests.browser.conftest import DESKTOP, PHONE, _open
from tests.conftest import square

pytestmark = pytest.mark.browser

SIDE = 5
STEP = 0.002


@pytest.fixture
def lattice(personas):
    """A 5 × 5 block of small grids in district A, south of grid A."""
    t = personas.territory
    grids = []
    for r in range(SIDE):
        for c in range(SIDE):
            lon, lat = 106.10 + c * STEP, 37.88 + r * STEP
            grids.append(
                Grid.objects.create(
                    code=f"640302100201{100 + r * SIDE + c}",
                    name=f"金积村{r + 1}排{c + 1}号网格",
                    community=t.village_a,
                    district=t.district_a,
                    geometry=square(lon, lat, STEP),
                    centroid_lon=lon + STEP / 2,
                    centroid_lat=lat + STEP / 2,
                    area_km2=0.04,
                )
            )
    return grids


@pytest.fixture
def burglaries(lattice, report, personas):
    """A heap of burglaries in and around the block's centre over the last months, each place hit
    twice a day apart (hot spot map: the centre; near repeats: same place, within a week)."""
    now = timezone.now()
    centre = lattice[SIDE * 2 + 2]
    for k in range(12):
        dx, dy = ((k % 3) - 1) * STEP * 0.9, ((k // 3 % 3) - 1) * STEP * 0.9
        lon, lat = centre.centroid_lon + dx, centre.centroid_lat + dy
        for day in (20 * k, 20 * k + 1):
            at = now - dt.timedelta(days=day, hours=1)
            report("0101", lon=lon, lat=lat, at=at, actor=personas.station)
    report("0101", lon=lattice[0].centroid_lon, lat=lattice[0].centroid_lat, actor=personas.station)


def test_a_station_reads_the_hotspot_pages_on_a_phone_and_a_desktop(browser, live_server, burglaries):
    for viewport in (PHONE, DESKTOP):
        context, visit = _open(browser, live_server, viewport)
        try:
            visit.login("station")
            page = visit.page
            page.set_default_timeout(30_000)  # the first analysis of a process imports esda
            # the hotspot map
            start = (timezone.localdate() - dt.timedelta(days=300)).isoformat()
            visit.goto(f"/analytics/hotspots/?category=0101&start={start}")
            hotspot_map = page.locator("[data-hotspot-map]")
            page.locator("[data-hotspot-map][data-state=ready]").wait_for()
            assert int(hotspot_map.get_attribute("data-coloured")) >= 1
            assert int(hotspot_map.get_attribute("data-density-cells")) > 0
            assert page.locator(".legend li").count() == 8
            assert page.locator("#hot tbody tr").count() >= 1
            assert "热点" in page.locator("h1").inner_text()
            assert visit.no_horizontal_scroll(), viewport
            if viewport is PHONE:
                page.screenshot(path="/tmp/hotspot-map-phone.png", full_page=True)
            page.locator("#density-toggle").uncheck()  # the density layer goes and comes back
            page.locator("#density-toggle").check()
            # the emerging hotspots
            visit.goto("/analytics/hotspots/emerging/?category=0101&weeks=4")
            page.locator("[data-emerging-map][data-state=ready]").wait_for()
            assert page.locator(".legend li").count() == 17
            assert visit.no_horizontal_scroll(), viewport
            # the near-repeat table: the pairs a day apart at the same places are significant
            visit.goto("/analytics/near-repeat/?category=0101")
            assert page.locator("table.knox td[data-significant]").count() >= 1
            assert page.locator("#risk").get_attribute("data-days")
            if viewport is PHONE:
                page.screenshot(path="/tmp/near-repeat-phone.png", full_page=True)
        finally:
            context.close()
        assert visit.outside == [] and visit.failed == [] and visit.errors == [], visit.errors
