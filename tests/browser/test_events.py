"""One event's whole loop in a real Chromium: a resident reports on a phone without an account,
grid worker A files, dispatches, handles and reports back, officer A passes the check, and the
resident, back on the phone with the tracking code, sees it closed and rates it."""

import pytest

from fengqiao.events.models import Event
from tests.browser.conftest import _open
from tests.web.test_events_pages import png_bytes

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LAMP = (106.105, 37.905)  # inside grid A


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def tab(browser, live_server):
    """Open browser tabs (each its own session); every one is checked for stray requests,
    missing assets and JavaScript errors at the end."""
    opened = []

    def open_tab(viewport):
        context, visit = _open(browser, live_server, viewport)
        opened.append((context, visit))
        return visit

    yield open_tab
    for context, visit in opened:
        context.close()
        assert visit.outside == [], "pages tried to reach outside the server"
        assert visit.failed == [], "assets failed to load"
        assert visit.errors == [], "JavaScript errors"


def click_on_map(page, map_id, lon, lat):
    """Click the map where (lon, lat) is drawn."""
    page.wait_for_selector(f"#{map_id}[data-state=ready]")
    x, y = page.evaluate(
        "([id, lat, lon]) => { const p = document.getElementById(id).fengqiaoMap"
        ".latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [map_id, lat, lon],
    )
    page.locator(f"#{map_id}").click(position={"x": x, "y": y})


def take(page, name, fill=None):
    """Open the form of one step on the event page, fill it, send it."""
    page.locator(f"#move-{name} summary").click()
    if fill:
        fill(page)
    with page.expect_navigation():
        page.locator(f"#move-{name} button[type=submit]").click()


