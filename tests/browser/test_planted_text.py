"""Text that people type reaches every page and map as text (issue 12, Trust I).

One world is planted through the house's own actions, as an attacker with a staff account (or
a superuser in the admin) would: every user-editable text that a page or a map shows carries a
distinct, recognisable payload — an ``<img onerror>``, a ``<script>``, a ``javascript:`` link.
Then each role opens every page and map that shows them, at desktop and phone sizes, hovers the
grid outlines and clicks the event markers, and on every page:

- nothing ran (``window.__xss`` stays undefined, no ``securitypolicyviolation`` event, no CSP
  refusal in the console: the conftest fails the test on those);
- nothing became markup (no ``img[src=x]``, no inline ``<script>``, no ``on*`` attribute, no
  ``javascript:`` URL anywhere in the DOM);
- the text reads as typed: wherever a payload's marker shows, the whole payload shows with it,
  literally (``<img src=x onerror=…``), neither run nor dropped nor escaped twice; and each page
  shows the payloads it is expected to show.

The site's CSP would stop a payload that did become markup from running, so the markup and
text checks are what fail first; ``test_the_checks_catch_markup`` shows that they do.
"""

import datetime as dt
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.utils import timezone

from fengqiao.accounts.models import User
from fengqiao.core.notifications.actions import notify
from fengqiao.disputes import actions as disputes
from fengqiao.disputes.actions import PartyData, Registration
from fengqiao.events import actions as events
from fengqiao.events.choices import Channel
from fengqiao.events.models import Category
from fengqiao.geo import actions as geo
from fengqiao.registry import actions as registry
from tests.browser.conftest import _open
from tests.fixtures.disputes import APPLICANT_ID, RESPONDENT_ID
from tests.fixtures.registry import valid_credit_code, valid_id_number

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


# ---------------------------------------------------------------------------------------------
# the payloads: each carries its marker (XSS01, XSS02, ...) in its text and in its code


def img(marker: str, lead: str = "") -> str:
    return f"{lead}{marker}<img src=x onerror=\"window.__xss='{marker}'\">"


def script(marker: str, lead: str = "") -> str:
    return f"{lead}{marker}<script>window.__xss='{marker}'</script>"


def link(marker: str, lead: str = "") -> str:
    return f"{lead}{marker}<a href=\"javascript:window.__xss='{marker}'\">javascript:window.__xss=1</a>"


def bare(marker: str, lead: str = "") -> str:
    """Link-like text where a field might become a link (a place, a phone-like field)."""
    return f"{lead}{marker} javascript:window.__xss='{marker}'"


# Every planted text, by what it is. Each fits its field (person names 64, event titles 100).
PLANTED = {
    "grid": img("XSS01", "金积"),
    "district": script("XSS02", "第一警务区"),
    "station": link("XSS03", "金积所"),
    "village": img("XSS04", "金积村"),
    "category": script("XSS05", "隐患"),
    "officer_name": img("XSS06", "王"),
    "street": img("XSS07", "滨河路"),
    "compound": bare("XSS08", "小区"),
    "person_name": img("XSS09", "张"),
    "former_name": script("XSS10", "曾"),
    "workplace": link("XSS11", "单位"),
    "hukou": bare("XSS12", "户籍"),
    "occupation": script("XSS13", "职"),
    "org_name": img("XSS14", "商贸"),
    "legal_rep": script("XSS15", "法"),
    "industry": link("XSS16", "行业"),
    "escalate_note": link("XSS17", "上报"),
    "event_title": img("XSS18", "楼道"),
    "event_description": script("XSS19", "描述\n") + "\n" + link("XSS20", "第二行"),
    "event_place": bare("XSS21", "地点"),
    "reporter_name": img("XSS22", "报"),
    "report_back_note": script("XSS23", "反馈"),
    "dispatch_note": img("XSS24", "派"),
    "portal_title": img("XSS25", "路灯"),
    "portal_description": script("XSS26", "居民"),
    "portal_place": link("XSS27", "村口"),
    "dispute_title": img("XSS28", "边界"),
    "dispute_place": bare("XSS29", "院"),
    "facts": script("XSS30", "事实"),
    "points": link("XSS31", "争点"),
    "applicant": img("XSS32", "甲"),
    "respondent": script("XSS33", "乙"),
    "party_address": bare("XSS34", "住"),
    "session_place": img("XSS35", "调解室"),
    "participants": link("XSS36", "参加"),
    "minutes": script("XSS37", "笔录"),
    "terms": img("XSS38", "条款"),
    "performance_method": script("XSS39", "履行"),
    "notice_title": img("XSS40", "通知"),
    "notice_body": script("XSS41", "正文") + "\n" + link("XSS42", "链接"),
    "grid_b": script("XSS43", "关渠"),
}
# Typed into a search box, never stored: the query comes back in the box and in the page.
SEARCHED = img("XSS44", "张")


