"""The store's pages: a volunteer reserves on their phone and the counter hands it over by their
card; the station adds partners and items, records deliveries, write-offs and the monthly count;
the ledger lists each movement with who verified it."""

import re

import pytest

from fengqiao.points import actions
from fengqiao.points.choices import AccountKind, ReservationStatus
from fengqiao.points.models import Reservation, StockCount
from tests.points.conftest import balance

pytestmark = pytest.mark.django_db


def shelf(item) -> int:
    account = actions.item_account(item, AccountKind.STOCK)
    account.refresh_from_db()
    return account.balance


def test_a_volunteer_reserves_and_the_counter_hands_it_over_by_the_card(client, world):
    actions.award_points(world.member_a, actor=world.clerk, points=45, reason="巡逻")
    client.force_login(world.vol_a)
    # given the volunteer's page: their card and the catalogue they can afford
    page = client.get("/points/mine/").content.decode()
    card = re.search(r'id="points-card-code">(\w+)<', page).group(1)
    assert "<svg" in page and f'name="item" value="{world.item.pk}"' in page
    # when they reserve the item
    assert client.post("/points/reserve/", {"item": world.item.pk}).status_code == 302
    reservation = Reservation.objects.unscoped(reason="test").get()
    assert balance(world.station, world.member_a) == 15 and shelf(world.item) == 4
    assert reservation.code in client.get("/points/mine/").content.decode()
    # and another volunteer's item or the counter's hand-over are not theirs
    assert client.post(f"/points/reservations/{reservation.pk}/pick-up/").status_code == 403
    # then the counter finds it by the card scanned (FQPT:<code>) and hands it over
    client.force_login(world.clerk)
    found = client.get("/points/counter/", {"card": f"FQPT:{card}"}).content.decode()
    assert reservation.code in found and "王兰花" in found
    assert client.post(f"/points/reservations/{reservation.pk}/pick-up/").status_code == 302
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.PICKED_UP
    # an unknown card says so on its field
    assert "没有这张卡" in client.get("/points/counter/", {"card": "NOSUCHCARD"}).content.decode()


def test_the_station_keeps_partners_items_stock_and_the_count(client, world):
    client.force_login(world.clerk)
    added = client.post(
        "/points/store/",
        {
            "form": "partner",
            "partner-station": world.station.pk,
            "partner-name": "回乡面馆",
            "partner-phone": "0953-1234",
        },
    )
    assert added.status_code == 302
    store = client.get("/points/store/").content.decode()
    assert "回乡面馆" in store and f'href="/points/items/{world.item.pk}/"' in store
    url = f"/points/items/{world.item.pk}/"
    # a write-off without its reason is refused on the field; with it, the shelf goes down
    refused = client.post(url, {"form": "move", "move-kind": "write_off", "move-quantity": 1})
    assert refused.status_code == 200 and "has-error" in refused.content.decode()
    client.post(url, {"form": "move", "move-kind": "write_off", "move-quantity": 1, "move-reason": "过期"})
    assert shelf(world.item) == 4
    # the count: a difference without a reason is refused; with one, recorded and the books follow
    short = client.post(url, {"form": "count", "count-on_shelf": 3})
    assert short.status_code == 200 and "请说明原因" in short.content.decode()
    client.post(url, {"form": "count", "count-on_shelf": 3, "count-reason": "破损未登记"})
    count = StockCount.objects.unscoped(reason="test").get()
    assert (count.on_books, count.on_shelf, shelf(world.item)) == (4, 3, 3)
    ledger = client.get("/points/ledger/").content.decode()
    assert "破损未登记" in ledger and "过期" in ledger
