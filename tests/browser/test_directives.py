"""The directive loop in a real Chromium: the station issues a directive on a desktop, the grid
worker finds it in the inbox on a phone and reports what was done, the station closes it; no
script error, nothing outside the server, no page wider than the phone."""

import pytest

from tests.browser.conftest import DESKTOP, PHONE, _open

pytestmark = pytest.mark.browser


def test_a_directive_goes_round_the_loop_on_desktop_and_phone(browser, live_server, personas):
    t = personas.territory
    station_ctx, station = _open(browser, live_server, DESKTOP)
    worker_ctx, worker = _open(browser, live_server, PHONE)
    try:
        # the station issues a patrol directive to grid A
        station.login("station")
        station.goto(f"/directives/new/?grid={t.grid_a.code}")
        page = station.page
        page.fill("#id_title", "夜间巡逻：入室盗窃高发")
        page.click("#directive-form button[type=submit]")
        page.wait_for_url("**/directives/")
        number = page.locator("td.number a").first.inner_text()
        # the grid worker finds it in the inbox on a phone and reports what was done
        worker.login("grid_a")
        worker.goto("/inbox/")
        with worker.page.expect_navigation():
            worker.page.click(f"text={number}")
        assert worker.no_horizontal_scroll()
        worker.page.fill("#id_feed_back-note", "巡逻两次，走访 12 户")
        with worker.page.expect_navigation():
            worker.page.click("form[data-move=feed_back] button")
        assert worker.page.locator("#directive-status").get_attribute("data-status") == "fed_back"
        # the station checks and closes it
        station.goto(f"/directives/{number}/")
        assert "巡逻两次" in page.locator("#directive-feedback").inner_text()
        with page.expect_navigation():
            page.click("form[data-move=close] button")
        assert page.locator("#directive-status").get_attribute("data-status") == "closed"
        assert page.locator("#directive-status").inner_text() == "已结案"  # closed, as events say it
    finally:
        station_ctx.close()
        worker_ctx.close()
    for visit in (station, worker):
        assert visit.outside == [] and visit.failed == [] and visit.errors == []
