"""Addresses to standardise (待规范地址): the page joins the scoping matrix (community officers and
above, within their scope; grid workers and residents see none), and an officer's merge moves the
people, house and organisations with an audit entry, or changes nothing at all."""

import pytest
from django.urls import reverse

from fengqiao.core.models import AuditEntry
from fengqiao.registry import actions
from fengqiao.registry.choices import AddressStatus
from fengqiao.registry.models import Address, House, Organisation, Person, RecordHistory
from fengqiao.registry.selectors import may_standardise_addresses
from tests.fixtures.matrix import VISIBLE, ScopedRoutes, ScopingMatrix
from tests.fixtures.registry import make_address, make_organisation, make_person

PLACES = ("A", "B", "C")


def pending_at(grid, text):
    return make_address(grid, street=text, door_plate="", status=AddressStatus.PENDING, source_text=text)


@pytest.fixture(autouse=True)
def pending_places(personas):
    t = personas.territory
    t.pending = {
        place: pending_at(grid, f"待规范{place}组")
        for place, grid in zip(PLACES, (t.grid_a, t.grid_b, t.grid_c), strict=True)
    }
    return t.pending


def url(name, address):
    return reverse(name, args=[address.pk])


class TestPendingAddressesMatrix(ScopingMatrix):
    ROUTES = [
        ScopedRoutes(
            name="pending-addresses",
            model=Address,
            door="web",
            objects=lambda t: t.pending,
            key=lambda a: a.source_text,
            list_url="/registry/addresses/pending/",
            detail_url=lambda a: url("registry_pending_address", a),
            edit_url=lambda a: url("registry_pending_confirm", a),
            edit_payload=lambda a: {"street": "确认路", "door_plate": "9"},
            may_change=may_standardise_addresses,
            edited=lambda a: a.status == AddressStatus.STANDARD,
        )
    ]

    def visible_places(self, persona):
        # the officer's page: grid workers and residents have none to settle
        return VISIBLE[persona] if persona in ("officer", "station", "city") else set()


class TestPendingAddressesApiMatrix(TestPendingAddressesMatrix):
    ROUTES = [
        ScopedRoutes(
            name="api-pending-addresses",
            model=Address,
            door="api",
            objects=lambda t: t.pending,
            key=lambda a: a.code,
            list_url="/api/v1/registry/pending-addresses",
            detail_url=lambda a: f"/api/v1/registry/pending-addresses/{a.pk}",
        )
    ]


def all_of(model):
    return model.objects.unscoped(reason="test")


def test_an_officer_merges_a_pending_address_and_everything_there_moves(personas, client):
    # given a pending address with two people, a house and a shop, and the standard address it means
    t = personas.territory
    standard = make_address(t.grid_a, street="五组", door_plate="7")
    pending = pending_at(t.grid_a, "金积村5组7")
    people = [make_person(pending, name="赵六"), make_person(pending, name="钱七")]
    house = House.objects.create(address=pending, grid=t.grid_a)
    shop = make_organisation(pending, name="五组商店")
    client.force_login(personas.officer)

    # when the officer opens it: the standard address is offered
    page = client.get(url("registry_pending_address", pending))
    assert page.status_code == 200
    assert standard.full_text in page.content.decode()
    # and merges it
    response = client.post(url("registry_pending_merge", pending), {"into": standard.pk})

    # then
    assert response.status_code == 302
    assert {p.current_address_id for p in all_of(Person).filter(pk__in=[p.pk for p in people])} == {
        standard.pk
    }
    assert all_of(House).get(pk=house.pk).address_id == standard.pk
    assert all_of(Organisation).get(pk=shop.pk).address_id == standard.pk
    pending.refresh_from_db()
    assert pending.retired_at is not None and not pending.in_use
    entry = AuditEntry.objects.filter(action=actions.ADDRESS_MERGE.name).get()
    assert entry.after["into"] == standard.pk and entry.after["people"] == 2 and entry.after["houses"] == 1
    moved = RecordHistory.objects.get(record_id=people[0].pk, record_model="person")
    assert moved.after["current_address_id"] == standard.pk and standard.code in moved.reason
    listing = client.get("/registry/addresses/pending/").content.decode()
    assert "2 people, 1 houses and 1 organisations moved" in listing or "2 人" in listing
    assert url("registry_pending_address", pending) not in listing