def _pieces(text: str) -> list[tuple[str, str]]:
    """(marker, the payload it starts) for each payload inside one planted text."""
    out = []
    for line in text.split("\n"):
        if "XSS" in line:
            start = line.index("XSS")
            out.append((line[start : start + 5], line[start:]))
    return out


PIECES = dict(piece for text in [*PLANTED.values(), SEARCHED] for piece in _pieces(text))


class World:
    """What was planted, with the numbers and codes the pages are reached by."""


@pytest.fixture
def world(personas, categories):
    t, p = personas.territory, personas
    w = World()
    # as a superuser in the admin: units, a village, a category, a staff member's name
    t.district_a.name = PLANTED["district"]
    t.district_a.save()
    t.station.name = PLANTED["station"]
    t.station.save()
    t.village_a.name = PLANTED["village"]
    t.village_a.save()
    category = Category.objects.get(code="0401")
    category.name = PLANTED["category"]
    category.save()
    User.objects.filter(pk=p.officer.pk).update(full_name=PLANTED["officer_name"])
    p.officer.refresh_from_db()
    # the station renames the grids
    geo.update_grid(t.grid_a, actor=p.station, name=PLANTED["grid"])
    geo.update_grid(t.grid_b, actor=p.station, name=PLANTED["grid_b"])
    t.grid_a.refresh_from_db()
    w.grid = t.grid_a

    # the grid worker collects the registry
    address = registry.record_address(
        actor=p.grid_a,
        data={
            "grid": t.grid_a,
            "street": PLANTED["street"],
            "compound": PLANTED["compound"],
            "door_plate": "7",
        },
    )
    person = registry.record_person(
        actor=p.grid_a,
        data={
            "id_number": valid_id_number(),
            "name": PLANTED["person_name"],
            "former_name": PLANTED["former_name"],
            "workplace": PLANTED["workplace"],
            "hukou_address": PLANTED["hukou"],
            "occupation": PLANTED["occupation"],
            "phone": "13912345678",
            "current_address": address,
        },
    )
    house = registry.record_house(actor=p.grid_a, data={"address": address, "owner": person})
    registry.record_residence(
        actor=p.grid_a,
        data={
            "person": person,
            "house": house,
            "kind": "owner",
            "start_date": dt.date(2020, 1, 1),
        },
    )
    org = registry.record_organisation(
        actor=p.grid_a,
        data={
            "credit_code": valid_credit_code(),
            "name": PLANTED["org_name"],
            "legal_representative": PLANTED["legal_rep"],
            "industry": PLANTED["industry"],
            "address": address,
        },
    )
    w.address, w.person, w.house, w.org = address, person, house, org

    # an event entered by the grid worker on a caller's behalf, handled up to the report back
    report = events.build_report(
        category="0401",
        public_only=False,
        actor=p.grid_a,
        title=PLANTED["event_title"],
        description=PLANTED["event_description"],
        lon=106.105,
        lat=37.905,
        address_text=PLANTED["event_place"],
        reporter_name=PLANTED["reporter_name"],
    )
    event = events.report_event(report, actor=p.grid_a, channel=Channel.STAFF)
    event = events.move(event, "file", actor=p.grid_a, version=event.version)
    event = events.move(
        event,
        "dispatch",
        actor=p.grid_a,
        version=event.version,
        note=PLANTED["dispatch_note"],
        data={"assignee": p.grid_a.pk},
    )
    event = events.move(event, "accept", actor=p.grid_a, version=event.version)
    event = events.move(
        event, "report_back", actor=p.grid_a, version=event.version, note=PLANTED["report_back_note"]
    )
    w.event = event

    # a resident reports on the portal; the grid worker files it and escalates it to the district
    report = events.build_report(
        category="0401",
        public_only=True,
        actor=p.resident,
        title=PLANTED["portal_title"],
        description=PLANTED["portal_description"],
        lon=106.106,
        lat=37.906,
        address_text=PLANTED["portal_place"],
    )
    portal = events.report_event(report, actor=p.resident, channel=Channel.PORTAL)
    portal = events.move(portal, "file", actor=p.grid_a, version=portal.version)
    portal = events.move(
        portal, "escalate", actor=p.grid_a, version=portal.version, note=PLANTED["escalate_note"]
    )
    w.portal = portal

    # a dispute mediated up to its agreement
    dispute = disputes.register_dispute(
        Registration(
            title=PLANTED["dispute_title"],
            source="screening",
            category="neighbours",
            grade="yellow",
            grid=t.grid_a,
            place=PLANTED["dispute_place"],
            facts=PLANTED["facts"],
            points=PLANTED["points"],
            parties=[
                PartyData(
                    role="applicant",
                    name=PLANTED["applicant"],
                    id_number=APPLICANT_ID,
                    address=PLANTED["party_address"],
                ),
                PartyData(role="respondent", name=PLANTED["respondent"], id_number=RESPONDENT_ID),
            ],
        ),
        actor=p.officer,
    )
    dispute = disputes.move(dispute, "start", actor=p.officer, version=dispute.version)
    dispute = disputes.move(
        dispute,
        "record_session",
        actor=p.officer,
        version=dispute.version,
        data={
            "held_on": timezone.localdate(),
            "place": PLANTED["session_place"],
            "participants": PLANTED["participants"],
            "minutes": PLANTED["minutes"],
        },
    )
    dispute = disputes.move(
        dispute,
        "record_agreement",
        actor=p.officer,
        version=dispute.version,
        data={
            "form": "written",
            "terms": PLANTED["terms"],
            "performance_method": PLANTED["performance_method"],
            "perform_by": timezone.localdate() + dt.timedelta(days=10),
        },
    )
    w.dispute = dispute
    w.verify_path = disputes.verification_path(dispute.agreement)

    # a notice typed by someone, to every staff persona
    notify(
        [p.grid_a, p.officer, p.station],
        kind="notice",
        title=PLANTED["notice_title"],
        body=PLANTED["notice_body"],
        link=f"/events/{event.number}/",
    )
    return w


