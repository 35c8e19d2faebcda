"""On a phone: a shop owner registers their camera (a wrong device code is named in Chinese, then
put right), and the station chief reads the month's roster timeline with its coverage check. The
pages fit the phone's width (tables scroll inside their box) and run no inline script."""

import pytest

from fengqiao.duty import actions as duty
from fengqiao.video.models import Camera
from tests.duty.conftest import MONTH, small_unit  # noqa: F401 - the roster tests' small unit, as a fixture here

pytestmark = pytest.mark.browser


def test_an_owner_registers_a_camera_and_the_chief_reads_the_roster_on_a_phone(phone, personas, small_unit):  # noqa: F811
    # an owner, no account, on a phone
    page = phone.page
    phone.goto("/report/camera/")
    assert phone.html_lang() == "zh-hans" and phone.no_horizontal_scroll()
    page.fill("#id_device_code", "64030200001115000077")  # 111: a DVR, not a camera
    page.fill("#id_name", "金积超市门口")
    page.select_option("#id_kind", "shop")
    page.fill("#id_lon", "106.105")
    page.fill("#id_lat", "37.905")
    page.fill("#id_owner_name", "马老板")
    page.fill("#id_owner_phone", "13912345678")
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").click()
    assert "第11–13位" in page.locator("#field-device_code .error").inner_text()
    page.fill("#id_device_code", "64030200001325000077")
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").click()
    assert "64030200001325000077" in page.locator("main").inner_text()
    camera = Camera.objects.unscoped(reason="test: what the owner registered").get(
        device_code="64030200001325000077"
    )
    assert camera.status == "pending" and camera.grid == small_unit.grid_a

    # the station chief, on a phone, reads February's roster
    roster = duty.create_roster(actor=personas.station, unit=small_unit.station, month=MONTH)
    duty.propose_roster(roster, actor=personas.station, seconds=10, first_only=True)
    phone.login("station", purpose=None)
    phone.goto(f"/duty/rosters/{roster.pk}/")
    assert page.locator("#all-met").is_visible()
    assert page.locator("table.timeline").count() >= 2  # a coverage timeline per rule, and who works when
    assert phone.no_horizontal_scroll()
