"""Playwright on Debian's Chromium against pytest-django's live server.

Playwright's sync API runs an event loop in the test thread, which makes Django think it is in
async code; the tests only use the ORM from the test thread, so that check is switched off here.
Every request that would leave the live server is aborted and reported: the police network is
offline, so a page that needs the internet is a failing page.

The live server needs a transactional database, emptied after each test by ``flush``: see
``flushable_audit`` in tests/conftest.py.
"""

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.conftest import PASSWORD  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


@pytest.fixture(autouse=True)
def _flushable(flushable_audit):
    yield


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """A browser tab on the live server, with what went wrong on the way."""

    def __init__(self, page, base_url):
        self.page = page
        self.base_url = base_url
        self.outside: list[str] = []  # requests that tried to leave the server
        self.failed: list[str] = []  # same-server requests answered with an error (assets)
        self.errors: list[str] = []  # uncaught JavaScript errors

    def url(self, path: str) -> str:
        return self.base_url + path

    def goto(self, path: str):
        return self.page.goto(self.url(path))

    def login(self, username: str, password: str = PASSWORD, *, purpose: str | None = "visit") -> None:
        self.goto("/login/")
        form = self.page.locator("section.login form")
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill(password)
        with self.page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert self.page.url == self.url("/"), self.page.url
        if purpose:
            self.state_purpose(purpose)

    def state_purpose(self, purpose: str = "visit") -> None:
        """Staff say once a session why they open the registry (docs/adr/0009); for anyone
        without the registry the page is refused and nothing is said."""
        if self.goto("/registry/purpose/?next=/").status != 200:
            return
        self.choose_purpose(purpose)

    def choose_purpose(self, purpose: str) -> None:
        form = self.page.locator("form.card")
        form.locator(f"input[name=purpose][value={purpose}]").check()
        with self.page.expect_navigation():
            form.locator("button[type=submit]").click()

    def html_lang(self) -> str:
        return self.page.locator("html").get_attribute("lang")

    def no_horizontal_scroll(self) -> bool:
        return self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _open(browser, live_server, viewport):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    visit = Visit(page, live_server.url)

    def guard(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            visit.outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page.on("pageerror", lambda error: visit.errors.append(str(error)))
    # Whatever the Content-Security-Policy refused (an inline script, a style, a foreign source).
    page.on(
        "console",
        lambda message: (
            visit.errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            visit.failed.append(f"{response.status} {response.url}")
            if "/static/" in response.url and response.status >= 400
            else None
        ),
    )
    return context, visit


@pytest.fixture
def visit(browser, live_server):
    context, visit = _open(browser, live_server, DESKTOP)
    yield visit
    context.close()
    assert visit.outside == [], "pages tried to reach outside the server"
    assert visit.failed == [], "assets failed to load"
    assert visit.errors == [], "JavaScript errors"


@pytest.fixture
def phone(browser, live_server):
    context, visit = _open(browser, live_server, PHONE)
    yield visit
    context.close()
    assert visit.outside == [] and visit.failed == [] and visit.errors == []