def test_a_merge_that_cannot_be_done_changes_nothing(personas, client):
    # given a pending address with a house, and a standard address that has a house already
    t = personas.territory
    standard = make_address(t.grid_a, street="六组", door_plate="1")
    House.objects.create(address=standard, grid=t.grid_a)
    pending = pending_at(t.grid_a, "金积村六组1号")
    person = make_person(pending, name="孙八")
    House.objects.create(address=pending, grid=t.grid_a)
    client.force_login(personas.officer)

    # when
    response = client.post(url("registry_pending_merge", pending), {"into": standard.pk})

    # then the page says why, and nothing moved
    assert response.status_code == 422
    assert "has a house already" in response.content.decode() or "已有房屋" in response.content.decode()
    assert all_of(Person).get(pk=person.pk).current_address_id == pending.pk
    assert all_of(Address).get(pk=pending.pk).retired_at is None
    assert not AuditEntry.objects.filter(action=actions.ADDRESS_MERGE.name).exists()


def test_out_of_scope_targets_and_grid_workers_are_refused(personas, client):
    t = personas.territory
    elsewhere = make_address(t.grid_b, street="关渠路", door_plate="1")  # district d02, not the officer's
    pending = t.pending["A"]
    client.force_login(personas.officer)
    response = client.post(url("registry_pending_merge", pending), {"into": elsewhere.pk})
    assert response.status_code == 422
    response = client.post(url("registry_pending_merge", pending), {"typed": elsewhere.code})
    assert response.status_code == 422
    assert all_of(Address).get(pk=pending.pk).retired_at is None
    client.force_login(personas.grid_a)
    assert client.get("/registry/addresses/pending/").status_code == 403


def test_confirming_refuses_a_twin_of_a_standard_address(personas, client):
    t = personas.territory
    make_address(t.grid_a, street="七组", door_plate="3")
    pending = pending_at(t.grid_a, "金积村七组3号")
    client.force_login(personas.officer)
    response = client.post(url("registry_pending_confirm", pending), {"street": "七组", "door_plate": "3"})
    assert response.status_code == 422
    assert all_of(Address).get(pk=pending.pk).status == AddressStatus.PENDING
    response = client.post(url("registry_pending_confirm", pending), {"street": "七组", "door_plate": "5"})
    assert response.status_code == 302
    confirmed = all_of(Address).get(pk=pending.pk)
    assert confirmed.status == AddressStatus.STANDARD and confirmed.full_text == "金积镇金积村七组5号"


def test_the_api_merges_and_confirms(personas, client):
    from fengqiao.accounts.actions import issue_api_token

    t = personas.territory
    standard = make_address(t.grid_a, street="八组", door_plate="2")
    pending = pending_at(t.grid_a, "金积村8组2号")
    person = make_person(pending, name="吴十")
    _, raw = issue_api_token(personas.officer, actor=personas.officer)
    headers = {"Authorization": f"Bearer {raw}", "X-Purpose": "visit"}
    base = "/api/v1/registry/pending-addresses"
    merged = client.post(
        f"{base}/{pending.pk}/merge",
        {"into": standard.code},
        content_type="application/json",
        headers=headers,
    )
    assert merged.status_code == 200, merged.content
    assert merged.json() == {"into": standard.code, "people": 1, "houses": 0, "organisations": 0}
    assert all_of(Person).get(pk=person.pk).current_address_id == standard.pk
    # the merged one is gone from the list; another is confirmed with its street corrected
    other = t.pending["A"]
    confirmed = client.post(
        f"{base}/{other.pk}/confirm", {"street": "九组"}, content_type="application/json", headers=headers
    )
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["full_text"] == "金积镇金积村九组"
    assert [a["id"] for a in client.get(base, headers=headers).json()["items"]] == []
