"""User text reaches maps as text: a grid named like an attack is shown as typed, and runs nothing."""

import pytest

from tests.browser.conftest import DESKTOP, PHONE, _open

pytestmark = pytest.mark.browser

PAYLOADS = [
    '金丰一<img src=x onerror="window.__pwned=1">',
    "金丰二<script>window.__pwned=1</script>",
    '<a href="javascript:window.__pwned=1">金丰三</a>',
]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_grid_name_is_text_on_every_map(browser, live_server, personas, payload, viewport):
    grid = personas.territory.grid_a
    grid.name = payload
    grid.save()
    context, visit = _open(browser, live_server, viewport)
    try:
        visit.login("station")
        for path in ("/", f"/grids/{grid.code}/"):
            visit.goto(path)
            page = visit.page
            page.wait_for_selector(".leaflet-interactive")
            # when the user hovers each grid outline, its tooltip opens
            for outline in page.locator("path.leaflet-interactive").all():
                outline.hover(force=True)
                tooltip = page.locator(".leaflet-tooltip")
                if tooltip.count() and payload in tooltip.first.text_content():
                    break
            else:
                pytest.fail(f"no tooltip showed the grid's name on {path}")
            # then it reads as typed, and nothing of it ran or became markup
            assert page.evaluate("window.__pwned") is None
            assert (
                page.locator(".leaflet-tooltip img, .leaflet-tooltip script, .leaflet-tooltip a").count() == 0
            )
    finally:
        context.close()
    assert visit.errors == [] and visit.outside == []


PAGES = [
    "/",
    "/grids/",
    "/inbox/",
    "/events/",
    "/events/map/",
    "/events/board/",
    "/events/new/",
    "/events/indicators/",
    "/registry/",
    "/registry/statistics/",
    "/disputes/",
    "/disputes/new/",
    "/disputes/statistics/",
    "/staff/",
    "/notifications/",
]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page_runs_under_the_content_security_policy(browser, live_server, personas, viewport):
    # given the station chief, who reaches every staff page
    context, visit = _open(browser, live_server, viewport)
    try:
        visit.login("station")
        for path in PAGES:
            response = visit.goto(path)
            assert response.status == 200, path
            assert "script-src 'self'" in response.headers["content-security-policy"]
            visit.page.wait_for_load_state("networkidle")
    finally:
        context.close()
    # then nothing was refused (an inline script, a style, a foreign source) and nothing failed
    assert visit.errors == [] and visit.outside == [] and visit.failed == []
