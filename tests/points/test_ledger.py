"""The points ledger: verified-only crediting, once per patrol, the monthly cap, reversals,
redemption at the counter with stock, idempotent retries, and the check command."""

import datetime as dt
import io
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from fengqiao.core.models import AuditEntry
from fengqiao.core.roles import Role
from fengqiao.patrols import actions as patrols
from fengqiao.points import actions
from fengqiao.points.choices import AccountKind
from fengqiao.points.models import Account, Entry, Transaction
from tests.conftest import make_user
from tests.points.conftest import balance

pytestmark = pytest.mark.django_db


def finished_patrol(world, *, scan=("gate", "school")):
    """Volunteer A's patrol on team A's plan, ended, with the named checkpoints scanned."""
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(now - dt.timedelta(hours=2), midnight + dt.timedelta(minutes=1))
    patrol = patrols.start_patrol(actor=world.vol_a, id=uuid.uuid4(), started_at=start, plan=world.plan)
    for n, name in enumerate(scan, start=1):
        checkpoint = getattr(world, name)
        at = start + dt.timedelta(seconds=10 * n)
        patrols.record_scan(patrol, actor=world.vol_a, id=uuid.uuid4(), code=checkpoint.code, at=at)
    patrols.end_patrol(patrol, actor=world.vol_a, ended_at=min(start + dt.timedelta(hours=1), now))
    patrol.refresh_from_db()
    return patrol


def test_a_verified_patrol_is_credited_once_naming_its_verifier(world):
    # given a finished patrol with every checkpoint of its plan scanned
    patrol = finished_patrol(world)
    expected = round(patrol.hours * world.rule.per_patrol_hour)
    # when the station verifies it
    txn = actions.credit_patrol(patrol, actor=world.clerk)
    # then the volunteer holds its points, the station's issuing account the opposite, and the
    # transaction names the patrol and who verified it
    assert expected > 0
    assert balance(world.station, world.member_a) == expected
    assert actions.issuing_account(world.station).balance == -expected
    assert txn.verified_by == world.clerk and txn.source_key == f"patrol:{patrol.pk}"
    assert AuditEntry.objects.filter(action="points_credit", object_id=str(txn.pk)).exists()
    # and crediting it again is refused, with nothing more written
    with pytest.raises(ValidationError, match="already been credited"):
        actions.credit_patrol(patrol, actor=world.clerk)
    assert balance(world.station, world.member_a) == expected


def test_unverified_work_earns_nothing(world, personas):
    # a patrol that missed a checkpoint of its plan
    patrol = finished_patrol(world, scan=("gate",))
    with pytest.raises(ValidationError, match="50% of the plan's checkpoints"):
        actions.credit_patrol(patrol, actor=world.clerk)
    # nobody verifies their own patrol; staff of another station cannot verify this one
    whole = finished_patrol(world)
    whole.patroller = world.clerk
    with pytest.raises(PermissionDenied):
        actions.credit_patrol(whole, actor=world.clerk)
    other = make_user("station2", Role.STATION, unit=personas.territory.station2)
    with pytest.raises(PermissionDenied):
        actions.credit_patrol(finished_patrol(world), actor=other)
    assert not Transaction.objects.unscoped(reason="test").filter(source="patrol").exists()


def test_the_monthly_cap_cuts_then_refuses(world):
    world.rule.monthly_cap = 100
    world.rule.save()
    actions.award_points(world.member_a, actor=world.clerk, points=80, reason="参加防诈骗讲座")
    cut = actions.award_points(world.member_a, actor=world.clerk, points=50, reason="协助寻人")
    assert cut.entries.get(account__kind=AccountKind.VOLUNTEER).amount == 20
    with pytest.raises(ValidationError, match="cap of 100"):
        actions.award_points(world.member_a, actor=world.clerk, points=1, reason="再奖")
    assert balance(world.station, world.member_a) == 100


def test_a_reversal_is_a_new_transaction_with_its_reason(world):
    award = actions.award_points(world.member_a, actor=world.clerk, points=40, reason="协助调解")
    reversal = actions.reverse_transaction(award, actor=world.clerk, reason="重复登记")
    assert balance(world.station, world.member_a) == 0
    assert reversal.reverses == award and reversal.reason == "重复登记"
    assert Entry.objects.filter(transaction=award).count() == 2  # the original is untouched
    with pytest.raises(ValidationError, match="already been reversed"):
        actions.reverse_transaction(award, actor=world.clerk, reason="again")
    with pytest.raises(ValidationError, match="reason"):
        actions.reverse_transaction(reversal, actor=world.clerk, reason=" ")
    with pytest.raises(PermissionError):
        Transaction.objects.unscoped(reason="test").filter(pk=award.pk).update(reason="edited")
    with pytest.raises(PermissionError):
        Entry.objects.filter(transaction=award).delete()


def test_redemption_moves_points_and_stock_and_a_retry_redeems_once(world):
    actions.award_points(world.member_a, actor=world.clerk, points=70, reason="巡逻")
    # when the counter redeems, and the request is sent again with its key
    first, created = actions.redeem(world.item, world.member_a, actor=world.clerk, idempotency_key="k-1")
    again, created_again = actions.redeem(
        world.item, world.member_a, actor=world.clerk, idempotency_key="k-1"
    )
    # then one redemption: 30 points and one piece moved
    assert created and not created_again and again.pk == first.pk
    assert balance(world.station, world.member_a) == 40
    stock = Account.objects.unscoped(reason="test").get(kind=AccountKind.STOCK, item=world.item)
    assert stock.balance == 4
    # a second item leaves 10 points: the third is refused with nothing written
    actions.redeem(world.item, world.member_a, actor=world.clerk, idempotency_key="k-2")
    with pytest.raises(actions.Refused, match="Not enough points"):
        actions.redeem(world.item, world.member_a, actor=world.clerk, idempotency_key="k-3")
    assert not Transaction.objects.unscoped(reason="test").filter(idempotency_key="k-3").exists()
    assert balance(world.station, world.member_a) == 10
    # the key of a redemption cannot be reused for another volunteer
    with pytest.raises(ValidationError, match="another redemption"):
        actions.redeem(world.item, world.member_b, actor=world.clerk, idempotency_key="k-1")


def test_an_empty_shelf_refuses(world):
    actions.award_points(world.member_a, actor=world.clerk, points=300, reason="年度表彰")
    for n in range(5):
        actions.redeem(world.item, world.member_a, actor=world.clerk, idempotency_key=f"s-{n}")
    with pytest.raises(actions.Refused, match="out of stock"):
        actions.redeem(world.item, world.member_a, actor=world.clerk, idempotency_key="s-5")
    assert balance(world.station, world.member_a) == 300 - 5 * 30


def test_the_check_command_finds_a_balance_that_differs(world):
    actions.award_points(world.member_a, actor=world.clerk, points=25, reason="巡逻")
    out = io.StringIO()
    call_command("points", "check", stdout=out)
    assert "every balance matches" in out.getvalue()
    # a cached balance written behind the ledger's back is found
    account = actions.member_account(world.station, world.member_a)
    Account.objects.unscoped(reason="test: tamper").filter(pk=account.pk).update(balance=99)
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 account"):
        call_command("points", "check", stdout=out)
    assert "cached 99, entries 25" in out.getvalue()