def test_a_residents_report_goes_round_the_loop_to_its_rating(tab, personas, categories):
    # given a resident on a phone, without an account
    resident = tab(PHONE)
    page = resident.page
    resident.goto("/report/")
    # when they choose the category, say what is wrong and tap the place on the map
    page.locator("#id_category").select_option("0401")
    page.locator("#id_description").fill("小区门口路灯坏了\n晚上很黑，老人容易摔倒")
    click_on_map(page, "pick-map", *LAMP)
    lon, lat = float(page.locator("#id_lon").input_value()), float(page.locator("#id_lat").input_value())
    assert abs(lon - LAMP[0]) < 0.001 and abs(lat - LAMP[1]) < 0.001  # a tap, within about 100 m
    # add a photo, their name and phone
    page.locator("#id_photos").set_input_files(
        files=[{"name": "lamp.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    page.locator("#id_reporter_name").fill("刘一")
    page.locator("#id_reporter_phone").fill("13800001111")
    assert resident.no_horizontal_scroll()
    assert page.locator("#id_description").bounding_box()["height"] >= 44
    page.screenshot(path=f"{SCREENSHOTS}/fengqiao-phone-report.png", full_page=True)
    with page.expect_navigation():
        page.locator("#portal-report button[type=submit]").click()
    # then the tracking code shows, big
    assert page.url == resident.url("/report/sent/")
    code = page.locator("#tracking-code").get_attribute("data-code")
    assert page.locator("#tracking-code").bounding_box()["height"] >= 40
    assert resident.no_horizontal_scroll()
    page.screenshot(path=f"{SCREENSHOTS}/fengqiao-phone-tracking-code.png", full_page=True)
    event = Event.objects.unscoped(reason="test").get(tracking_code=code)
    assert event.grid == personas.territory.grid_a and event.attachments.count() == 1

    # when grid worker A opens their inbox and the event
    worker = tab(DESKTOP)
    worker.login("grid_a")
    desk = worker.page
    with desk.expect_navigation():
        desk.locator("nav.nav a[href='/inbox/']").click()
    with desk.expect_navigation():
        desk.locator(f"a[href='/events/{event.number}/']").click()
    # the photo is there
    photo = desk.locator(".attachments img")
    photo.wait_for()
    # decoded: polled from here, as the CSP forbids wait_for_function's evaluated strings
    for _ in range(100):
        if desk.evaluate("document.querySelector('.attachments img').naturalWidth") > 0:
            break
        desk.wait_for_timeout(100)
    else:
        pytest.fail("the photo never decoded")
    desk.wait_for_selector("#event-place[data-state=ready]")
    # and they file it, dispatch it to themselves, start and report back
    take(desk, "file")
    assert desk.locator("#event-status").get_attribute("data-status") == "filed"
    take(
        desk, "dispatch", lambda p: p.locator("#id_dispatch-assignee").select_option(str(personas.grid_a.pk))
    )
    assert desk.locator("#event-status").get_attribute("data-status") == "dispatched"
    take(desk, "accept")
    take(desk, "report_back", lambda p: p.locator("#id_report_back-note").fill("已更换灯泡"))
    assert desk.locator("#event-status").get_attribute("data-status") == "reported_back"
    desk.screenshot(path=f"{SCREENSHOTS}/fengqiao-event-page.png", full_page=True)
    # and, having reported back, they are not offered the check of their own work, and told why
    assert desk.locator("#move-pass").count() == 0
    assert "“核查通过”须由其他人办理" in desk.locator("[data-held-back]").inner_text()

    # when officer A checks and passes it
    officer = tab(DESKTOP)
    officer.login("officer_a")
    officer.goto(f"/events/{event.number}/")
    take(officer.page, "pass", lambda p: p.locator("#id_pass-reply").fill("路灯已更换，感谢您的反映。"))
    assert officer.page.locator("#event-status").get_attribute("data-status") == "closed"
    timeline = officer.page.locator("#timeline li")
    assert timeline.count() == 6  # reported, file, dispatch, accept, report back, pass

    # then the resident, back with their code, sees it closed, without staff names
    resident.goto("/track/")
    page.locator("#id_code").fill(code.lower())
    with page.expect_navigation():
        page.locator("#track-form button[type=submit]").click()
    assert page.url == resident.url(f"/track/{code}/")
    assert page.locator("#public-status").get_attribute("data-status") == "closed"
    # received, accepted, being handled, handled and being checked, closed: in residents' words
    assert page.locator("#public-timeline li").count() == 5
    assert page.locator("#public-status").inner_text() == "已办结"
    # and reads the reply meant for them, never the staff's notes or names
    assert page.locator("#public-reply").inner_text().endswith("路灯已更换，感谢您的反映。")
    body = page.content()
    assert "张三" not in body and "王五" not in body and "已更换灯泡" not in body
    # and rates it five
    page.locator("#rate label").filter(has=page.locator("input[value='5']")).click()
    # with the last four digits of the phone they gave, so that nobody else rates for them
    page.locator("#rate-phone-digits").fill("1111")
    with page.expect_navigation():
        page.locator("#rate button[type=submit]").click()
    assert page.locator("#public-rating").inner_text() == "5 / 5"
    assert page.locator(".messages .success").count() == 1  # the rating is confirmed
    assert resident.no_horizontal_scroll()
    page.screenshot(path=f"{SCREENSHOTS}/fengqiao-phone-track.png", full_page=True)
    event.refresh_from_db()
    assert event.rating == 5 and event.status == "closed"


def test_staff_intake_on_a_phone_suggests_the_duplicate(tab, personas, categories):
    from fengqiao.events.actions import Report, report_event

    earlier = report_event(
        Report(category=categories["0401"], title="路灯不亮", lon=LAMP[0], lat=LAMP[1]),
        actor=personas.grid_a,
        channel="staff",
    )
    # given grid worker A taking a call on their phone
    worker = tab(PHONE)
    worker.login("grid_a")
    page = worker.page
    worker.goto("/events/new/")
    page.locator("#id_category").select_option("0401")
    page.locator("#id_title").fill("路灯坏了")
    # when they click the place on the map, next to the earlier report
    click_on_map(page, "pick-map", LAMP[0] + 0.0002, LAMP[1])
    # then the earlier event is suggested as possibly the same
    suggestion = page.locator(f"#duplicates a[href='/events/{earlier.number}/']")
    suggestion.wait_for()
    assert worker.no_horizontal_scroll()
    page.locator("#id_reporter_name").fill("马丽")
    with page.expect_navigation():
        page.locator("#intake button[type=submit]").click()
    # and taking it in anyway leads to its page, where it can be merged into the earlier one
    created = Event.objects.unscoped(reason="test").get(title="路灯坏了")
    assert page.url == worker.url(f"/events/{created.number}/")
    assert page.locator(f"#merge-candidates option[value='{earlier.number}']").count() == 1
    assert worker.no_horizontal_scroll()


def test_the_staff_pages_fit_a_phone(tab, personas, categories):
    from fengqiao.events.actions import Report, move, report_event

    event = report_event(
        Report(category=categories["0401"], title="楼道堵塞", lon=LAMP[0], lat=LAMP[1]),
        actor=personas.grid_a,
        channel="staff",
    )
    move(event, "escalate", actor=personas.grid_a, version=event.version, note="需要民警到场")
    # when officer A goes through the event pages on a phone
    officer = tab(PHONE)
    officer.login("officer_a")
    for path in ("/inbox/", "/events/", "/events/?status=open&escalated=1", "/events/board/", "/events/new/"):
        response = officer.goto(path)
        # then each opens and none scrolls sideways
        assert response.status == 200, path
        assert event.number in officer.page.content() or path == "/events/new/", path
        assert officer.no_horizontal_scroll(), path
    officer.goto("/events/map/")
    officer.page.wait_for_selector("#event-map[data-state=ready]")
    assert officer.page.locator("#event-map").get_attribute("data-points") == "1"
    assert officer.no_horizontal_scroll()
    officer.goto(f"/events/{event.number}/")
    officer.page.wait_for_selector("#event-place[data-state=ready]")
    assert officer.no_horizontal_scroll()
    officer.page.screenshot(path=f"{SCREENSHOTS}/fengqiao-phone-event.png", full_page=True)
