"""The menu and the staff home: every module a role may use is in the menu and opens, nothing
else is, residents are refused the staff pages, the unread count follows reading, the home's
figures are the lists they link to, and the small things (favicon, one log line per refusal)."""

import datetime as dt
import io
import logging
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fengqiao.core import casework
from fengqiao.core.notifications.actions import notify
from fengqiao.events.models import Event
from fengqiao.events.selectors import EventFilter, events_for

STATISTICS = ["event_indicators", "dispute_statistics", "registry_statistics"]
STAFF = [
    "home",
    "inbox",
    "events",
    "disputes",
    "directives",
    "grids",
    "registry",
    "patrols",
    "video",
    "video_patrol",
    "my_shifts",
    "duty",
    "outreach",
    "statistics",
    *STATISTICS,
    "imports",
]
# A station and the bureaus also have the command room, first of the statistics.
COMMAND = [m for module in STAFF for m in ([module, "command"] if module == "statistics" else [module])]
# Stations and above also analyse: the hotspot map and near repeats, last of the statistics.
ANALYSIS = [
    m
    for module in COMMAND
    for m in ([module, "hotspots", "near_repeat"] if module == "registry_statistics" else [module])
]
# Stations and above keep the points counter and its monthly report, after the duty rosters.
POINTS = ["points_counter", "points_report"]
COUNTER = [m for module in ANALYSIS for m in ([module, *POINTS] if module == "duty" else [module])]
# Grid workers are in the field: the station's video-patrol desk is not theirs.
FIELD = [m for m in STAFF if m != "video_patrol"]


def after_patrols(menu: list[str], *extra: str) -> list[str]:
    """Household visits (the police's) and the officer-at-the-scene page (units') follow patrols."""
    return [m for module in menu for m in ([module, *extra] if module == "patrols" else [module])]


def with_selfservice(menu: list[str], *modules: str) -> list[str]:
    """After the directives: the certificates (stations and above decide them) and the offices'
    bookings (community officers and above keep the day list)."""
    return [m for module in menu for m in ([module, *modules] if module == "directives" else [module])]


# What each persona's menu holds, in order (a group's pages follow it).
MENUS = {
    "grid_a": [*FIELD, "notifications"],
    "officer": [
        *after_patrols(with_selfservice(STAFF, "bookings"), "visits", "scene_arrivals"),
        "notifications",
    ],
    "station": [
        *after_patrols(with_selfservice(COUNTER, "certificates", "bookings"), "visits", "scene_arrivals"),
        "staff",
        "notifications",
    ],
    "city": [
        *after_patrols(with_selfservice(COUNTER, "certificates", "bookings"), "scene_arrivals"),
        "staff",
        "notifications",
    ],
    "resident": [
        "home",
        "report",
        "my_reports",
        "record_reads",
        "certificate_apply",
        "alerts",
        "notifications",
    ],
}
STAFF_ONLY = [
    "/events/",
    "/events/map/",
    "/events/map.geojson",
    "/events/board/",
    "/inbox/",
    "/grids/",
    "/grids.geojson",
]


def nav(body: str) -> str:
    return re.search(r'<nav class="nav" id="main-nav".*?</nav>', body, re.S).group(0)


def modules(body: str) -> list[str]:
    return re.findall(r'data-module="([^"]+)"', nav(body))


