"""The demo registry as generated into the database: counts in the article's proportions, valid
identifiers, households and rentals, points inside their grids, collection dates shaped like the
article, determinism, re-runs and the audit trail."""

import datetime as dt
from collections import Counter, defaultdict

import numpy as np
import pytest
import shapely
from django.core.exceptions import PermissionDenied
from django.db.models import F
from shapely.geometry import shape

from fengqiao.accounts.models import User
from fengqiao.core import audit
from fengqiao.core.roles import Role
from fengqiao.demo import registry as plan
from fengqiao.demo.actions import DEMO_REGISTRY, DemoError, generate_demo_city, generate_demo_registry
from fengqiao.geo import locator
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import Grid, PoliceUnit
from fengqiao.registry import selectors
from fengqiao.registry.choices import CareTagKind, ResidenceType, ResidentType
from fengqiao.registry.models import (
    Address,
    CareTag,
    Employment,
    House,
    Organisation,
    Person,
    Residence,
)
from fengqiao.registry.text import pinyin_keys
from fengqiao.registry.validators import (
    check_birth_date_matches,
    check_sex_matches,
    organisation_code_check_char,
    parse_credit_code,
    parse_id_number,
)
from tests.conftest import make_user
from tests.demo.conftest import SCALE, SEED

pytestmark = pytest.mark.django_db

# 0.004 of the article's registry on the city at scale 0.05 (174 grids): 2,932 people, 648 houses,
# 24 organisations, so every grid gets a house.
REGISTRY_SCALE = 0.004
TODAY = dt.date(2025, 6, 18)
ALL = "test: inspect the whole generated registry"


def rows(model):
    return model.objects.unscoped(reason=ALL)


@pytest.fixture
def small_registry(small_city, runner):
    return generate_demo_registry(actor=runner, scale=REGISTRY_SCALE, seed=SEED, today=TODAY)


def snapshot() -> dict:
    """The registry by natural keys, comparable between two generations (primary keys may differ)."""
    return {
        "addresses": list(
            rows(Address)
            .order_by("code")
            .values_list("code", "full_text", "lon", "lat", "grid__code", "collected_at")
        ),
        "people": list(
            rows(Person)
            .order_by("id_number_hash", "document_number")  # the number is encrypted: its keyed hash orders
            .values_list(
                "id_number",
                "name",
                "sex",
                "birth_date",
                "phone",
                "resident_type",
                "current_address__code",
                "collected_at",
                "registered_on",
                "residence_permit_expires",
                "workplace",
            )
        ),  # fmt: skip
        "houses": list(
            rows(House)
            .order_by("address__code")
            .values_list("address__code", "owner__id_number", "landlord__id_number", "is_rented", "area_m2")
        ),
        "organisations": list(
            rows(Organisation).order_by("credit_code").values_list("credit_code", "name", "address__code")
        ),
        "residences": sorted(
            rows(Residence).values_list(
                "person__id_number", "person__document_number", "house__address__code", "kind", "start_date"
            ),
            key=repr,
        ),
        "care_tags": sorted(rows(CareTag).values_list("person__id_number", "kind", "risk_grade"), key=repr),
    }


def test_counts_follow_the_article_at_a_small_scale(small_registry):
    # given a registry generated at 0.004 of the article's city
    targets = plan.Targets.at(REGISTRY_SCALE)
    # then people, houses and organisations are in the article's proportions (733k / 162k / 6k)
    assert rows(Person).count() == targets.people == round(733_000 * REGISTRY_SCALE)
    assert rows(House).count() == targets.houses == round(162_000 * REGISTRY_SCALE)
    assert rows(Organisation).count() == targets.organisations == round(6_000 * REGISTRY_SCALE)
    # every house and every organisation has its own address, and every grid has addresses
    assert rows(Address).count() == targets.houses + targets.organisations
    grids = Grid.objects.unscoped(reason=ALL).count()
    assert rows(Address).values("grid").distinct().count() == grids
    # about one person in eight is floating population, and a few are overseas
    kinds = Counter(rows(Person).values_list("resident_type", flat=True))
    assert 0.10 <= kinds[ResidentType.FLOATING] / targets.people <= 0.15
    assert 1 <= kinds[ResidentType.OVERSEAS] <= 0.002 * targets.people
    assert kinds[ResidentType.LEFT_BEHIND] > 0
    # a small share carries care tags
    tagged = rows(CareTag).values("person").distinct().count()
    assert 0 < tagged < 0.02 * targets.people
    # and the report says what was written
    assert small_registry.created
    assert small_registry.counts["person"] == targets.people
    assert small_registry.counts["house"] == targets.houses


