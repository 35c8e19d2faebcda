"""Two-step log-in in a real Chromium, on a desktop and a phone, with the CSP on: a grid worker
logs in, scans (reads) the QR code's key, types the code their app would show, keeps their
recovery codes, logs out and logs in again with a fresh code."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.helpers import code_of, key_code
from tests.browser.conftest import DESKTOP, _open
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def log_in(visit, username):
    visit.goto("/login/")
    form = visit.page.locator("section.login form")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    with visit.page.expect_navigation():
        form.locator("button[type=submit]").click()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_enrol_then_log_in_again_with_a_code(browser, live_server, personas, settings, viewport):
    settings.STAFF_MFA = "required"
    context, visit = _open(browser, live_server, viewport)
    page = visit.page
    try:
        # given a grid worker's first log-in, with the password alone
        log_in(visit, "grid_a")
        # then they are on the enrolment page, with the QR code drawn from the app's own image
        assert page.url == visit.url("/account/two-factor/enrol/")
        qr = page.locator("img.qr")
        assert qr.get_attribute("src") == "/account/two-factor/qr.png"
        assert page.evaluate("document.querySelector('img.qr').naturalWidth") > 100
        box = qr.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        assert visit.no_horizontal_scroll()
        # when they type the code their app shows for the key on the page
        key = page.locator(".key").inner_text().replace(" ", "")
        page.locator("input[name=code]").fill(code_of(key))
        with page.expect_navigation():
            page.locator("section.enrol button[type=submit]").click()
        # then they see their ten recovery codes, once
        codes = page.locator("ol.recovery-codes li")
        assert codes.count() == 10
        assert "恢复码" in page.locator("h1").inner_text()
        assert visit.no_horizontal_scroll()
        # when they go on, log out and log in again
        with page.expect_navigation():
            page.locator("section.enrol a.button").click()
        assert page.url == visit.url("/")
        with page.expect_navigation():
            page.locator("form.logout button").click()
        log_in(visit, "grid_a")
        # then the second step asks for a code, and a fresh one opens the home page
        assert page.url == visit.url("/account/two-factor/verify/")
        device = TOTPDevice.objects.get(user=personas.grid_a, confirmed=True)
        page.locator("input[name=code]").fill(key_code(device))
        with page.expect_navigation():
            page.locator("section.login button[type=submit]").click()
        assert page.url == visit.url("/")
        assert page.locator(".who-name").inner_text() == "张三"
    finally:
        context.close()
    assert visit.outside == [], "pages tried to reach outside the server"
    assert visit.failed == [], "assets failed to load"
    assert visit.errors == [], "JavaScript errors or refusals of the Content-Security-Policy"