# ---------------------------------------------------------------------------------------------
# what some pages are used for


def pick_an_address(page, field: str) -> None:
    """Type part of an address into a place picker and pick the first suggestion."""
    page.locator(f"#{field}").fill("滨河路")
    page.locator(f"#{field}-places li[role=option]").first.click()


def take_in_an_event(page) -> None:
    """On the new-event form: pick the planted category and address, click the map where the
    planted events are, so the form lists them as possible duplicates (htmx)."""
    page.select_option("#id_category", "0401")
    pick_an_address(page, "id_address")
    x, y = page.evaluate(
        "() => { const p = document.getElementById('pick-map').fengqiaoMap"
        ".latLngToContainerPoint([37.9055, 106.1055]); return [p.x, p.y]; }"
    )
    page.locator("#pick-map").click(position={"x": x, "y": y})
    page.wait_for_selector("#duplicates [data-duplicates]")


def edit_a_person(page) -> None:
    pick_an_address(page, "id_current_address")


# ---------------------------------------------------------------------------------------------
# what each role opens, and which planted texts each page must show

REGISTRY = ["street", "compound", "person_name", "org_name"]
STAFF_PAGES = [
    # (path, or a function of the world giving it; the planted texts the page must show)
    ("/", ["grid"]),
    ("/grids/", ["grid"]),
    (lambda w: f"/grids/{w.grid.code}/", ["grid", "village"]),
    ("/registry/people/", ["person_name"]),
    ("/registry/people/?q=张", ["person_name"]),
    ("/registry/people/?q=滨河路", ["person_name"]),
    ("/registry/people/?q=" + quote(SEARCHED), []),
    ("/registry/", []),
    (lambda w: f"/registry/people/{w.person.pk}/", ["person_name", "former_name", "workplace", "hukou"]),
    (
        lambda w: f"/registry/people/{w.person.pk}/edit/",
        ["person_name", "former_name", "workplace", "hukou", "street"],
        edit_a_person,
    ),
    (lambda w: f"/registry/addresses/{w.address.pk}/edit/", ["street", "compound"]),
    (lambda w: f"/registry/organisations/{w.org.pk}/edit/", ["org_name", "legal_rep", "industry"]),
    ("/registry/addresses/", ["street"]),
    (lambda w: f"/registry/addresses/{w.address.pk}/", ["street", "compound"]),
    ("/registry/houses/", ["street"]),
    (lambda w: f"/registry/houses/{w.house.pk}/", ["street", "person_name"]),
    ("/registry/organisations/", ["org_name"]),
    (lambda w: f"/registry/organisations/{w.org.pk}/", ["org_name", "legal_rep", "industry"]),
    ("/events/", ["event_title", "portal_title"]),
    (
        lambda w: f"/events/{w.event.number}/",
        ["event_title", "event_description", "event_place", "report_back_note", "dispatch_note", "category"],
    ),
    (
        lambda w: f"/events/{w.portal.number}/",
        ["portal_title", "portal_description", "portal_place", "escalate_note"],
    ),
    ("/events/map/", ["event_title"]),  # in the markers' popups
    ("/events/board/", ["portal_title"]),  # escalated
    ("/events/new/", ["category", "street", "event_title"], take_in_an_event),
    ("/disputes/", ["dispute_title"]),
    (
        lambda w: f"/disputes/{w.dispute.number}/",
        ["dispute_title", "facts", "points", "minutes", "session_place", "terms", "performance_method"],
    ),
    ("/notifications/", ["notice_title", "notice_body"]),
]
OFFICER_PAGES = [
    ("/disputes/new/", ["grid"]),
    (lambda w: f"/disputes/{w.dispute.number}/sessions/new/", []),
    (lambda w: f"/disputes/{w.dispute.number}/agreement/", ["terms", "performance_method"]),
    ("/events/indicators/", []),
    ("/disputes/statistics/", []),
    ("/disputes/quota/", ["officer_name"]),
    ("/disputes/screening/", []),
]
STATION_PAGES = [
    ("/", ["grid", "grid_b", "district", "station"]),
    ("/staff/", ["officer_name"]),
    (lambda w: f"/grids/{w.grid.code}/edit/", ["grid"]),
    ("/registry/statistics/", []),
]
PORTAL_PAGES = [
    (lambda w: f"/track/{w.portal.tracking_code}/", ["portal_description", "portal_place", "category"]),
    ("/report/", ["category"]),
    (lambda w: w.verify_path, []),
]
RESIDENT_PAGES = [*PORTAL_PAGES, ("/my-reports/", ["portal_title"])]