def test_every_identifier_is_valid_and_says_where_the_person_comes_from(small_registry):
    # given the generated people and organisations
    people = list(
        rows(Person).values_list(
            "id_number", "sex", "birth_date", "resident_type", "grid__code", "document_number", "nationality"
        )
    )
    # then every ID number passes GB 11643 and agrees with the sex and birth date on record
    for number, sex, birth, kind, grid_code, document, nationality in people:
        if kind == ResidentType.OVERSEAS:
            assert document and nationality  # a passport, and maybe a permanent-residence ID
            if number:
                assert parse_id_number(number).county_code.startswith("964")
            continue
        id_number = parse_id_number(number)
        check_sex_matches(id_number, sex)
        check_birth_date_matches(id_number, birth)
        assert id_number.birth_date <= TODAY - dt.timedelta(days=365 * 2)
        if kind == ResidentType.FLOATING:
            # registered in another province
            assert not number.startswith("64"), number
        else:
            # registered in Wuzhong, in the county of their grid
            assert number[:6] in plan.WUZHONG_COUNTIES
            assert number[:6] == grid_code[:6]
    assert len({p[0] for p in people if p[0]}) == len([p for p in people if p[0]])
    # and every credit code passes GB 32100, carrying its county and a valid GB 11714 organisation code
    for code, grid_code in rows(Organisation).values_list("credit_code", "grid__code"):
        assert parse_credit_code(code) == code
        assert code[2:8] == grid_code[:6]
        assert organisation_code_check_char(code[8:16]) == code[16]


def test_every_address_lies_inside_its_grid(small_registry):
    # given the generated addresses and the grids' polygons
    polygons = {
        pk: shape(geometry)
        for pk, geometry in Grid.objects.unscoped(reason=ALL).values_list("pk", "geometry")
    }
    addresses = list(rows(Address).values_list("grid_id", "lon", "lat"))
    by_grid = defaultdict(list)
    for grid_id, lon, lat in addresses:
        by_grid[grid_id].append((lon, lat))
    # then each point lies strictly inside its own grid's polygon
    for grid_id, points in by_grid.items():
        xs, ys = np.array(points).T
        assert shapely.contains_xy(polygons[grid_id], xs, ys).all(), grid_id
    # no two addresses of a village read the same
    texts = list(rows(Address).values_list("community_id", "full_text"))
    assert len(set(texts)) == len(texts)
    # and the territory's locator puts each one in that grid
    lons = [a[1] for a in addresses]
    lats = [a[2] for a in addresses]
    grid_ids = [a[0] for a in addresses]
    found = locator.locate_many(lons, lats)
    assert [int(g) for g in found] == grid_ids


def test_derived_columns_are_what_the_models_would_compute(small_registry):
    # given the rows written in bulk (no save())
    # then the derived columns match what the models derive: full address text, pinyin keys, scope
    for address in rows(Address).select_related("community__parent", "grid")[:300]:
        assert address.full_text == address.compose_full_text()
        assert address.scope_path == address.grid.scope_path
    for person in rows(Person).select_related("grid")[:300]:
        assert (person.name_pinyin, person.name_initials) == pinyin_keys(person.name)
        assert person.scope_path == person.grid.scope_path
    for model in (House, Organisation, Residence, Employment, CareTag):
        mismatched = [
            (path, grid_path)
            for path, grid_path in rows(model).values_list("scope_path", "grid__scope_path")
            if path != grid_path
        ]
        assert not mismatched, model
    # people live in the grid of their current address; relations lie in the house's grid
    assert not rows(Person).exclude(grid=F("current_address__grid")).exists()
    assert not rows(Residence).exclude(grid=F("house__grid")).exists()
    assert not rows(CareTag).exclude(grid=F("person__grid")).exists()


