"""`fengqiao demo` and the registry: generated with the city, reused on a re-run, rebuilt by --reset."""

import pytest
from django.core.management import CommandError

from fengqiao.core.models import AuditEntry
from fengqiao.demo.actions import DEFAULT_REGISTRY_SCALE
from fengqiao.registry.models import Address, House, Organisation, Person
from tests.demo.conftest import SCALE, SEED
from tests.demo.test_command import demo

pytestmark = pytest.mark.django_db

ALL = "test: count the generated registry"


def count(model) -> int:
    return model.objects.unscoped(reason=ALL).count()


def test_the_registry_comes_with_the_city_at_its_share_of_the_scale(db):
    # given an empty database
    # when `fengqiao demo` runs on a small city without --registry-scale
    output = demo("--scale", str(SCALE), "--seed", str(SEED))
    # then the registry is generated at 0.1 × the city's scale (0.1 for the whole city)
    people = round(733_000 * DEFAULT_REGISTRY_SCALE * SCALE)
    assert DEFAULT_REGISTRY_SCALE == 0.1
    assert count(Person) == people == 3665
    assert count(House) == round(162_000 * 0.1 * SCALE)
    assert count(Organisation) == round(6_000 * 0.1 * SCALE)
    # and the summary names what was made
    assert "Demo registry generated (scale 0.005" in output
    assert f"{people} people" in output and "810 houses" in output and "30 organisations" in output


def test_rerun_reuses_the_registry(db):
    # given a city with its registry
    demo("--scale", str(SCALE), "--seed", str(SEED), "--registry-scale", "0.002")
    people = list(Person.objects.unscoped(reason=ALL).order_by("id").values_list("id", "id_number"))
    entries = AuditEntry.objects.count()
    # when `fengqiao demo` runs again, even asking for another registry scale
    output = demo("--registry-scale", "0.01")
    # then it says the registry is reused, and nothing changes or is audited
    assert "The registry already holds records (generated with scale 0.002, seed 7)" in output
    assert list(Person.objects.unscoped(reason=ALL).order_by("id").values_list("id", "id_number")) == people
    assert AuditEntry.objects.count() == entries


def test_reset_rebuilds_the_registry_at_the_new_scale(db):
    # given a city with its registry
    demo("--scale", str(SCALE), "--seed", str(SEED), "--registry-scale", "0.002")
    # when it is reset with another registry scale
    output = demo("--reset", "--scale", str(SCALE), "--seed", str(SEED), "--registry-scale", "0.003")
    # then the registry has the new size
    assert count(Person) == round(733_000 * 0.003)
    assert count(Address) == round(162_000 * 0.003) + round(6_000 * 0.003)
    assert "Demo registry generated (scale 0.003" in output


def test_registry_scale_zero_leaves_the_registry_empty(db):
    output = demo("--scale", str(SCALE), "--seed", str(SEED), "--registry-scale", "0")
    assert count(Person) == count(Address) == 0
    assert "registry" not in output.lower()
    # and a later run fills it, by default at its share of the existing city's scale (not 0.1)
    demo()
    assert count(Person) == round(733_000 * DEFAULT_REGISTRY_SCALE * SCALE)


@pytest.mark.parametrize("scale", ["-0.1", "2", "many"])
def test_a_bad_registry_scale_is_refused_naming_the_option(db, scale):
    with pytest.raises(CommandError, match="--registry-scale"):
        demo("--scale", str(SCALE), "--registry-scale", scale)
    assert count(Person) == 0
