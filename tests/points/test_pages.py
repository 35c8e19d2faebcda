"""The points pages: the counter redeems once per drawn form and says why it refuses; a volunteer
reads their own balance and what earned each point and who verified it, and nobody else's."""

import re

import pytest

from fengqiao.points import actions
from fengqiao.points.models import Transaction
from tests.points.conftest import balance

pytestmark = pytest.mark.django_db


def form_key(page) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page.content.decode()).group(1)


def test_the_counter_redeems_once_per_form_and_refuses_with_the_reason(client, world):
    actions.award_points(world.member_a, actor=world.clerk, points=40, reason="参加反诈讲座")
    account = actions.member_account(world.station, world.member_a)
    client.force_login(world.clerk)
    # given the counter page, which lists the item with its stock and the volunteer with their points
    page = client.get("/points/counter/")
    body = page.content.decode()
    assert "洗衣液" in body and f'href="/points/members/{world.member_a.pk}/"' in body
    data = {"member": account.pk, "item": world.item.pk, "idempotency_key": form_key(page)}
    # when the same form is sent twice (a double tap)
    first = client.post("/points/counter/", data)
    second = client.post("/points/counter/", data)
    # then one redemption
    assert first.status_code == second.status_code == 302
    assert Transaction.objects.unscoped(reason="test").filter(source="redemption").count() == 1
    assert balance(world.station, world.member_a) == 10
    # and a new form past the volunteer's points is refused with the reason on the field
    refused = client.post(
        "/points/counter/", {**data, "idempotency_key": form_key(client.get("/points/counter/"))}
    )
    assert refused.status_code == 200 and "积分不足" in refused.content.decode()
    assert Transaction.objects.unscoped(reason="test").filter(source="redemption").count() == 1


def test_a_volunteer_reads_their_own_points_and_who_verified_them(client, world):
    actions.award_points(world.member_a, actor=world.clerk, points=15, reason="协助调解邻里纠纷")
    actions.award_points(world.member_b, actor=world.clerk, points=5, reason="巡逻")
    client.force_login(world.vol_a)
    page = client.get("/points/mine/").content.decode()
    assert "15" in page and "协助调解邻里纠纷" in page and world.clerk.full_name in page
    assert client.get(f"/points/members/{world.member_b.pk}/").status_code == 404
    assert client.get("/points/counter/").status_code == 403
