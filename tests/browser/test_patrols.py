"""A volunteer patrols on a phone in Chromium: the route is recorded, the network drops in the middle
(positions, a checkpoint scan, a hazard report and a photo are kept on the phone, the photo in
IndexedDB), comes back, and everything arrives once; the hazard reaches grid worker A's inbox on
the desktop."""

import pytest

from fengqiao.core import casework
from fengqiao.events.models import Event
from fengqiao.patrols.models import Finding, Patrol, Photo, Scan, TrackPoint
from tests.browser.conftest import DESKTOP, _open
from tests.patrols.conftest import build_world
from tests.web.test_events_pages import png_bytes

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# A walk east through grid A (106.10–106.11, 37.90–37.91).
ROUTE = [(106.101 + 0.0012 * i, 37.905) for i in range(8)]
# How many photos wait in the phone's IndexedDB.
PHOTOS_HELD = """name => new Promise((resolve, reject) => {
  const open = indexedDB.open(name);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains("photos")) { db.close(); resolve(0); return; }
    const count = db.transaction("photos").objectStore("photos").count();
    count.onsuccess = () => { db.close(); resolve(count.result); };
  };
})"""


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
        page.locator("#patrol-photo").set_input_files(
            files=[{"name": "box.png", "mimeType": "image/png", "buffer": png_bytes(4, 4)}]
        )
        key, photo_db = f"fq.patrol.{world.vol_a.pk}", f"fq.patrol.photos.{world.vol_a.pk}"
        page.wait_for_function("key => JSON.parse(localStorage.getItem(key)).queue.length === 3", arg=key)
        # then it is all kept on the phone and nothing has reached the server yet
        assert int(panel.get_attribute("data-queued")) >= 7  # four positions, the scan, report, photo
        assert "无网络" in page.locator("#patrol-status").text_content()
        assert not Scan.objects.filter(patrol=patrol).exists()
        assert not Finding.objects.filter(patrol=patrol).exists()
        assert not Photo.objects.filter(patrol=patrol).exists()
        queued = page.evaluate("key => JSON.parse(localStorage.getItem(key)).queue.map(op => op.op)", key)
        assert queued == ["scans", "findings", "photos"]
        assert page.evaluate(PHOTOS_HELD, photo_db) == 1  # the picture itself, in IndexedDB
        # when the network is back, everything is sent, once
        context.set_offline(False)
        page.wait_for_selector("#patrol[data-queued='0']", timeout=15_000)
        page.evaluate("window.dispatchEvent(new Event('online'))")  # a second flush sends nothing new
        page.wait_for_selector("#patrol[data-queued='0']")
        recorded = int(page.locator("#count-points").text_content())
        assert TrackPoint.objects.filter(patrol=patrol).count() == recorded >= len(ROUTE)
        assert Scan.objects.filter(patrol=patrol).count() == 1
        assert Finding.objects.filter(patrol=patrol).count() == 1
        (photo,) = Photo.objects.filter(patrol=patrol)
        assert photo.content_type == "image/png" and photo.size > 0
        assert page.evaluate(PHOTOS_HELD, photo_db) == 0  # sent, so no longer kept on the phone
        assert "已打卡" in page.locator("#patrol-log").text_content()
        assert "照片已上传" in page.locator("#patrol-log").text_content()
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