def test_households_share_houses_and_tenants_rent_from_landlords(small_registry):
    # given the generated houses and person–house relations
    residences = list(rows(Residence).values_list("person_id", "house_id", "kind", "registered_on"))
    # then everyone lives somewhere, once, and each house counts its occupants
    assert len({r[0] for r in residences}) == len(residences) == rows(Person).count()
    per_house = Counter(r[1] for r in residences)
    for house_id, occupants in rows(House).values_list("pk", "occupant_count"):
        assert per_house.get(house_id, 0) == occupants
    # most people are registered (户籍) in families that share a house
    kinds = Counter(r[2] for r in residences)
    assert kinds[ResidenceType.HUKOU] > 0.7 * len(residences)
    assert kinds[ResidenceType.OWNER] > 0  # 人户分离: owners whose hukou is elsewhere
    family_sizes = Counter(
        per_house[h]
        for h in rows(House).filter(is_rented=False).values_list("pk", flat=True)
        if per_house.get(h)
    )
    assert max(family_sizes) >= 4 and min(family_sizes) == 1
    # rented houses have a landlord and tenants, and every tenant is floating or overseas
    rented = rows(House).filter(is_rented=True)
    assert rented.exists()
    assert not rented.filter(landlord__isnull=True).exists()
    tenants = rows(Residence).filter(kind=ResidenceType.RENTING)
    assert not tenants.exclude(house__is_rented=True).exists()
    assert set(tenants.values_list("person__resident_type", flat=True)) == {
        ResidentType.FLOATING,
        ResidentType.OVERSEAS,
    }
    # the relation and the person's current address agree
    assert not rows(Residence).exclude(person__current_address=F("house__address")).exists()
    # staff work at organisations of their grid
    assert rows(Employment).exists()
    for person_workplace, org_name in rows(Employment).values_list("person__workplace", "organisation__name"):
        assert person_workplace == org_name


def city_commander():
    return make_user("city_demo", Role.CITY_COMMAND, unit=PoliceUnit.objects.get(kind=UnitKind.CITY))


def test_floating_duties_show_up(small_registry):
    # given the generated registry, seen by the city command on the day it was made for
    city = city_commander()
    # when the floating-population duties are listed
    duties = selectors.floating_duties(city, today=TODAY)
    # then some tenants were reported late (or not yet) and some residence permits are expiring
    assert duties.tenants
    assert any(d.registered_on is None for d in duties.tenants)
    assert any(d.registered_on is not None for d in duties.tenants)
    assert duties.permits
    assert any(0 <= d.days_left <= 30 for d in duties.permits)
    # but most tenants were reported in time
    tenants = rows(Residence).filter(kind=ResidenceType.RENTING).count()
    assert len(duties.tenants) < 0.3 * tenants


def test_the_demo_grid_workers_see_every_kind_of_duty(small_registry):
    for username in ("grid", "grid2"):
        # given a demo account working in a showcase grid
        worker = User.objects.get(username=username)
        # when they list the floating-population duties of their grid
        duties = selectors.floating_duties(worker, today=TODAY)
        # then there is a tenant reported late, one not reported yet, and a permit about to expire
        assert any(d.registered_on is not None for d in duties.tenants), username
        assert any(d.registered_on is None for d in duties.tenants), username
        assert any(0 <= d.days_left <= 30 for d in duties.permits), username
        # and their grid's records name them as the collector
        assert rows(Person).filter(collected_by=worker).exists()


def test_care_tags_are_rare_and_graded_only_for_mental_illness(small_registry):
    tags = list(rows(CareTag).values_list("kind", "risk_grade", "since", "until", "person__birth_date"))
    assert {kind for kind, *_ in tags} >= {CareTagKind.MENTAL_ILLNESS}
    for kind, grade, since, until, born in tags:
        assert (grade is not None) == (kind == CareTagKind.MENTAL_ILLNESS)
        assert grade is None or 0 <= grade <= 5
        assert since >= born
        assert until is None or until >= since


