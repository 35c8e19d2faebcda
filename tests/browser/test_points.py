"""On a phone, the points store's whole loop: the station verifies a volunteer's finished patrol
and it becomes points; the volunteer reserves an item on their phone; the counter finds the
reservation by the volunteer's card and hands it over; the month's stock count matches the books.
The pages are in Chinese, fit the phone's width and run no inline script."""

import pytest

from fengqiao.points import actions
from fengqiao.points.choices import ReservationStatus
from fengqiao.points.models import Reservation, StockCount, Transaction
from tests.patrols.conftest import build_world
from tests.points.test_ledger import finished_patrol

pytestmark = pytest.mark.browser


def test_a_verified_patrol_becomes_points_reserved_and_picked_up_and_the_count_matches(phone, personas):
    w = build_world(personas)
    station, clerk = personas.territory.station, personas.station
    rule = actions.rule_for(station)
    rule.per_patrol_hour = 40
    rule.save()
    partner = actions.add_partner(station, actor=clerk, name="金积超市", contact="马老板")
    item = actions.add_item(station, actor=clerk, name="洗衣液", partner=partner, price=30)
    actions.deliver_stock(item, actor=clerk, quantity=3)
    patrol = finished_patrol(w)
    earned = round(patrol.hours * 40)
    assert earned >= 30
    page = phone.page
    # the station verifies the patrol: it becomes points naming who verified it
    phone.login("station", purpose=None)
    phone.goto("/points/verify/")
    assert phone.html_lang() == "zh-hans" and phone.no_horizontal_scroll()
    with page.expect_navigation():
        page.locator("#patrols-to-verify button[type=submit]").first.click()
    assert "已记分" in page.locator("main").inner_text()
    assert Transaction.objects.unscoped(reason="test").filter(source="patrol").count() == 1
    # the volunteer on their phone sees the points and reserves the item
    page.context.clear_cookies()
    phone.login("vol_a", purpose=None)
    phone.goto("/points/mine/")
    assert str(earned) in page.locator("#points-balance").inner_text()
    assert clerk.full_name in page.locator("#points-history").inner_text()
    card = page.locator("#points-card-code").inner_text()
    with page.expect_navigation():
        page.locator("#points-catalogue button[type=submit]").first.click()
    reservation = Reservation.objects.unscoped(reason="test").get()
    assert reservation.code in page.locator("#points-reservations").inner_text()
    assert str(earned - 30) in page.locator("#points-balance").inner_text()
    assert phone.no_horizontal_scroll()
    # they choose to appear on the ranking board, where their line is marked and their name masked
    with page.expect_navigation():
        page.locator("#ranking-join").click()
    assert page.locator("#ranking-leave").count() == 1
    phone.goto("/points/ranking/")
    own = page.locator("tr.own")
    assert "王**" in own.inner_text() and "本人" in own.inner_text()
    assert "王兰花" not in page.locator("main").inner_text() and phone.no_horizontal_scroll()
    # the counter types the card's code and hands the reservation over
    page.context.clear_cookies()
    phone.login("station", purpose=None)
    phone.goto("/points/counter/")
    page.fill("#id_card", card)
    with page.expect_navigation():
        page.locator("#card-form button[type=submit]").click()
    assert reservation.code in page.locator("#card-reservations").inner_text()
    with page.expect_navigation():
        page.locator("#card-reservations button[type=submit]").click()
    assert "已发放" in page.locator("main").inner_text()
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.PICKED_UP
    # the month's count: two on the shelf, as the books say
    phone.goto(f"/points/items/{item.pk}/")
    assert "2" in page.locator("#item-stock").inner_text()
    page.fill("#id_count-on_shelf", "2")
    with page.expect_navigation():
        page.locator("#count-form button[type=submit]").click()
    assert "账物相符" in page.locator("#stock-counts").inner_text()
    count = StockCount.objects.unscoped(reason="test").get()
    assert (count.on_books, count.on_shelf, count.adjustment) == (2, 2, None)
    assert phone.no_horizontal_scroll()
    # the month's report: the patrol's points issued, the item's 30 redeemed, the shelf from 3 to 2
    phone.goto("/points/report/")
    total = page.locator(f"#report-total-{station.pk} td").all_inner_texts()
    assert total == [str(earned), "30", "0", "0", str(earned - 30)]
    stock = page.locator(f"#report-station-{station.pk} tr[data-item='{item.pk}'] td").all_inner_texts()
    assert stock[1:] == ["0", "3", "1", "0", "0", "2"]
    assert phone.no_horizontal_scroll()
