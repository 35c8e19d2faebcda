"""The points tests' world: the patrol world (teams in grids A, B under station 金积派出所, C under
小坝派出所), the station's earning rule and a catalogue item with stock, made through the actions."""

import pytest

from fengqiao.points import actions
from tests.patrols.conftest import build_world


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(personas):
    w = build_world(personas)
    w.station = personas.territory.station
    w.clerk = personas.station
    w.rule = actions.rule_for(w.station)
    w.partner = actions.add_partner(
        w.station, actor=w.clerk, name="金积超市", contact="马老板", phone="13900000000"
    )
    w.item = actions.add_item(w.station, actor=w.clerk, name="洗衣液", partner=w.partner, price=30)
    actions.deliver_stock(w.item, actor=w.clerk, quantity=5)
    return w


def balance(station, member) -> int:
    account = actions.member_account(station, member)
    account.refresh_from_db()
    return account.balance
