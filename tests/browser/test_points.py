"""On a phone: the station redeems an item at the counter for a volunteer with its points and
stock moved, and the volunteer reads their balance and who verified each point. The
pages fit the phone's width and run no inline script."""

import pytest

from fengqiao.points import actions
from fengqiao.points.models import Transaction
from tests.patrols.conftest import build_world

pytestmark = pytest.mark.browser


def test_the_counter_redeems_and_the_volunteer_reads_their_points_on_a_phone(phone, personas):
    w = build_world(personas)
    station, clerk = personas.territory.station, personas.station
    actions.award_points(w.member_a, actor=clerk, points=80, reason="参加反诈讲座")
    item = actions.add_item(station, actor=clerk, name="洗衣液", partner="金积超市", price=30)
    actions.deliver_stock(item, actor=clerk, quantity=3)
    account = actions.member_account(station, w.member_a)
    page = phone.page
    # the station at the counter
    phone.login("station", purpose=None)
    phone.goto("/points/counter/")
    assert phone.html_lang() == "zh-hans" and phone.no_horizontal_scroll()
    page.select_option("#id_member", str(account.pk))
    page.select_option("#id_item", str(item.pk))
    with page.expect_navigation():
        page.locator("#counter-form button[type=submit]").click()
    assert "已兑换" in page.locator("main").inner_text()
    assert Transaction.objects.unscoped(reason="test").filter(source="redemption").count() == 1
    assert "2" in page.locator("#points-catalogue").inner_text()  # 3 delivered, 1 handed out
    # the volunteer on their phone
    phone.page.context.clear_cookies()
    phone.login("vol_a", purpose=None)
    phone.goto("/points/mine/")
    assert "50" in page.locator("#points-balance").inner_text()
    history = page.locator("#points-history").inner_text()
    assert "参加反诈讲座" in history and clerk.full_name in history and "-30" in history
    assert phone.no_horizontal_scroll()
