"""The menu in Chromium, on a desk and on a phone: a grid worker's many modules fold behind a menu
button on the phone (a resident's seven too), and every link of it opens its page without a console
error or a refusal of the Content-Security-Policy."""

import pytest

from tests.browser.conftest import _open

DESK = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def tab(browser, live_server, request):
    """A tab at the viewport the test is parametrized with, that also keeps console errors."""
    context, visit = _open(browser, live_server, request.param)
    console: list[str] = []
    visit.page.on(
        "console", lambda m: console.append(f"{visit.page.url}: {m.text}") if m.type == "error" else None
    )
    visit.console = console
    visit.phone = request.param is PHONE
    yield visit
    context.close()
    assert visit.outside == [] and visit.failed == [] and visit.errors == []
    assert console == [], "console errors"


def menu_links(tab) -> list[tuple[str, bool]]:
    """(href, inside a group) of every link of the menu, in order."""
    return tab.page.eval_on_selector_all(
        "#main-nav a", "links => links.map(a => [a.getAttribute('href'), !!a.closest('details')])"
    )


def open_menu(tab) -> None:
    """What a person does to see the links: on a phone with a menu button, press it."""
    button = tab.page.locator("button.menu-button")
    if button.count() and button.is_visible():
        assert button.get_attribute("aria-expanded") == "false"
        button.click()
        assert button.get_attribute("aria-expanded") == "true"


def follow(tab, href: str, in_group: bool) -> None:
    open_menu(tab)
    if in_group:
        tab.page.locator("#main-nav details.nav-group summary").click()
    link = tab.page.locator(f"#main-nav a[href='{href}']")
    assert link.is_visible(), href
    with tab.page.expect_navigation():
        link.click()
    assert tab.page.url.split("?")[0] == tab.url(href), href
    assert "无权操作" not in tab.page.locator("main").inner_text(), href
    if tab.phone:
        assert tab.no_horizontal_scroll(), href


@pytest.mark.parametrize("tab", [DESK, PHONE], ids=["desk", "phone"], indirect=True)
def test_a_grid_worker_opens_every_module_from_the_menu(tab, personas):
    tab.login("grid_a")
    page = tab.page
    links = menu_links(tab)
    first = ["/", "/inbox/", "/events/", "/disputes/", "/directives/", "/grids/", "/registry/"]
    assert [h for h, _ in links][:7] == first
    button = page.locator("button.menu-button")
    if tab.phone:
        # many modules: on the phone they wait behind the menu button, which opens and closes them
        assert button.is_visible() and not page.locator("#main-nav").is_visible()
        button.click()
        assert page.locator("#main-nav a[href='/disputes/']").is_visible()
        button.click()
        assert not page.locator("#main-nav").is_visible()
        assert tab.no_horizontal_scroll()
    else:
        assert not button.is_visible() and page.locator("#main-nav a[href='/disputes/']").is_visible()
        # the statistics group opens on a click and closes on a click elsewhere
        page.locator("#main-nav details.nav-group summary").click()
        assert page.locator("#main-nav a[href='/events/indicators/']").is_visible()
        page.locator("main h1").click()
        assert not page.locator("#main-nav a[href='/events/indicators/']").is_visible()
    for href, in_group in links:
        follow(tab, href, in_group)
        # the page's own module is marked as the current one
        current = page.locator("#main-nav a[aria-current=page]")
        assert current.count() == 1 and current.get_attribute("href") == href


@pytest.mark.parametrize("tab", [DESK, PHONE], ids=["desk", "phone"], indirect=True)
def test_a_resident_sees_their_few_links_and_none_of_the_staffs(tab, personas):
    tab.login("resident")
    links = [h for h, _ in menu_links(tab)]
    assert links == [
        "/",
        "/report/",
        "/my-reports/",
        "/my-record/reads/",
        "/certificates/apply/",
        "/alerts/",
        "/notifications/",
    ]
    # in view at once on a desk; on a phone, past five links, behind the menu button as anyone's
    assert tab.page.locator("button.menu-button").is_visible() == tab.phone
    for href in links:
        follow(tab, href, False)
    # a staff page typed in is refused with the house's page, the resident's menu on it
    response = tab.goto("/events/")
    assert response.status == 403
    assert "无权操作" in tab.page.locator("main h1").inner_text()
    open_menu(tab)
    assert tab.page.locator("#main-nav a[href='/report/']").is_visible()
    tab.console.clear()  # the browser reports the 403 itself as an error: it is the point here
