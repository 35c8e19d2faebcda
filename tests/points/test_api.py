"""The points API: redemptions at the counter (idempotent, refused with a reason, nothing written),
a volunteer's balance and history with who verified each entry, and the scoping matrix: staff read
the accounts of the stations in their area, others get 404."""

import uuid

import pytest

from fengqiao.core.models import AuditEntry
from fengqiao.points import actions
from fengqiao.points.models import Transaction
from tests.fixtures.matrix import ScopedRoutes, ScopingMatrix, visible_places
from tests.patrols.conftest import build_world


@pytest.fixture
def points_places(personas):
    """Each of teams A, B (station 金积) and C (station 小坝) has a volunteer with 100 points, and
    each station an item of 30 points with stock."""
    t, city = personas.territory, personas.city
    w = build_world(personas)
    from fengqiao.patrols import actions as patrols
    from tests.fixtures.registry import valid_id_number

    member_c = patrols.add_member(w.teams["C"], actor=city, name="丙", id_number=valid_id_number())
    t.members = {"A": w.member_a, "B": w.member_b, "C": member_c}
    t.accounts = {}
    for place, member in t.members.items():
        actions.award_points(member, actor=city, points=100, reason="矩阵测试")
        t.accounts[place] = actions.member_account(actions.station_of(member.team.scope_path), member)
    t.items = {}
    for station in (t.station, t.station2):
        item = actions.add_item(station, actor=city, name="矩阵商品", price=30)
        actions.deliver_stock(item, actor=city, quantity=10)
        t.items[station.pk] = item
    return t


def _redemption(t, place):
    member = t.members[place]
    station = actions.station_of(member.team.scope_path)
    return {"member": member.pk, "item": t.items[station.pk].pk, "idempotency_key": f"matrix-{place}"}


BALANCES = ScopedRoutes(
    name="points balances API",
    model=type(None),
    door="api",
    objects=lambda t: t.accounts,
    key=lambda account: f'"member": {account.member_id},',
    list_url="/api/v1/points/balances",
    detail_url=lambda account: f"/api/v1/points/balances/{account.member_id}",
    create_url="/api/v1/points/redemptions",
    create_payload=_redemption,
    created=lambda t, place: Transaction.objects.unscoped(reason="test").filter(
        idempotency_key=f"matrix-{place}"
    ),
    may_change=lambda user: user.is_superuser or user.role in ("station", "city_command", "county_bureau"),
)


def _counter_form(t, place):
    data = _redemption(t, place)
    return {**data, "member": t.accounts[place].pk}


PAGES = ScopedRoutes(
    name="points pages",
    model=type(None),
    door="web",
    objects=lambda t: t.accounts,
    key=lambda account: f'href="/points/members/{account.member_id}/"',
    list_url="/points/counter/",
    detail_url=lambda account: f"/points/members/{account.member_id}/",
    create_url="/points/counter/",
    create_payload=_counter_form,
    created=BALANCES.created,
    may_change=BALANCES.may_change,
)


def _items(t):
    return {"A": t.items[t.station.pk], "C": t.items[t.station2.pk]}


STORE = ScopedRoutes(
    name="points store pages",
    model=type(None),
    door="web",
    objects=_items,
    key=lambda item: f'href="/points/items/{item.pk}/"',
    list_url="/points/store/",
    detail_url=lambda item: f"/points/items/{item.pk}/",
)


@pytest.mark.usefixtures("points_places")
class TestPointsRoutes(ScopingMatrix):
    ROUTES = [BALANCES, PAGES, STORE]

    def visible_places(self, persona):
        # A station's ledger lives at the station: read by its staff and those above, not by the
        # grid workers and officers posted inside it.
        return visible_places(persona) if persona in ("station", "city") else set()


@pytest.fixture
def api(client, personas):
    from fengqiao.accounts.actions import issue_api_token

    def as_user(user):
        _, raw = issue_api_token(user, actor=user)
        return {"Authorization": f"Bearer {raw}"}

    return as_user


def post(client, headers, data):
    return client.post("/api/v1/points/redemptions", data, content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_a_retried_redemption_redeems_once_and_a_refusal_says_why(client, personas, points_places, api):
    t, headers = points_places, api(personas.station)
    body = {
        "member": t.members["A"].pk,
        "item": t.items[t.station.pk].pk,
        "idempotency_key": uuid.uuid4().hex,
    }
    first = post(client, headers, body)
    again = post(client, headers, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and again.json()["balance"] == 70
    # two more leave 10 points: a fourth is refused, naming the field, with nothing written
    for key in ("second", "third"):
        assert post(client, headers, {**body, "idempotency_key": key}).status_code == 201
    refused = post(client, headers, {**body, "idempotency_key": "fourth"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "member"
    assert not Transaction.objects.unscoped(reason="test").filter(idempotency_key="fourth").exists()
    # the history says what moved each point and who verified it, and the read is audited
    history = client.get(f"/api/v1/points/balances/{t.members['A'].pk}", headers=headers).json()
    assert history["balance"] == 10
    assert [e["amount"] for e in history["entries"]] == [-30, -30, -30, 100]
    assert history["entries"][-1]["reason"] == "矩阵测试"
    assert history["entries"][-1]["verified_by"] == personas.city.full_name
    assert AuditEntry.objects.filter(action="points_read", actor=personas.station).exists()


@pytest.mark.django_db
def test_a_volunteer_reads_only_their_own_balance(client, personas, points_places, api):
    t = points_places
    headers = api(t.members["A"].user)
    own = client.get(f"/api/v1/points/balances/{t.members['A'].pk}", headers=headers)
    other = client.get(f"/api/v1/points/balances/{t.members['B'].pk}", headers=headers)
    assert (own.status_code, other.status_code) == (200, 404)
    # and does not redeem for themselves
    body = {"member": t.members["A"].pk, "item": t.items[t.station.pk].pk, "idempotency_key": "self"}
    assert post(client, headers, body).status_code == 403


@pytest.mark.django_db
def test_the_catalogue_and_the_ledger_through_the_api(client, personas, points_places, api):
    t = points_places
    headers = api(personas.station)
    items = client.get("/api/v1/points/catalogue", headers=headers).json()["items"]
    # the station's own item with its shelf; the other station's is not there
    assert [(i["id"], i["stock"], i["reserved"]) for i in items] == [(t.items[t.station.pk].pk, 10, 0)]
    ledger = client.get("/api/v1/points/entries", headers=headers).json()["items"]
    awards = [e for e in ledger if e["source"] == "manual"]
    assert {e["member"] for e in awards} == {t.members["A"].pk, t.members["B"].pk}
    assert all(sum(leg["amount"] for leg in e["entries"]) == 0 for e in ledger)
    assert awards[0]["verified_by"] == personas.city.full_name
    # a volunteer reads no station's books
    own = api(t.members["A"].user)
    assert client.get("/api/v1/points/entries", headers=own).json()["items"] == []
    assert client.get("/api/v1/points/catalogue", headers=own).json()["items"] == []
