"""The registry's pages join the scoping matrix: every persona on every record kind's list, page,
creation form and edit form, through the same machinery and checks as the grid routes
(``tests/fixtures/matrix.py``).

Each place (grid A, grid B, grid C) holds an address, a house, a person and an organisation, and
a spare address without a house for the house creation form.
"""

import pytest

from fengqiao.registry.models import Address, House, Organisation, Person
from fengqiao.registry.selectors import may_collect
from fengqiao.registry.validators import mask_id_number
from tests.fixtures.matrix import ScopedRoutes, ScopingMatrix
from tests.fixtures.registry import (
    make_address,
    make_organisation,
    make_person,
    valid_credit_code,
    valid_id_number,
)

PLACES = ("A", "B", "C")
NEW_NAME = "改名网格"  # what the matrix's edit check looks for in ``name``


@pytest.fixture(autouse=True)
def registry_places(personas):
    """The registry records of each place, hung on the territory where the routes look for them."""
    t = personas.territory
    world = {}
    for place, grid in zip(PLACES, (t.grid_a, t.grid_b, t.grid_c), strict=True):
        address = make_address(grid)
        house = House.objects.create(address=address, grid=grid)
        person = make_person(address, name=f"居民{place}")
        organisation = make_organisation(address, name=f"{place}号商行")
        world[place] = {
            "address": address,
            "house": house,
            "person": person,
            "organisation": organisation,
            "spare_address": make_address(grid, street="备用路"),
            "new_id_number": valid_id_number(),
            "new_credit_code": valid_credit_code(),
            "new_address_code": f"{grid.code}990001",
        }
    t.registry = world
    return world


def of(kind):
    return lambda t: {place: t.registry[place][kind] for place in PLACES}


def everything(model):
    return model.objects.unscoped(reason="test: did the write go through")


def grid_of(t, place):
    return {"A": t.grid_a, "B": t.grid_b, "C": t.grid_c}[place]


def person_payload(t, place):
    return {
        "id_number": t.registry[place]["new_id_number"],
        "name": "新居民",
        "current_address": t.registry[place]["address"].code,
        "resident_type": "registered",
    }


def address_payload(t, place):
    return {
        "grid": grid_of(t, place).pk,
        "street": "矩阵路",
        "door_plate": "7",
        "code": t.registry[place]["new_address_code"],
        "in_use": "on",
    }


def house_payload(t, place):
    return {"address": t.registry[place]["spare_address"].code, "use": "residential"}


def organisation_payload(t, place):
    return {
        "credit_code": t.registry[place]["new_credit_code"],
        "name": "矩阵商贸有限公司",
        "org_type": "enterprise",
        "address": t.registry[place]["address"].code,
    }


ROUTES = {
    "person": ScopedRoutes(
        name="person pages",
        model=Person,
        door="web",
        objects=of("person"),
        key=lambda p: f'href="/registry/people/{p.pk}/"',
        list_url="/registry/people/",
        detail_url=lambda p: f"/registry/people/{p.pk}/",
        edit_url=lambda p: f"/registry/people/{p.pk}/edit/",
        edit_payload=lambda p: {
            "id_number": mask_id_number(p.id_number),
            "name": NEW_NAME,
            "current_address": p.current_address.code,
            "resident_type": p.resident_type,
        },
        create_url="/registry/people/new/",
        create_payload=person_payload,
        created=lambda t, place: everything(Person).filter(id_number=t.registry[place]["new_id_number"]),
        may_change=may_collect,
    ),
    "address": ScopedRoutes(
        name="address pages",
        model=Address,
        door="web",
        objects=of("address"),
        key=lambda a: f'href="/registry/addresses/{a.pk}/"',
        list_url="/registry/addresses/",
        detail_url=lambda a: f"/registry/addresses/{a.pk}/",
        edit_url=lambda a: f"/registry/addresses/{a.pk}/edit/",
        edit_payload=lambda a: {
            "grid": a.grid_id,
            "street": "改名路",
            "door_plate": a.door_plate,
            "in_use": "on",
        },
        edited=lambda a: a.street == "改名路",
        create_url="/registry/addresses/new/",
        create_payload=address_payload,
        created=lambda t, place: everything(Address).filter(code=t.registry[place]["new_address_code"]),
        may_change=may_collect,
    ),
    "house": ScopedRoutes(
        name="house pages",
        model=House,
        door="web",
        objects=of("house"),
        key=lambda h: f'href="/registry/houses/{h.pk}/"',
        list_url="/registry/houses/",
        detail_url=lambda h: f"/registry/houses/{h.pk}/",
        edit_url=lambda h: f"/registry/houses/{h.pk}/edit/",
        edit_payload=lambda h: {"address": h.address.code, "use": "commercial"},
        edited=lambda h: h.use == "commercial",
        create_url="/registry/houses/new/",
        create_payload=house_payload,
        created=lambda t, place: everything(House).filter(address=t.registry[place]["spare_address"]),
        may_change=may_collect,
    ),
    "organisation": ScopedRoutes(
        name="organisation pages",
        model=Organisation,
        door="web",
        objects=of("organisation"),
        key=lambda o: f'href="/registry/organisations/{o.pk}/"',
        list_url="/registry/organisations/",
        detail_url=lambda o: f"/registry/organisations/{o.pk}/",
        edit_url=lambda o: f"/registry/organisations/{o.pk}/edit/",
        edit_payload=lambda o: {
            "credit_code": o.credit_code,
            "name": NEW_NAME,
            "org_type": o.org_type,
            "address": o.address.code,
        },
        create_url="/registry/organisations/new/",
        create_payload=organisation_payload,
        created=lambda t, place: everything(Organisation).filter(
            credit_code=t.registry[place]["new_credit_code"]
        ),
        may_change=may_collect,
    ),
}


class TestRegistryPages(ScopingMatrix):
    ROUTES = list(ROUTES.values())
