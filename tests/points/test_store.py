"""The store: reservations hold points and a piece until picked up at the counter or expired
(released by the worker's job through the ledger), partners, write-offs, and the monthly stock
count whose difference, with its reason, makes the books match the shelf."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from fengqiao.core import periodic
from fengqiao.core.models import AuditEntry
from fengqiao.points import actions
from fengqiao.points.choices import AccountKind, ReservationStatus
from fengqiao.points.models import Transaction
from tests.points.conftest import balance

pytestmark = pytest.mark.django_db


def stock(item, kind=AccountKind.STOCK) -> int:
    account = actions.item_account(item, kind)
    account.refresh_from_db()
    return account.balance


def test_a_reservation_holds_points_and_stock_until_picked_up_at_the_counter(world):
    actions.award_points(world.member_a, actor=world.clerk, points=70, reason="巡逻")
    # when the volunteer reserves the 30-point item
    reservation = actions.reserve(world.item, world.member_a, actor=world.vol_a)
    # then its points and one piece are held: neither the volunteer nor another may spend them
    assert balance(world.station, world.member_a) == 40
    assert actions.held_account(world.station).balance == 30
    assert stock(world.item) == 4 and stock(world.item, AccountKind.RESERVED) == 1
    assert reservation.status == ReservationStatus.HELD and reservation.expires_at > timezone.now()
    # when the counter hands it over
    actions.pick_up(reservation, actor=world.clerk)
    reservation.refresh_from_db()
    # then the points went to the station and the piece out; a second hand-over is refused
    assert (
        reservation.status == ReservationStatus.PICKED_UP and reservation.closing.verified_by == world.clerk
    )
    assert actions.held_account(world.station).balance == 0
    assert stock(world.item, AccountKind.RESERVED) == 0 and stock(world.item) == 4
    assert actions.issuing_account(world.station).balance == -70 + 30
    with pytest.raises(ValidationError, match="no longer waiting"):
        actions.pick_up(reservation, actor=world.clerk)
    assert AuditEntry.objects.filter(action="points_pick_up", object_id=str(reservation.pk)).exists()
    call_command("points", "check")


def test_reservations_are_refused_past_points_or_stock_and_only_by_the_volunteer(world):
    actions.award_points(world.member_a, actor=world.clerk, points=200, reason="巡逻")
    with pytest.raises(PermissionDenied):
        actions.reserve(world.item, world.member_a, actor=world.clerk)
    with pytest.raises(actions.Refused, match="fewer than 30"):
        actions.reserve(world.item, world.member_b, actor=world.vol_b)
    for _ in range(5):
        actions.reserve(world.item, world.member_a, actor=world.vol_a)
    with pytest.raises(actions.Refused, match="out of stock"):
        actions.reserve(world.item, world.member_a, actor=world.vol_a)
    assert balance(world.station, world.member_a) == 50 and stock(world.item) == 0


@override_settings(FENGQIAO_POINTS_RESERVATION_HOURS=2)
def test_the_worker_releases_expired_reservations_through_the_ledger(world):
    actions.award_points(world.member_a, actor=world.clerk, points=60, reason="巡逻")
    kept = actions.reserve(world.item, world.member_a, actor=world.vol_a)
    lapsed = actions.reserve(world.item, world.member_a, actor=world.vol_a)
    assert abs(lapsed.expires_at - lapsed.created_at - dt.timedelta(hours=2)) < dt.timedelta(seconds=5)
    # given one reservation past its time: the counter may no longer hand it over
    type(lapsed).objects.unscoped(reason="test").filter(pk=lapsed.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    lapsed.refresh_from_db()
    with pytest.raises(ValidationError, match="expired"):
        actions.pick_up(lapsed, actor=world.clerk)
    # when the worker runs its periodic jobs
    results = dict(periodic.run_due())
    # then the expired one gave its points and piece back, the other still holds
    assert results["points reservations"] == 1
    lapsed.refresh_from_db()
    kept.refresh_from_db()
    assert lapsed.status == ReservationStatus.EXPIRED and kept.status == ReservationStatus.HELD
    assert balance(world.station, world.member_a) == 30
    assert stock(world.item) == 4 and stock(world.item, AccountKind.RESERVED) == 1
    assert lapsed.closing.source == "release"
    call_command("points", "check")


def test_partners_write_offs_and_the_stock_count(world):
    # a second partner of the same name is refused
    with pytest.raises(ValidationError, match="already has a partner"):
        actions.add_partner(world.station, actor=world.clerk, name="金积超市")
    with pytest.raises(ValidationError, match="reason"):
        actions.write_off(world.item, actor=world.clerk, quantity=1, reason="")
    actions.write_off(world.item, actor=world.clerk, quantity=1, reason="包装破损")
    assert stock(world.item) == 4
    # a count that matches the books needs no reason and moves nothing
    same = actions.count_stock(world.item, actor=world.clerk, on_shelf=4)
    assert same.difference == 0 and same.adjustment is None
    # a shelf short of the books needs its reason, then the books follow the shelf
    with pytest.raises(ValidationError, match="-1: give the reason"):
        actions.count_stock(world.item, actor=world.clerk, on_shelf=3)
    short = actions.count_stock(world.item, actor=world.clerk, on_shelf=3, reason="一瓶去向不明，已报所长")
    assert short.on_books == 4 and short.difference == -1
    assert short.adjustment.reason == "一瓶去向不明，已报所长"
    assert stock(world.item) == 3
    assert Transaction.objects.unscoped(reason="test").filter(source="stock_count").count() == 1
    call_command("points", "check")


def test_points_expire_after_the_period_when_it_is_set(world, settings):
    from django.db.models import QuerySet

    old = actions.award_points(world.member_a, actor=world.clerk, points=50, reason="去年的巡逻")
    QuerySet(Transaction).filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=400))
    actions.award_points(world.member_a, actor=world.clerk, points=20, reason="本月巡逻")
    actions.redeem(world.item, world.member_a, actor=world.clerk, idempotency_key="spent-first")  # 30, oldest
    # off by default: nothing expires
    assert actions.expire_points(actor=world.clerk) == 0
    # a year: of the 40 left, the 20 earned this month stay, the rest of last year's lapse
    settings.FENGQIAO_POINTS_EXPIRY_DAYS = 365
    assert actions.expire_points(actor=world.clerk) == 20
    assert balance(world.station, world.member_a) == 20
    assert actions.expire_points(actor=world.clerk) == 0
    assert Transaction.objects.unscoped(reason="test").filter(source="expiry").count() == 1
    call_command("points", "check")
