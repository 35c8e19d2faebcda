"""The command room in Chromium: the dashboard on a desk with its charts drawn, its wall view at
1920×1080 in the dark, and the page on a phone, without a console error, a refusal of the
Content-Security-Policy or a horizontal scroll."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.conftest import _open

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
