"""An officer standardises an imported address on a phone: from the registry's sub-menu to the
address a station wrote its own way, the standard address it means offered, one tap to merge,
and its people are then at the standard address."""

import pytest

from fengqiao.registry.choices import AddressStatus
from fengqiao.registry.models import Person
from tests.fixtures.registry import make_address, make_person

pytestmark = pytest.mark.browser


def test_an_officer_merges_a_pending_address_on_a_phone(phone, personas):
    # given an address imported as written (金积村5组7) and the standard address it means
    t = personas.territory
    standard = make_address(t.grid_a, street="五组", door_plate="7")
    pending = make_address(
        t.grid_a, street="5组", door_plate="7", status=AddressStatus.PENDING, source_text="金积村5组7"
    )
    person = make_person(pending, name="赵六")
    # when the community officer opens the addresses to standardise on a 375-pixel-wide phone
    phone.login("officer_a")
    page = phone.page
    phone.goto("/registry/")
    with page.expect_navigation():
        page.locator("nav.subnav a[href='/registry/addresses/pending/']").click()
    assert page.locator("h1").inner_text() == "待规范地址"
    assert phone.no_horizontal_scroll()
    with page.expect_navigation():
        page.get_by_role("link", name="金积村5组7").click()
    # the standard address is offered; a tap on it is big enough for a thumb
    choice = page.locator(f"#into-{standard.pk}")
    choice.wait_for()
    assert page.locator("label.choice", has=choice).bounding_box()["height"] >= 24
    assert phone.no_horizontal_scroll()
    page.screenshot(path="/tmp/fengqiao-pending-address-375.png", full_page=True)
    choice.check()
    with page.expect_navigation():
        page.locator("#merge button[type=submit]").click()
    # then the list says what moved, and the person lives at the standard address
    assert "已合并到" in page.locator(".messages, [role=status], body").first.inner_text()
    assert Person.objects.unscoped(reason="test").get(pk=person.pk).current_address_id == standard.pk