def links(body: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', nav(body))


@pytest.mark.parametrize("persona", list(MENUS))
def test_the_menu_lists_exactly_the_modules_of_the_role_and_each_opens(logged_in, personas, persona):
    # given a persona on their home page
    client = logged_in(getattr(personas, persona))
    body = client.get("/").content.decode()
    # then the menu holds exactly the modules their role may use
    assert modules(body) == MENUS[persona]
    assert "{#" not in body and "{%" not in body  # no template text printed (a comment's end, say)
    # and every link of it opens for them
    for url in links(body):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", ["grid_a", "station"])
def test_the_dispute_ledger_and_statistics_are_in_the_staff_menu(logged_in, personas, persona):
    body = logged_in(getattr(personas, persona)).get("/").content.decode()
    menu = nav(body)
    assert 'href="/disputes/"' in menu and "矛盾纠纷" in menu
    assert "<summary>统计</summary>" in menu
    for url in ("/events/indicators/", "/disputes/statistics/", "/registry/statistics/"):
        assert f'href="{url}"' in menu


def test_the_current_module_is_marked(logged_in, personas):
    client = logged_in(personas.officer)
    body = client.get("/disputes/statistics/").content.decode()
    # the statistics page, not the ledger above it, is the current one, and its group shows it
    assert re.findall(r'href="([^"]+)"[^>]*aria-current="page"', nav(body)) == ["/disputes/statistics/"]
    assert '<summary class="current">' in nav(body)
    body = client.get("/events/?status=open").content.decode()
    assert re.findall(r'href="([^"]+)"[^>]*aria-current="page"', nav(body)) == ["/events/"]


def test_a_resident_gets_no_staff_link_and_is_refused_the_staff_pages(logged_in, personas):
    client = logged_in(personas.resident)
    menu = nav(client.get("/").content.decode())
    for url in ("/events/", "/grids/", "/inbox/", "/disputes/", "/registry/", "/imports/", "/staff/"):
        assert f'href="{url}' not in menu
    for url in STAFF_ONLY:
        response = client.get(url)
        # the house's 403 page, with the resident's own menu on it
        assert response.status_code == 403, url
        body = response.content.decode()
        assert "无权操作" in body, url
        assert 'href="/report/"' in nav(body), url


@pytest.mark.parametrize("persona", ["grid_a", "officer", "station", "city"])
def test_staff_still_open_the_pages_refused_to_residents(logged_in, personas, persona):
    client = logged_in(getattr(personas, persona))
    for url in STAFF_ONLY:
        assert client.get(url).status_code == 200, url


def test_the_unread_count_shows_and_drops_as_notifications_are_read(logged_in, personas):
    # given two unread notifications for grid worker A
    (first,) = notify([personas.grid_a], kind="test", title="第一条")
    notify([personas.grid_a], kind="test", title="第二条")
    client = logged_in(personas.grid_a)

    def count():
        found = re.search(
            r'data-module="notifications"[^>]*>[^<]*<span class="nav-count">(\d+)',
            nav(client.get("/").content.decode()),
        )
        return int(found.group(1)) if found else 0

    # then the menu says 2
    assert count() == 2
    # when they read one, it says 1; when they read all, no count
    client.post(f"/notifications/{first.pk}/read/")
    assert count() == 1
    client.post("/notifications/read-all/")
    assert count() == 0
    # and nobody else's menu counts them
    notify([personas.grid_a], kind="test", title="第三条")
    other = nav(logged_in(personas.grid_b).get("/").content.decode())
    assert "nav-count" not in other


# ---------------------------------------------------------------------------------------------
# the staff home


def figures(body: str) -> dict[str, tuple[int, str]]:
    return {
        key: (int(value), url.replace("&amp;", "&"))
        for key, url, value in re.findall(
            r'data-figure="([^"]+)">\s*<a href="([^"]+)"><span class="figure-value">(\d+)</span>', body
        )
    }


def listed(client, url: str) -> set[str]:
    """The event numbers a list page shows."""
    return set(re.findall(r'href="/events/([A-Z0-9-]+)/"', client.get(url).content.decode()))


def test_the_staff_home_says_what_is_waiting_as_the_lists_do(logged_in, personas, report, register):
    # given events in grid A: two new today, one of them past its limit, one from last week
    today = report(title="今天的事")
    late = report(title="超时的事")
    old = report(title="上周的事", at=timezone.now() - dt.timedelta(days=7))
    events = Event.objects.unscoped(reason="test: set the limits")
    events.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    events.filter(pk=old.pk).update(due_at=timezone.now() + dt.timedelta(days=1))  # extended
    register()  # and a dispute in mediation
    client = logged_in(personas.grid_a)
    # when grid worker A opens the home page
    shown = figures(client.get("/").content.decode())
    # then the inbox count is what the inbox lists, linked to it
    inbox = casework.inbox(personas.grid_a)
    assert shown["inbox"] == (len(inbox), "/inbox/")
    assert shown["inbox_overdue"][0] == sum(1 for c in inbox if c.due_at and c.due_at <= timezone.now())
    # and overdue and today's events are the filtered lists they link to
    assert shown["events_overdue"][0] == 1 and listed(client, shown["events_overdue"][1]) == {late.number}
    assert shown["events_today"][0] == 2
    assert listed(client, shown["events_today"][1]) == {today.number, late.number}
    assert old.number not in listed(client, shown["events_today"][1])
    # and the key figures agree with the selectors
    opened = EventFilter(status="open").apply(events_for(personas.grid_a)).count()
    assert shown["events_open"][0] == opened == 3
    assert shown["disputes_open"][0] == 1
    assert shown["disputes_open"][1] == "/disputes/?status=open"
    assert "people_month" in shown
    # grid B's worker sees none of grid A's
    other = figures(logged_in(personas.grid_b).get("/").content.decode())
    assert other["events_open"][0] == 0 and other["events_today"][0] == 0


def test_the_residents_home_has_no_staff_figures(logged_in, personas, report):
    report()
    body = logged_in(personas.resident).get("/").content.decode()
    assert 'id="desk"' not in body and "data-figure" not in body


def test_the_staff_home_runs_a_fixed_number_of_queries_whatever_the_data(
    logged_in, personas, report, register
):
    client = logged_in(personas.station)
    report()
    client.get("/")  # warm up the session, the content types and the reference data
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    # given many more events and disputes
    for i in range(8):
        report(title=f"事件{i}")
    for _ in range(3):
        register()
    with CaptureQueriesContext(connection) as many:
        response = client.get("/")
    assert figures(response.content.decode())["events_open"][0] == 9
    assert len(many) == len(few)


# ---------------------------------------------------------------------------------------------
# small things


def test_the_favicon_answers(client, logged_in, personas):
    # browsers ask /favicon.ico; it leads to the static icon, which is an icon
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = client.get(response["Location"])
    assert icon.status_code == 200 and icon["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"
    # and every page links the SVG one, which answers
    body = logged_in(personas.grid_a).get("/").content.decode()
    href = re.search(r'<link rel="icon" href="([^"]+\.svg)"', body).group(1)
    svg = client.get(href)
    assert svg.status_code == 200 and b"<svg" in b"".join(svg.streaming_content)


@pytest.fixture
def console():
    """What the log's console handler (settings.LOGGING) writes, as text."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    old = handler.setStream(stream)
    yield stream
    handler.setStream(old)


def test_a_403_and_a_404_are_one_log_line_each_without_a_traceback(logged_in, personas, console):
    client = logged_in(personas.resident)
    # when a resident opens a staff page and a page that does not exist
    assert client.get("/events/").status_code == 403
    assert client.get("/no-such-page/").status_code == 404
    lines = [line for line in console.getvalue().splitlines() if "django.request" in line]
    # then each is one warning line, stamped in the settings' time zone with its offset
    assert len(lines) == 2, console.getvalue()
    assert "Forbidden (Permission denied): /events/" in lines[0] and "[WARNING]" in lines[0]
    assert "Not Found: /no-such-page/" in lines[1]
    assert all(re.match(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0800\] \[\d+\] ", line) for line in lines)
    assert "Traceback" not in console.getvalue()