def test_collection_dates_grow_year_on_year_like_the_article(small_city, runner):
    # given a larger registry (0.02: 14,660 people, 3,240 houses, 120 organisations)
    generate_demo_registry(actor=runner, scale=0.02, seed=SEED, today=TODAY)
    last_year_start = dt.date(2024, 7, 1)  # the 24 months end with June 2025
    # then every record was collected in the 24 months up to the day, and each of the last twelve
    # months holds the article's growth over the same month a year earlier
    for model, growth in ((Person, 1.09), (House, 0.12), (Organisation, 0.33)):
        dates = list(rows(model).values_list("collected_at", flat=True))
        assert min(dates) >= dt.date(2023, 7, 1) and max(dates) <= TODAY
        earlier = sum(1 for d in dates if d < last_year_start)
        later = len(dates) - earlier
        assert later / earlier == pytest.approx(1 + growth, rel=0.05), model
        months = Counter((d.year, d.month) for d in dates)
        if model is not Organisation:  # too few organisations at this scale to compare months
            for month in range(1, 13):
                this = months[(2025, month)] if month <= 6 else months[(2024, month)]
                before = months[(2024, month)] if month <= 6 else months[(2023, month)]
                assert this / before == pytest.approx(1 + growth, rel=0.1), (model, month)
    # the current month only has days up to today
    assert rows(Person).filter(collected_at__gt=TODAY).count() == 0
    # weekends are quieter
    weekdays = Counter(d.weekday() for d in rows(Person).values_list("collected_at", flat=True))
    assert weekdays[5] < 0.5 * weekdays[2]


def test_same_seed_same_registry_and_another_seed_another(small_city, runner):
    # given a registry generated with a seed
    generate_demo_registry(actor=runner, scale=REGISTRY_SCALE, seed=SEED, today=TODAY)
    first = snapshot()
    # when it is generated again with the same seed
    generate_demo_registry(actor=runner, scale=REGISTRY_SCALE, seed=SEED, today=TODAY, reset=True)
    # then it is the same, row for row
    assert snapshot() == first
    # and another seed gives another registry of the same size
    generate_demo_registry(actor=runner, scale=REGISTRY_SCALE, seed=SEED + 1, today=TODAY, reset=True)
    other = snapshot()
    assert other["people"] != first["people"]
    assert len(other["people"]) == len(first["people"])


def test_rerun_without_reset_changes_nothing(small_registry, runner, audit_since):
    # given a generated registry
    before = snapshot()
    new_entries = audit_since()
    # when the generator runs again without reset, even at another scale
    report = generate_demo_registry(actor=runner, scale=0.01, seed=SEED + 5, today=TODAY)
    # then nothing changes and nothing is audited
    assert not report.created
    assert snapshot() == before
    assert new_entries() == []


def test_generation_is_one_audit_entry(small_city, runner, audit_since):
    # given a city without a registry
    new_entries = audit_since()
    # when the registry is generated
    generate_demo_registry(actor=runner, scale=REGISTRY_SCALE, seed=SEED, today=TODAY)
    # then there is exactly one audit entry, naming the scale, seed, day and counts
    entries = new_entries()
    assert [e.action for e in entries] == [DEMO_REGISTRY.name]
    after = entries[0].after
    assert after["scale"] == REGISTRY_SCALE and after["seed"] == SEED and after["today"] == "2025-06-18"
    assert after["counts"]["person"] == round(733_000 * REGISTRY_SCALE)
    assert entries[0].actor == runner
    assert audit.verify_chain().ok


def test_reset_of_the_city_rebuilds_the_registry_too(small_registry, runner):
    # given a city with its registry
    # when the city is reset
    generate_demo_city(actor=runner, scale=SCALE, seed=SEED, reset=True)
    # then the old registry is gone (its grids are gone), and it can be generated again
    assert not rows(Person).exists() and not rows(Address).exists()
    report = generate_demo_registry(actor=runner, scale=REGISTRY_SCALE, seed=SEED, today=TODAY)
    assert report.created and rows(Person).count() == round(733_000 * REGISTRY_SCALE)


def test_only_a_superuser_may_generate(small_city):
    with pytest.raises(PermissionDenied):
        generate_demo_registry(actor=city_commander(), scale=REGISTRY_SCALE, seed=SEED, today=TODAY)
    assert not rows(Person).exists()


def test_a_scale_out_of_range_is_refused(small_city, runner):
    for scale in (0, 1.5):
        with pytest.raises(DemoError, match="scale"):
            generate_demo_registry(actor=runner, scale=scale, seed=SEED, today=TODAY)
    assert not rows(Person).exists()
