"""The registry's pages in a real Chromium: a grid worker records a person on a phone, an officer
reveals the ID number with a reason."""

import pytest

from fengqiao.core.models import AuditEntry
from fengqiao.registry.models import Person
from tests.fixtures import registry as registry_fixtures

# The registry's small world (an address, a house and a person in each of grids A, B and C).
world = registry_fixtures.registry_world

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp"
NUMBER = "11010519491231002X"


def people():
    return Person.objects.unscoped(reason="test: what the pages wrote")


def test_a_grid_worker_records_a_person_on_a_phone_and_an_officer_reveals_the_number(phone, visit, world):
    address = world.address_a
    # given grid worker A on a 375-pixel-wide phone
    phone.login("grid_a")
    page = phone.page
    # when they open the registry from the menu (behind its button on a phone) and choose to record a person
    page.locator("button.menu-button").click()
    with page.expect_navigation():
        page.locator("nav.nav a[href='/registry/']").click()
    assert phone.no_horizontal_scroll()
    with page.expect_navigation():
        page.locator(".hub-links a[href='/registry/people/new/']").click()
    assert phone.no_horizontal_scroll()
    # the ID field brings up a numeric keypad, with an X key beside it; dates are date pickers
    id_field = page.locator("#id_id_number")
    assert id_field.get_attribute("inputmode") == "numeric"
    assert page.locator("#id_birth_date").get_attribute("type") == "date"
    # and the inputs are big enough for a thumb
    assert id_field.bounding_box()["height"] >= 44
    # they type the number without its last character and tap "X"
    id_field.fill(NUMBER[:-1])
    page.locator("#field-id_number button.key").click()
    assert id_field.input_value() == NUMBER
    # the floating-population questions show only for a floating resident
    floating = page.locator("fieldset[data-when=floating]")
    assert floating.is_hidden()
    page.locator("#id_resident_type").select_option("floating")
    assert floating.is_visible() and page.locator("fieldset[data-when=overseas]").is_hidden()
    page.locator("#id_resident_type").select_option("registered")
    assert floating.is_hidden()
    page.locator("#id_name").fill("单田芳")
    page.locator("#id_phone").fill("139 1234 5678")
    # they find the address by typing part of it, and pick it from the suggestions
    page.locator("#id_current_address").press_sequentially("滨河路")
    suggestion = page.locator("#id_current_address-places li[role=option]").first
    suggestion.wait_for()
    assert address.full_text in suggestion.inner_text()
    suggestion.click()
    assert page.locator("#id_current_address").input_value() == address.full_text  # its text shows
    assert page.locator("input[name=current_address]").input_value() == address.code  # its code is sent
    # (Chromium scrolls a focused input back into view after the full-page screenshot resizes the
    # page, under the tap that follows: the field is left first.)
    page.locator("#id_current_address").blur()
    page.screenshot(path=f"{SCREENSHOTS}/fengqiao-phone-person-form.png", full_page=True)
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    # then the person is recorded in their grid, and the page shows the number masked
    person = people().get(id_number=NUMBER)
    assert person.grid == world.personas.territory.grid_a and person.current_address == address
    assert page.url == phone.url(f"/registry/people/{person.pk}/")
    assert page.locator("[data-masked=id_number]").inner_text() == "1101************2X"
    assert page.locator("[data-masked=phone]").inner_text() == "139****5678"
    assert NUMBER not in page.content()
    # with no way for a grid worker to reveal it
    assert page.locator("#reveal-id_number a").count() == 0
    assert phone.no_horizontal_scroll()
    page.screenshot(path=f"{SCREENSHOTS}/fengqiao-phone-person-page.png", full_page=True)

    # when the community officer opens the same page on their desktop and presses "reveal"
    visit.login("officer_a")
    desk = visit.page
    visit.goto(f"/registry/people/{person.pk}/")
    assert desk.locator("[data-masked=id_number]").inner_text() == "1101************2X"
    desk.evaluate("window.__samePage = true")
    desk.locator("#reveal-id_number a.button").click()
    # then a reason is asked for, in place
    reason = desk.locator("#reveal-reason-id_number")
    reason.wait_for()
    assert AuditEntry.objects.filter(action="reveal").count() == 0
    # and when they give one, the whole number shows, on the same page
    reason.fill("核对户籍信息")
    desk.locator("#reveal-id_number button[type=submit]").click()
    revealed = desk.locator("[data-revealed=id_number]")
    revealed.wait_for()
    assert revealed.inner_text() == NUMBER
    assert desk.evaluate("window.__samePage") is True
    # the phone stays masked
    assert desk.locator("[data-masked=phone]").inner_text() == "139****5678"
    desk.screenshot(path=f"{SCREENSHOTS}/fengqiao-reveal.png", full_page=True)
    # and the audit log says who saw it, whose it was and why
    [entry] = AuditEntry.objects.filter(action="reveal")
    assert entry.actor == world.personas.officer
    assert entry.object_id == str(person.pk) and entry.reason == "核对户籍信息"


def test_registry_pages_fit_a_phone(phone, world):
    person, house = world.person_a, world.house_a
    # given grid worker A, logged in on a phone, who has not said why they open the registry
    phone.login("grid_a", purpose=None)
    # when they open it, they are asked first, and then taken where they were going
    phone.goto("/registry/people/")
    assert "/registry/purpose/" in phone.page.url and phone.no_horizontal_scroll()
    phone.choose_purpose("collection")
    assert phone.page.url == phone.url("/registry/people/")
    assert "信息采集" in phone.page.locator("nav.subnav a.purpose").inner_text()
    # when they go through the registry's pages
    for path in (
        "/registry/purpose/",
        "/registry/",
        "/registry/?q=zs",
        "/registry/people/",
        "/registry/addresses/",
        "/registry/houses/",
        "/registry/organisations/",
        f"/registry/people/{person.pk}/",
        f"/registry/people/{person.pk}/edit/",
        f"/registry/houses/{house.pk}/",
        f"/registry/addresses/{world.address_a.pk}/",
        "/registry/addresses/new/",
        "/registry/houses/new/",
        "/registry/organisations/new/",
        "/registry/duties/",
        "/registry/statistics/",
    ):
        response = phone.goto(path)
        # then each opens and none scrolls sideways
        assert response.status == 200, path
        assert phone.no_horizontal_scroll(), path
    phone.goto("/registry/people/")
    phone.page.screenshot(path=f"{SCREENSHOTS}/fengqiao-phone-people.png", full_page=True)


def test_the_collection_statistics_draw_a_bar_chart(visit, world):
    # given people collected in grids A and B this month
    visit.login("station")
    # when the station chief opens the collection statistics
    visit.goto("/registry/statistics/")
    page = visit.page
    page.wait_for_selector("#collection-chart[data-state=ready]")
    # then ECharts, served by the application, drew this year's bars and last year's beside them
    assert page.evaluate("typeof window.echarts === 'object' && echarts.version") == "6.1.0"
    assert page.locator("#collection-chart").get_attribute("data-series") == "6"
    assert page.locator("#collection-chart svg path").count() > 0
    assert page.locator("#totals tbody tr").count() == 12
    page.screenshot(path=f"{SCREENSHOTS}/fengqiao-statistics.png", full_page=True)
