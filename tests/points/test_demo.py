"""The demo's points store: a year of the ledger for the stations with teams, balances that the
check finds right, nothing negative, counts that name their differences; generated once; cleared."""

import datetime as dt

import pytest
from django.core.management import call_command

from fengqiao.demo import points as demo
from fengqiao.points.models import Account, StockCount, Transaction
from tests.patrols.conftest import build_world

pytestmark = pytest.mark.django_db


def test_a_year_of_the_points_store(personas):
    build_world(personas)  # the patrol teams and their volunteers
    made = demo.generate(actor=personas.admin, scale=0.01, seed=3)
    assert made and made["points transactions"] > 50 and made["redemptions"] > 0
    txns = Transaction.objects.unscoped(reason="test")
    # a year of it, earned and spent, and every balance what its entries say
    first, last = (
        txns.order_by("created_at").first().created_at,
        txns.order_by("created_at").last().created_at,
    )
    assert last - first > dt.timedelta(days=300)
    assert {"patrol", "lead", "mediation", "redemption", "delivery"} <= set(
        txns.values_list("source", flat=True)
    )
    call_command("points", "check")
    accounts = Account.objects.unscoped(reason="test")
    assert not accounts.filter(kind__in=["volunteer", "stock"], balance__lt=0).exists()
    assert accounts.filter(kind="volunteer").exclude(card=None).exists()
    # some volunteers chose the ranking board, some did not
    assert {True, False} == set(accounts.filter(kind="volunteer").values_list("on_ranking", flat=True))
    # the months' counts: a difference has its reason and its adjustment
    counts = StockCount.objects.unscoped(reason="test")
    assert counts.count() >= 11 * 6
    for count in counts.exclude(on_shelf=models_f("on_books")):
        assert count.reason and count.adjustment_id
    assert demo.generate(actor=personas.admin, scale=0.01, seed=3) is None
    demo.clear()
    assert not txns.exists() and not accounts.exists()


def models_f(name):
    from django.db.models import F

    return F(name)
