"""On a 390×844 phone a figure table is cards whose numbers carry their labels (CSS only), and a
form's error summary takes the eye and links to its field; on a desktop the same table is a
table with its headings."""

import pytest
from django.utils import timezone

from tests.browser.conftest import _open
from tests.fixtures import registry as registry_fixtures

world = registry_fixtures.registry_world
pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}


def card_label(page, selector: str) -> tuple[str, str]:
    """The label a phone shows before a cell (its ::before content) and the cell's own text."""
    return page.eval_on_selector(
        selector,
        "td => [getComputedStyle(td, '::before').content.replace(/^\"|\"$/g, ''), td.textContent.trim()]",
    )


def test_figures_are_labelled_cards_on_a_phone_and_errors_link_to_their_fields(
    browser, live_server, visit, world
):
    context, phone = _open(browser, live_server, PHONE_390)
    try:
        page = phone.page
        phone.login("station")
        # the registry's statistics by grid: grid A's people this year, as a card
        year = timezone.localdate().year
        phone.goto(f"/registry/statistics/?period=year&start={year}-01-01&end={year}-12-31&by=grid")
        grid = world.personas.territory.grid_a.code
        cell = f'#by-jurisdiction tr[data-node="{grid}"] td[data-label="实有人口"]'

        label, number = card_label(page, cell)
        assert label == "实有人口" and number.isdigit()
        assert page.eval_on_selector("#by-jurisdiction thead", "h => getComputedStyle(h).display") == "none"
        assert page.eval_on_selector(cell, "td => getComputedStyle(td).display") == "block"
        assert phone.no_horizontal_scroll()
        # the station's own county is open, a fold of its own
        assert page.locator("details.by-county[open] summary").first.is_visible()

        # a form with errors: the summary comes first and has the focus; its link goes to the field
        phone.goto("/registry/people/new/")
        page.locator("#id_id_number").fill("110105194912310021")
        page.locator("#id_name").fill("某人")
        with page.expect_navigation():
            page.locator("form.form button[type=submit]").click()
        summary = page.locator(".error-summary")
        assert summary.is_visible()
        assert page.evaluate("document.activeElement.classList.contains('error-summary')")
        page.locator('.error-summary a[href="#id_id_number"]').click()
        assert page.url.endswith("#id_id_number")
        box = page.locator("#id_id_number").bounding_box()
        assert 0 <= box["y"] < PHONE_390["height"]
        assert page.locator("#field-id_number p.error").is_visible()
        assert phone.errors == [] and phone.failed == [] and phone.outside == []
    finally:
        context.close()

    # on a desktop the same figures are a table with its headings, no card labels
    visit.login("station")
    visit.goto("/registry/statistics/?period=year&start=2026-01-01&end=2026-12-31&by=grid")
    assert visit.page.locator("#by-jurisdiction thead th", has_text="实有人口").first.is_visible()
    label, number = card_label(visit.page, cell)
    assert label in ("none", "normal", "") and number.isdigit()
