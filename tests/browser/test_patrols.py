"""A volunteer patrols on a phone in Chromium: the route is recorded, the network drops in the middle
(positions, a checkpoint scan and a hazard report are kept on the phone), comes back, and
everything arrives once; the hazard reaches grid worker A's inbox on the desktop."""

import pytest

from fengqiao.core import casework
from fengqiao.events.models import Event
from fengqiao.patrols.models import Finding, Patrol, Scan, TrackPoint
from tests.browser.conftest import DESKTOP, _open
from tests.patrols.conftest import build_world

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# A walk east through grid A (106.10–106.11, 37.90–37.91).
ROUTE = [(106.101 + 0.0012 * i, 37.905) for i in range(8)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_patrol_with_the_network_cut_in_the_middle_arrives_once(browser, live_server, personas, categories):
    world = build_world(personas)
    # given volunteer A on a phone that lets the site know where it is
    context, phone = _open(browser, live_server, PHONE)
    context.grant_permissions(["geolocation"], origin=live_server.url)
    context.set_geolocation({"longitude": ROUTE[0][0], "latitude": ROUTE[0][1], "accuracy": 5})
    page = phone.page
    panel = page.locator("#patrol")
    try:
        phone.login("vol_a", purpose=None)
        # the menu offers them the patrol page
        assert page.locator('nav [data-module="patrol_go"]').count() == 1
        phone.goto("/patrols/go/")
        page.locator("#patrol-plan").select_option(str(world.plan.pk))
        page.locator("#patrol-start").click()
        page.wait_for_selector("#patrol[data-phase=running][data-queued='0']")
        patrol = Patrol.objects.unscoped(reason="test").get(patroller=world.vol_a)
        assert patrol.plan == world.plan

        def move_to(n):
            lon, lat = ROUTE[n]
            context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 5})
            page.wait_for_function(
                "n => Number(document.getElementById('count-points').textContent) >= n", arg=n + 1
            )

        for n in range(1, 4):
            move_to(n)
        page.evaluate("window.dispatchEvent(new Event('online'))")  # send now rather than in 5 s
        page.wait_for_selector("#patrol[data-queued='0']")
        # when the network goes away in the middle of the patrol
        context.set_offline(True)
        for n in range(4, 8):
            move_to(n)
        page.locator("#scan-code").fill(world.school.code.lower())
        page.locator("#scan-submit").click()
        page.locator("#finding-text").fill("变压器箱门被撬开<script>alert(1)</script>")
        page.locator("#report-hazard").click()
        # then it is all kept on the phone and nothing has reached the server yet
        assert int(panel.get_attribute("data-queued")) >= 6  # four positions, the scan, the report
        assert "无网络" in page.locator("#patrol-status").text_content()
        assert not Scan.objects.filter(patrol=patrol).exists()
        assert not Finding.objects.filter(patrol=patrol).exists()
        stored = page.evaluate(f"JSON.parse(localStorage.getItem('fq.patrol.{world.vol_a.pk}')).queue.length")
        assert stored == 2
        # when the network is back, everything is sent, once
        context.set_offline(False)
        page.wait_for_selector("#patrol[data-queued='0']", timeout=15_000)
        page.evaluate("window.dispatchEvent(new Event('online'))")  # a second flush sends nothing new
        page.wait_for_selector("#patrol[data-queued='0']")
        recorded = int(page.locator("#count-points").text_content())
        assert TrackPoint.objects.filter(patrol=patrol).count() == recorded >= len(ROUTE)
        assert Scan.objects.filter(patrol=patrol).count() == 1
        assert Finding.objects.filter(patrol=patrol).count() == 1
        assert "已打卡" in page.locator("#patrol-log").text_content()
        # the user's text stayed text: no element was made from it
        assert page.locator("#patrol-log script").count() == 0
        page.locator("#patrol-end").click()
        page.wait_for_selector("#patrol[data-phase=idle]")
        patrol.refresh_from_db()
        assert patrol.ended_at is not None and patrol.track["geometry"]["type"] == "LineString"
        assert phone.no_horizontal_scroll()
    finally:
        context.close()
    assert phone.outside == [] and phone.failed == [] and phone.errors == []

    # and the hazard is in grid worker A's inbox, on the desktop
    event = Event.objects.unscoped(reason="test").get(pk=Finding.objects.get().event_id)
    assert event in casework.inbox(personas.grid_a)
    context, desk = _open(browser, live_server, DESKTOP)
    try:
        desk.login("grid_a")
        desk.goto("/inbox/")
        assert event.number in desk.page.locator("main").text_content()
        desk.goto(f"/patrols/{patrol.pk}/")
        desk.page.wait_for_selector("#track-map[data-state=ready]")
        assert desk.page.locator("#track-map").get_attribute("data-tracks") == "1"
        assert "小学门口" in desk.page.locator("main").text_content()
    finally:
        context.close()
    assert desk.outside == [] and desk.failed == [] and desk.errors == []
