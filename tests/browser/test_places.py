"""A resident finds the place of their report by name: on the portal, on a phone (by touch) and on a
desktop (by keyboard), they type a village's name in pinyin, pick it, the map goes there, and the
report they send is placed in that village's grid."""

import pytest

from fengqiao.events.models import Event
from tests.browser.conftest import _open

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
GRID_B_CENTRE = (106.115, 37.905)  # 关渠村's only grid
CENTRE = (
    "() => { const c = document.getElementById('pick-map').fengqiaoMap.getCenter(); return [c.lng, c.lat]; }"
)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_village_typed_in_pinyin_is_picked_the_map_goes_there_and_the_report_lands_in_it(
    browser, live_server, personas, categories, viewport
):
    context, visit = _open(browser, live_server, viewport)
    page = visit.page
    try:
        # given a resident on the portal, without an account
        visit.goto("/report/")
        page.locator("#id_category").select_option("0401")
        page.locator("#id_description").fill("村口路灯坏了")
        page.wait_for_selector("#pick-map[data-state=ready]")
        lon, lat = page.evaluate(CENTRE)
        assert abs(lon - GRID_B_CENTRE[0]) < 1 and abs(lat - GRID_B_CENTRE[1]) < 1  # over the territory
        # the search comes before the map: without a base map it is how a resident finds the place
        search_box, map_box = (
            page.locator("#id_place").bounding_box(),
            page.locator("#pick-map").bounding_box(),
        )
        assert search_box["y"] < map_box["y"]
        # when they type the village's name in pinyin
        page.locator("#id_place").press_sequentially("guanqu", delay=20)
        option = page.locator("#id_place-places li[role=option]", has_text="关渠村").first
        option.wait_for()
        assert visit.no_horizontal_scroll()
        # and pick it: a tap on a phone, the keyboard on a desktop
        if viewport is PHONE:
            assert option.bounding_box()["height"] >= 44  # big enough for a finger
            option.click()
        else:
            page.locator("#id_place").press("ArrowDown")
            page.locator("#id_place").press("Enter")
        # then the field shows the name, the map has gone there and the point is the village's
        assert page.locator("#id_place").input_value() == "关渠村"
        page.wait_for_selector("#pick-map[data-zoomed-to='关渠村']")
        lon, lat = page.evaluate(CENTRE)
        assert abs(lon - GRID_B_CENTRE[0]) < 0.01 and abs(lat - GRID_B_CENTRE[1]) < 0.01
        assert abs(float(page.locator("#id_lon").input_value()) - GRID_B_CENTRE[0]) < 0.001
        page.screenshot(path=f"/tmp/fengqiao-place-picked-{viewport['width']}.png", full_page=True)
        # and the report they send is placed in the village's grid
        with page.expect_navigation():
            page.locator("#portal-report button[type=submit]").click()
        assert page.url == visit.url("/report/sent/")
        code = page.locator("#tracking-code").get_attribute("data-code")
        event = Event.objects.unscoped(reason="test").get(tracking_code=code)
        assert event.grid == personas.territory.grid_b
        assert event.address_text == "关渠村"
    finally:
        context.close()
    assert visit.outside == [] and visit.failed == [] and visit.errors == []
