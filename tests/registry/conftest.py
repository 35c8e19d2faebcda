"""Registry factories, importable by any test: ``from tests.registry.conftest import make_person``.

They write rows directly (no action, no audit), for arranging a test's world quickly; tests of
behaviour call the actions. Every factory places the record in a grid the way the actions do.
"""

import datetime as dt
import itertools

import pytest
from django.utils import translation

from fengqiao.registry.choices import ResidenceType, ResidentType
from fengqiao.registry.models import Address, Employment, House, Organisation, Person, Residence
from fengqiao.registry.validators import credit_check_char, id_check_char

_seq = itertools.count(1)


def valid_id_number(
    county: str = "640302", birth: dt.date | None = None, seq: int | None = None, sex: str | None = None
) -> str:
    """A valid 18-character ID number. ``seq`` is the 3-digit sequence (odd = male, even =
    female); without it a fresh one is drawn (of the parity of ``sex`` when given), and without
    ``birth`` a fresh birth date too, so repeated calls never give the same number."""
    n = next(_seq)
    if birth is None:
        birth = dt.date(1990, 1, 1) + dt.timedelta(days=n // 400)
    if seq is None:
        seq = (n % 400) * 2 + 1 + (1 if sex == "F" else 0)
    first17 = f"{county}{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + id_check_char(first17)


def valid_credit_code(body: str | None = None) -> str:
    """A valid unified social credit code: ``body`` (17 characters) plus its check character;
    without ``body`` a fresh one under county 640302."""
    if body is None:
        body = f"91640302MA{next(_seq):07d}"
    return body + credit_check_char(body)


def make_address(grid, **fields) -> Address:
    n = next(_seq)
    defaults = {
        "code": f"{grid.code}{n:06d}",
        "community": grid.community,
        "street": "滨河路",
        "door_plate": str(n),
        "grid": grid,
    }
    return Address.objects.create(**{**defaults, **fields})


def make_person(
    address: Address | None = None, *, grid=None, id_number: str | None = None, **fields
) -> Person:
    """A registered resident at ``address`` (or, without one, in ``grid``). The ID number decides
    sex and birth date unless they are given."""
    number = id_number or valid_id_number(sex=fields.get("sex"))
    defaults = {
        "id_number": number,
        "name": "张三",
        "sex": "M" if int(number[16]) % 2 else "F",
        "birth_date": dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
        "current_address": address,
        "grid": address.grid if address is not None else grid,
        "resident_type": ResidentType.REGISTERED,
    }
    return Person.objects.create(**{**defaults, **fields})


def make_house(address: Address, **fields) -> House:
    return House.objects.create(**{"address": address, "grid": address.grid, **fields})


def make_organisation(address: Address, **fields) -> Organisation:
    defaults = {
        "credit_code": valid_credit_code(),
        "name": f"吴忠市测试商贸有限公司{next(_seq)}",
        "address": address,
        "grid": address.grid,
    }
    return Organisation.objects.create(**{**defaults, **fields})


def make_residence(person: Person, house: House, kind=ResidenceType.RENTING, **fields) -> Residence:
    return Residence.objects.create(person=person, house=house, kind=kind, **fields)


def make_employment(person: Person, organisation: Organisation, **fields) -> Employment:
    return Employment.objects.create(person=person, organisation=organisation, **fields)


class RegistryWorld:
    """A small registry on the shared territory: in grid A and grid B an address, a house and a
    person living in it; in grid C (another county) the same."""


@pytest.fixture
def registry_world(personas):
    t = personas.territory
    w = RegistryWorld()
    w.personas = personas
    for place, grid in (("a", t.grid_a), ("b", t.grid_b), ("c", t.grid_c)):
        address = make_address(grid)
        house = make_house(address)
        person = make_person(
            address, name={"a": "张三", "b": "李四", "c": "王五"}[place], phone="13912345678"
        )
        make_residence(person, house, ResidenceType.OWNER, start_date=dt.date(2020, 1, 1))
        setattr(w, f"address_{place}", address)
        setattr(w, f"house_{place}", house)
        setattr(w, f"person_{place}", person)
    return w


@pytest.fixture(autouse=True)
def english():
    """These tests read messages in their English source form; zh-hans is the site default."""
    with translation.override("en"):
        yield