ROLES = {
    # username (None: no account) → pages
    "grid_a": [*STAFF_PAGES, ("/inbox/", ["event_title"])],  # assigned to them
    "officer_a": [*STAFF_PAGES, *OFFICER_PAGES, ("/inbox/", ["portal_title"])],  # escalated to them
    "station": [*STAFF_PAGES, *OFFICER_PAGES, *STATION_PAGES, ("/inbox/", [])],
    "resident": RESIDENT_PAGES,
    None: PORTAL_PAGES,
}


# ---------------------------------------------------------------------------------------------
# the checks

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "") + " " + (e.sample || ""));
});
"""

# The text a reader sees or hears (hidden parts too: a closed <details>, a select's options),
# and what the inputs hold, without the JSON a page carries for its scripts.
TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll("script, style, template").forEach((e) => e.remove());
  const values = [...document.querySelectorAll("input:not([type=hidden])")].map((i) => i.value);
  return [document.title, body.textContent, ...values].join("\\n");
}"""

# Whatever user text would have become if it had been read as HTML.
MARKUP = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      if (a.name.startsWith("on")) found.push(`${el.tagName} ${a.name}=${a.value}`);
      const url = ["href", "src", "action", "formaction", "data"].includes(a.name);
      if (url && /^\\s*javascript:/i.test(a.value)) found.push(`${el.tagName} ${a.name}=${a.value}`);
    }
    if (el.tagName === "IMG" && el.getAttribute("src") === "x") found.push("img src=x");
    if (el.tagName === "SCRIPT" && !el.src && el.type !== "application/json")
      found.push("inline script: " + el.textContent.slice(0, 80));
  }
  return found;
}"""


def check_page(page, where: str, must_show: list[str], shown: str = "") -> list[str]:
    """What is wrong with the page as it stands, with what its tooltips and popups `shown` while
    open: run code, markup, text not as typed."""
    problems = []
    if page.evaluate("window.__xss") is not None:
        problems.append(f"{where}: a payload ran: {page.evaluate('window.__xss')}")
    problems += [f"{where}: CSP refused {v}" for v in page.evaluate("window.__violations || []")]
    problems += [f"{where}: markup {m}" for m in page.evaluate(MARKUP)]
    text = page.evaluate(TEXT) + "\n" + shown
    # every payload whose marker shows, shows whole and literally
    for marker, payload in PIECES.items():
        seen = text.count(marker)
        whole = text.count(payload) * payload.count(marker)
        if seen != whole:
            rest = text.replace(payload, "")
            at = rest.find(marker)
            problems.append(
                f"{where}: {marker} shows {seen} times, {whole} of them as typed {payload!r};"
                f" otherwise as {rest[max(at - 20, 0) : at + 80]!r}"
            )
    for name in must_show:
        for marker, payload in _pieces(PLANTED[name]):
            if payload not in text:
                problems.append(f"{where}: {name} ({marker}) is missing")
    return problems


def _maps_ready(page) -> None:
    # (a selector, not wait_for_function: that evaluates a string, which the CSP refuses)
    page.wait_for_selector(
        ":is([data-map], [data-event-map], [data-place-map], [data-pick-map]):not([data-state])",
        state="detached",
    )


def hover_and_click(page) -> str:
    """Hover every grid outline (its tooltip opens) and click every event marker (its popup opens);
    the text of the tooltips and popups that opened."""
    seen = []
    for outline in page.locator("[data-map] path.leaflet-interactive").all():
        outline.hover(force=True)
        # read in one go: a tooltip or popup listed first may close before it is read one by one
        seen.extend(page.locator(".leaflet-tooltip").all_text_contents())
    for marker in page.locator("[data-event-map] path.leaflet-interactive").all():
        # dispatched on the marker itself: a click at its centre may land on a marker drawn over it
        marker.dispatch_event("click")
        page.locator(".leaflet-popup-content").first.wait_for()
        seen.extend(page.locator(".leaflet-popup-content").all_text_contents())
        page.keyboard.press("Escape")
    return "\n".join(seen)


def open_page(visit, path: str, must_show: list[str], interact=None) -> list[str]:
    response = visit.goto(path)
    if response.status != 200:
        return [f"{path}: HTTP {response.status}"]
    page = visit.page
    _maps_ready(page)
    if interact is not None:
        interact(page)
    shown = hover_and_click(page)
    problems = check_page(page, path, must_show, shown)
    if "?q=" in path:  # the query typed comes back in its box as typed
        typed = parse_qs(urlsplit(path).query)["q"][0]
        if page.locator("input[name=q]").first.input_value() != typed:
            problems.append(f"{path}: the search box does not hold what was typed")
    if page.locator("[data-map] path.leaflet-interactive").count() and PIECES["XSS01"] not in shown:
        problems.append(f"{path}: no tooltip read the grid's name as typed")
    if page.locator("[data-event-map] path.leaflet-interactive").count() and PIECES["XSS18"] not in shown:
        problems.append(f"{path}: no popup read the event's title as typed")
    return problems


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("role", list(ROLES), ids=[r or "anonymous" for r in ROLES])
def test_planted_text_reads_as_typed_and_runs_nothing(browser, live_server, world, role, viewport):
    context, visit = _open(browser, live_server, viewport)
    context.add_init_script(WATCH)
    problems = []
    try:
        if role:
            visit.login(role)
        for path, must_show, *interact in ROLES[role]:
            if callable(path):
                path = path(world)
            problems += open_page(visit, path, must_show, *interact)
    finally:
        context.close()
    assert not problems, "\n".join(problems)
    # the conftest's own watch: CSP refusals in the console, JavaScript errors, requests outside
    assert visit.errors == [] and visit.outside == [] and visit.failed == []


def test_the_checks_catch_markup(browser, live_server, world):
    """The checks can fail: the same payloads, inserted as HTML into a page, are caught."""
    context, visit = _open(browser, live_server, DESKTOP)
    context.add_init_script(WATCH)
    try:
        visit.goto(f"/track/{world.portal.tracking_code}/")
        assert check_page(visit.page, "before", []) == []
        visit.page.evaluate(
            "(html) => { const p = document.createElement('p'); p.innerHTML = html;"
            " document.body.append(p); }",
            PLANTED["portal_description"] + PLANTED["event_title"] + PLANTED["workplace"],
        )
        visit.page.wait_for_timeout(300)  # the broken image's error event, refused by the CSP
        problems = "\n".join(check_page(visit.page, "after", []))
    finally:
        context.close()
    assert "markup img src=x" in problems
    assert "markup IMG onerror=" in problems
    assert "markup A href=javascript:" in problems
    assert "XSS18 shows" in problems and "XSS11 shows" in problems
    assert "CSP refused" in problems
