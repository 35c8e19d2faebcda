"""The registry's API routes in the scoping matrix: every persona on people, addresses, houses and
organisations, with the matrix's machinery (``ScopedRoutes``, ``VISIBLE``, ``PERSONAS``, ``Door``).

The matrix's own tests parametrize over its module's ``ROUTES`` and check an edit by the ``name``
field; here the same four rules run over the registry's routes, whose records are told apart by
codes and whose edits change other fields (``edited``).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from fengqiao.registry.models import Address, House, Organisation, Person
from fengqiao.registry.selectors import may_collect
from tests.fixtures.matrix import PERSONAS, VISIBLE, Door, ScopedRoutes
from tests.fixtures.registry import make_address, make_organisation, valid_credit_code

API = "/api/v1/registry"


@dataclass
class RegistryRoutes(ScopedRoutes):
    edited: Callable | None = None  # obj as stored after the edit -> whether the edit went through


def unscoped(model):
    return model.objects.unscoped(reason="test: what is in the database")


@pytest.fixture
def world(registry_world):
    w = registry_world
    for place in "abc":
        address = getattr(w, f"address_{place}")
        setattr(w, f"organisation_{place}", make_organisation(address, credit_code=valid_credit_code()))
        setattr(w, f"spare_address_{place}", make_address(address.grid, street="空房街"))
    return w


def by_place(prefix):
    return lambda w: {place.upper(): getattr(w, f"{prefix}_{place}") for place in "abc"}


def address_code(w, place):
    return getattr(w, f"address_{place.lower()}").code


def spare_address(w, place):
    return getattr(w, f"spare_address_{place.lower()}")


# Fixed, valid numbers for the people each place would get.
NEW_ID = {"A": "640302198001010011", "B": "640302198001020017", "C": "640381198001030018"}
NEW_CREDIT = {"A": "91640302MA0000101", "B": "91640302MA0000102", "C": "91640381MA0000103"}


def new_credit(place):
    from fengqiao.registry.validators import credit_check_char

    body = NEW_CREDIT[place]
    return body + credit_check_char(body)


def new_address_grid(w, place):
    return {
        "A": w.personas.territory.grid_a,
        "B": w.personas.territory.grid_b,
        "C": w.personas.territory.grid_c,
    }[place]


ROUTES = [
    RegistryRoutes(
        name="people API",
        model=Person,
        door="api",
        objects=by_place("person"),
        key=lambda p: json.dumps(p.name),
        list_url=f"{API}/people?limit=100",
        detail_url=lambda p: f"{API}/people/{p.pk}",
        edit_url=lambda p: f"{API}/people/{p.pk}",
        edit_payload=lambda p: {"former_name": "改名"},
        edited=lambda p: p.former_name == "改名",
        create_url=f"{API}/people",
        create_payload=lambda w, place: {
            "name": "新人",
            "id_number": NEW_ID[place],
            "current_address": address_code(w, place),
        },
        created=lambda w, place: unscoped(Person).filter(id_number=NEW_ID[place]),
        may_change=may_collect,
    ),
    RegistryRoutes(
        name="addresses API",
        model=Address,
        door="api",
        objects=by_place("address"),
        key=lambda a: a.code,
        list_url=f"{API}/addresses?limit=100",
        detail_url=lambda a: f"{API}/addresses/{a.pk}",
        edit_url=lambda a: f"{API}/addresses/{a.pk}",
        edit_payload=lambda a: {"room": "909"},
        edited=lambda a: a.room == "909",
        create_url=f"{API}/addresses",
        create_payload=lambda w, place: {
            "code": f"{new_address_grid(w, place).code}777777",
            "grid": new_address_grid(w, place).code,
            "street": "新街",
            "door_plate": "1",
        },
        created=lambda w, place: unscoped(Address).filter(code=f"{new_address_grid(w, place).code}777777"),
        may_change=may_collect,
    ),
    RegistryRoutes(
        name="houses API",
        model=House,
        door="api",
        objects=by_place("house"),
        key=lambda h: h.address.code,
        list_url=f"{API}/houses?limit=100",
        detail_url=lambda h: f"{API}/houses/{h.pk}",
        edit_url=lambda h: f"{API}/houses/{h.pk}",
        edit_payload=lambda h: {"rooms": 7},
        edited=lambda h: h.rooms == 7,
        create_url=f"{API}/houses",
        create_payload=lambda w, place: {"address": spare_address(w, place).code, "rooms": 3},
        created=lambda w, place: unscoped(House).filter(address=spare_address(w, place)),
        may_change=may_collect,
    ),
    RegistryRoutes(
        name="organisations API",
        model=Organisation,
        door="api",
        objects=by_place("organisation"),
        key=lambda o: o.credit_code,
        list_url=f"{API}/organisations?limit=100",
        detail_url=lambda o: f"{API}/organisations/{o.pk}",
        edit_url=lambda o: f"{API}/organisations/{o.pk}",
        edit_payload=lambda o: {"industry": "住宿业"},
        edited=lambda o: o.industry == "住宿业",
        create_url=f"{API}/organisations",
        create_payload=lambda w, place: {
            "credit_code": new_credit(place),
            "name": "新单位",
            "address": address_code(w, place),
        },
        created=lambda w, place: unscoped(Organisation).filter(credit_code=new_credit(place)),
        may_change=may_collect,
    ),
]


@pytest.fixture
def door(client, personas):
    def at(persona, routes):
        return Door(client, getattr(personas, persona), routes.door)

    return at


@pytest.mark.parametrize("routes", ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize("persona", PERSONAS)
def test_list_shows_exactly_what_is_in_scope(routes, persona, world, door):
    response = door(persona, routes).get(routes.list_url)
    body = response.content.decode()
    assert response.status_code in (200, 403), body[:300]
    for place, obj in routes.objects(world).items():
        shown = routes.key(obj) in body
        assert shown == (place in VISIBLE[persona]), f"{persona} / {place}"


@pytest.mark.parametrize("routes", ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize("persona", PERSONAS)
def test_detail_is_404_outside_scope(routes, persona, world, door):
    at = door(persona, routes)
    for place, obj in routes.objects(world).items():
        response = at.get(routes.detail_url(obj))
        expected = 200 if place in VISIBLE[persona] else 404
        assert response.status_code == expected, f"{persona} / {place}: {response.content[:200]}"


@pytest.mark.parametrize("routes", ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize("persona", PERSONAS)
def test_edit_is_404_outside_scope_and_403_without_the_role(routes, persona, world, door, personas):
    at = door(persona, routes)
    user = getattr(personas, persona)
    for place, obj in routes.objects(world).items():
        response = at.edit(routes.edit_url(obj), routes.edit_payload(obj))
        after = routes.model._base_manager.get(pk=obj.pk)
        if place not in VISIBLE[persona]:
            assert response.status_code == 404, f"{persona} / {place}"
            assert not routes.edited(after)
        elif not routes.may_change(user):
            assert response.status_code == 403, f"{persona} / {place}"
            assert not routes.edited(after)
        else:
            assert response.status_code == 200, f"{persona} / {place}: {response.content[:300]}"
            assert routes.edited(after)


@pytest.mark.parametrize("routes", [r for r in ROUTES if r.create_url], ids=lambda r: r.name)
@pytest.mark.parametrize("persona", PERSONAS)
def test_nobody_creates_outside_their_scope(routes, persona, world, door, personas):
    at = door(persona, routes)
    user = getattr(personas, persona)
    for place in ("A", "B", "C"):
        response = at.create(routes.create_url, routes.create_payload(world, place))
        made = routes.created(world, place).exists()
        if place in VISIBLE[persona] and routes.may_change(user):
            assert made, f"{persona} / {place}: {response.status_code} {response.content[:300]}"
            assert response.status_code == 201
        else:
            assert not made, f"{persona} / {place}"
            assert response.status_code in (403, 404, 422), f"{persona} / {place}: {response.status_code}"
