"""Many redemptions at once against balances and stock that allow only some of them: exactly the
allowed ones succeed, the rest are refused, nothing goes below zero, the check finds no difference.
Threads need a database that several connections write at once: the suite's SQLite database is
in memory, one writer at a time, so this runs on PostgreSQL (SQLite's refusals are tested one by
one in test_ledger)."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from fengqiao.patrols import actions as patrols
from fengqiao.points import actions
from fengqiao.points.choices import AccountKind
from fengqiao.points.models import Account, Transaction
from tests.fixtures.registry import valid_id_number
from tests.points.conftest import balance

on_postgresql = pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="SQLite runs one writer at a time: concurrent redemptions cannot overlap there",
)

ATTEMPTS = 200
WORKERS = 16


def attempt(item, member, clerk, key) -> str:
    try:
        actions.redeem(item, member, actor=clerk, idempotency_key=key)
        return "ok"
    except actions.Refused:
        return "refused"
    finally:
        connections.close_all()


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit")
def test_concurrent_redemptions_never_overdraw_points_or_stock(world):
    # given five volunteers whose points allow 3, 5, 2, 0 and 10 redemptions of a 10-point item
    # with plenty of stock (20 in all), and a 1-point item with 7 pieces on the shelf
    world.rule.monthly_cap = 0
    world.rule.save()
    team = world.teams["A"]
    members = [world.member_a] + [
        patrols.add_member(team, actor=world.clerk, name=f"队员{n}", id_number=valid_id_number())
        for n in range(4)
    ]
    points = [30, 50, 20, 0, 100]
    for member, n in zip(members, points, strict=True):
        if n:
            actions.award_points(member, actor=world.clerk, points=n + 7, reason="测试")
    dear = actions.add_item(world.station, actor=world.clerk, name="大米", price=10)
    actions.deliver_stock(dear, actor=world.clerk, quantity=1000)
    cheap = actions.add_item(world.station, actor=world.clerk, name="毛巾", price=1)
    actions.deliver_stock(cheap, actor=world.clerk, quantity=7)
    # when 200 redemptions arrive at once: 20 per volunteer of each item
    jobs = [(item, m) for item in (dear, cheap) for m in members for _ in range(ATTEMPTS // 10)]
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(lambda job: (job, attempt(*job, world.clerk, uuid.uuid4().hex)), jobs))
    # then exactly the allowed ones went through: 7 towels (the shelf) and each volunteer's rice
    # to the last 10 points (the 7 points each holds beyond them cover any towels they got)
    ok = [job for job, outcome in results if outcome == "ok"]
    assert sum(1 for item, _m in ok if item == cheap) == 7
    for member, n in zip(members, points, strict=True):
        towels = sum(1 for item, m in ok if item == cheap and m == member)
        rice = sum(1 for item, m in ok if item == dear and m == member)
        start = n + 7 if n else 0
        assert rice == n // 10
        assert balance(world.station, member) == start - towels - 10 * rice >= 0
    stock = Account.objects.unscoped(reason="test").get(kind=AccountKind.STOCK, item=cheap)
    assert stock.balance == 0
    assert Transaction.objects.unscoped(reason="test").filter(source="redemption").count() == len(ok)
    call_command("points", "check")  # raises on any difference
