"""The command room in Chromium: the dashboard on a desk with its charts drawn, its wall view at
1920×1080 in the dark, and the page on a phone, without a console error, a refusal of the
Content-Security-Policy or a horizontal scroll; a near-repeat warning walked from the burglary to
the directive's closing by the station, the grid worker and the community officer."""

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.analytics import nearrepeat
from fengqiao.analytics.models import Directive
from tests.analytics.test_warnings import make_burglary_series
from tests.browser.conftest import DESKTOP, _open

pytestmark = pytest.mark.browser

WALL = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}


def test_the_dashboard_its_wall_and_the_phone_page(browser, live_server, personas, report):
    # given criminal cases this month and a year earlier in station ps01
    now = timezone.now()
    for days in (1, 2, 3):
        report("020111", at=now - dt.timedelta(days=days))
        report("020111", at=now - dt.timedelta(days=365 + days))
    report("020105", at=now - dt.timedelta(days=2))
    today = timezone.localdate()
    query = f"?start={today.replace(day=1):%Y-%m-%d}&end={today:%Y-%m-%d}"
    for viewport, path, wall in (
        (WALL, "/command/" + query, False),
        (WALL, "/command/wall/" + query, True),
        (PHONE, "/command/" + query, False),
    ):
        context, tab = _open(browser, live_server, viewport)
        console = []
        tab.page.on("console", lambda m, seen=console: seen.append(m.text) if m.type == "error" else None)
        tab.login("station")
        # when the station opens the page
        tab.goto(path)
        # then both charts are drawn and the figures link to their records
        tab.page.wait_for_selector("#command-classes[data-state='ready']")
        tab.page.wait_for_selector("#command-monthly[data-state='ready']")
        assert tab.page.locator("#command-classes svg").count() == 1
        burglary = tab.page.locator("[data-figure='events.burglary'] .command-value a")
        assert burglary.inner_text() == "3"
        assert "crime=burglary" in burglary.get_attribute("href")
        if wall:
            assert tab.page.get_attribute("body", "data-refresh-seconds") == "60"
            background = tab.page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert background == "rgb(11, 18, 32)"
        if viewport is PHONE:
            assert tab.no_horizontal_scroll()
        context.close()
        assert tab.outside == [] and tab.failed == [] and tab.errors == []
        assert console == [], console


def test_a_near_repeat_warning_from_the_burglary_to_the_closed_directive(
    browser, live_server, personas, report
):
    t = personas.territory
    # given a year of burglary series over grids A and B, a new burglary in grid A some 40 m from
    # grid B, and the worker's near-repeat job
    make_burglary_series(report, personas.station)
    event = report("020111", lon=106.1095, lat=37.905, title="入室盗窃", actor=personas.station)
    assert nearrepeat.warn_recent(permutations=199) >= 1
    warned = Directive.objects.unscoped(reason="test: the warning's directives")
    directive = warned.get(event=event, grid=t.grid_a)
    station_ctx, station = _open(browser, live_server, DESKTOP)
    worker_ctx, worker = _open(browser, live_server, PHONE)
    officer_ctx, officer = _open(browser, live_server, PHONE)
    try:
        # the station reads the near-repeat risk behind the warning
        station.login("station")
        station.goto("/analytics/near-repeat/")
        assert int(station.page.locator("#risk").get_attribute("data-days")) >= 7
        # the community officer is told, and finds the directive in the inbox at once
        officer.login("officer_a")
        officer.goto("/notifications/")
        assert "近重复" in officer.page.locator("main").inner_text()
        officer.goto("/inbox/")
        assert officer.page.locator(f"text={directive.number}").count() == 1
        # the grid worker is told on a phone, opens the directive from the inbox and reports back
        worker.login("grid_a")
        worker.goto("/inbox/")
        with worker.page.expect_navigation():
            worker.page.click(f"text={directive.number}")
        assert worker.no_horizontal_scroll()
        worker.page.fill("#id_feed_back-note", "夜间巡逻三次，提醒周边住户关好门窗")
        with worker.page.expect_navigation():
            worker.page.click("form[data-move=feed_back] button")
        assert worker.page.locator("#directive-status").get_attribute("data-status") == "fed_back"
        # the station checks and closes it
        station.goto(f"/directives/{directive.number}/")
        assert "夜间巡逻三次" in station.page.locator("#directive-feedback").inner_text()
        with station.page.expect_navigation():
            station.page.click("form[data-move=close] button")
        assert station.page.locator("#directive-status").get_attribute("data-status") == "closed"
    finally:
        for context in (station_ctx, worker_ctx, officer_ctx):
            context.close()
    for visit in (station, worker, officer):
        assert visit.outside == [] and visit.failed == [] and visit.errors == []
