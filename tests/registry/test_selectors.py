"""Registry reads: scope, masking rules, audited care-tag reads, floating-population duties."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied

from fengqiao.accounts.models import User
from fengqiao.core.models import AuditEntry
from fengqiao.core.scoping import OutOfScope
from fengqiao.registry import selectors
from fengqiao.registry.choices import CareTagKind, ResidenceType, ResidentType
from fengqiao.registry.models import CareTag
from tests.fixtures.registry import make_address, make_house, make_person, make_residence

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2025, 3, 3)


def with_care_permission(user) -> User:
    user.user_permissions.add(
        Permission.objects.get(codename="view_caretag", content_type__app_label="registry")
    )
    return User.objects.get(pk=user.pk)


# ---------------------------------------------------------------------------------------------
# scope


@pytest.mark.parametrize(
    ("persona", "names"),
    [
        ("grid_a", {"张三"}),
        ("grid_b", {"李四"}),
        ("officer", {"张三"}),
        ("station", {"张三", "李四"}),
        ("city", {"张三", "李四", "王五"}),
        ("resident", set()),
    ],
)
def test_people_are_listed_within_scope(registry_world, persona, names):
    user = getattr(registry_world.personas, persona)

    assert {p.name for p in selectors.people_visible_to(user)} == names


def test_retired_people_leave_the_lists_but_keep_their_page(registry_world):
    person = registry_world.person_a
    person.retired_at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    person.save()
    officer = registry_world.personas.officer

    assert person not in selectors.people_visible_to(officer)
    assert selectors.person_for(officer, person.pk) == person


def test_a_record_outside_scope_is_not_found(registry_world):
    officer = registry_world.personas.officer

    with pytest.raises(OutOfScope):
        selectors.person_for(officer, registry_world.person_b.pk)
    with pytest.raises(OutOfScope):
        selectors.house_for(officer, registry_world.house_c.pk)
    assert selectors.person_by_id_number(officer, registry_world.person_b.id_number) is None
    assert (
        selectors.person_by_id_number(officer, registry_world.person_a.id_number) == registry_world.person_a
    )


def test_relations_are_read_through_the_houses_scope(registry_world):
    p = registry_world.personas
    # a grid-A resident renting a room in grid B: grid A's worker does not see that relation
    make_residence(registry_world.person_a, registry_world.house_b, start_date=MONDAY)

    assert len(selectors.residences_of_person(p.grid_a, registry_world.person_a)) == 1
    assert len(selectors.residences_of_person(p.station, registry_world.person_a)) == 2
    assert [r.person for r in selectors.tenants_of_house(p.grid_b, registry_world.house_b)] == [
        registry_world.person_a
    ]


# ---------------------------------------------------------------------------------------------
# masking and reveal rules


def test_numbers_are_masked_for_every_role_by_default(registry_world):
    person = registry_world.person_a
    for persona in ("grid_a", "officer", "station", "city"):
        user = getattr(registry_world.personas, persona)
        assert (
            selectors.shown_id_number(user, person.id_number)
            == person.id_number[:4] + "*" * 12 + person.id_number[-2:]
        )
        assert selectors.shown_phone(user, person.phone) == "139****5678"


def test_a_bureau_may_show_whole_numbers_to_chosen_roles(registry_world, settings):
    settings.FENGQIAO_REGISTRY_WHOLE_NUMBER_ROLES = ["city_command"]
    person = registry_world.person_a

    assert selectors.shown_id_number(registry_world.personas.city, person.id_number) == person.id_number
    assert "*" in selectors.shown_id_number(registry_world.personas.station, person.id_number)


@pytest.mark.parametrize(
    ("persona", "may"),
    [
        ("grid_a", False),
        ("officer", True),
        ("station", True),
        ("city", True),
        ("grid_b", False),
        ("resident", False),
    ],
)
def test_who_may_reveal_grid_as_numbers(registry_world, persona, may):
    user = getattr(registry_world.personas, persona)

    assert selectors.may_reveal(user, registry_world.person_a) is may


def test_an_officer_may_not_reveal_outside_their_scope(registry_world):
    assert selectors.may_reveal(registry_world.personas.officer, registry_world.person_b) is False


# ---------------------------------------------------------------------------------------------
# care tags


def test_care_tags_are_refused_without_the_permission(registry_world):
    CareTag.objects.create(person=registry_world.person_a, kind=CareTagKind.DRUG_USER)

    with pytest.raises(PermissionDenied):
        selectors.care_tags_for(registry_world.personas.officer, registry_world.person_a)
    with pytest.raises(PermissionDenied):
        selectors.care_tagged_people(registry_world.personas.station)
    assert not AuditEntry.objects.filter(action="view").exists()


def test_every_care_tag_read_is_audited(registry_world):
    officer = with_care_permission(registry_world.personas.officer)
    CareTag.objects.create(person=registry_world.person_a, kind=CareTagKind.MENTAL_ILLNESS, risk_grade=2)
    CareTag.objects.create(person=registry_world.person_b, kind=CareTagKind.DRUG_USER)

    # when
    tags = selectors.care_tags_for(officer, registry_world.person_a)
    listed = selectors.care_tagged_people(officer)

    # then only grid A's tag is seen, and each read left a view entry
    assert [t.kind for t in tags] == ["mental_illness"]
    assert [t.person for t in listed] == [registry_world.person_a]
    one, many = AuditEntry.objects.filter(action="view").order_by("id")
    assert (one.actor, one.object_type, one.object_id) == (
        officer,
        "registry.caretag",
        str(registry_world.person_a.pk),
    )
    assert many.after["count"] == 1 and many.after["people"] == [registry_world.person_a.pk]


def test_care_tags_of_someone_outside_scope_are_not_found(registry_world):
    officer = with_care_permission(registry_world.personas.officer)

    with pytest.raises(OutOfScope):
        selectors.care_tags_for(officer, registry_world.person_b)


# ---------------------------------------------------------------------------------------------
# floating-population duties


def test_working_days_skip_weekends_and_holidays(settings):
    friday = dt.date(2025, 3, 7)

    assert selectors.add_working_days(MONDAY, 3) == dt.date(2025, 3, 6)
    assert selectors.add_working_days(friday, 3) == dt.date(2025, 3, 12)
    settings.FENGQIAO_HOLIDAYS = ["2025-03-10"]
    assert selectors.add_working_days(friday, 3) == dt.date(2025, 3, 13)


@pytest.fixture
def rentals(territory):
    house = make_house(make_address(territory.grid_a))

    def tenant(start, registered_on=None, end_date=None, kind=ResidenceType.RENTING):
        person = make_person(house.address, resident_type=ResidentType.FLOATING, reason_for_coming="务工")
        return make_residence(
            person, house, kind, start_date=start, registered_on=registered_on, end_date=end_date
        )

    return tenant


def test_tenants_not_reported_within_three_working_days_are_flagged(personas, rentals):
    friday = dt.date(2025, 3, 7)  # due the next Wednesday, 2025-03-12
    on_time = rentals(friday, registered_on=dt.date(2025, 3, 12))
    late = rentals(friday, registered_on=dt.date(2025, 3, 13))
    missing = rentals(friday)
    rentals(dt.date(2025, 3, 10))  # moved in Monday, due Thursday: not yet overdue
    rentals(friday, end_date=dt.date(2025, 3, 8))  # left again: no duty any more
    rentals(friday, kind=ResidenceType.STAYING)  # not a tenancy

    duties = selectors.floating_duties(personas.grid_a, today=dt.date(2025, 3, 13))

    assert [(d.residence, d.due, d.days_late) for d in duties.tenants] == [
        (late, dt.date(2025, 3, 12), 1),
        (missing, dt.date(2025, 3, 12), 1),
    ]
    assert on_time not in [d.residence for d in duties.tenants]


def test_tenant_duties_count_holidays(personas, rentals, settings):
    settings.FENGQIAO_HOLIDAYS = [dt.date(2025, 3, 11)]
    rentals(dt.date(2025, 3, 7), registered_on=dt.date(2025, 3, 13))  # due 2025-03-13 with the holiday

    assert not selectors.floating_duties(personas.grid_a, today=dt.date(2025, 3, 20)).tenants


def test_duties_stay_within_scope(personas, rentals):
    rentals(dt.date(2025, 1, 6))

    assert len(selectors.floating_duties(personas.grid_a, today=MONDAY)) == 1
    assert len(selectors.floating_duties(personas.grid_b, today=MONDAY)) == 0


def test_residence_permits_expiring_within_30_days_or_expired_are_flagged(personas):
    address = make_address(personas.territory.grid_a)
    today = dt.date(2025, 6, 1)

    def floating(expires):
        return make_person(
            address,
            resident_type=ResidentType.FLOATING,
            residence_permit_number=f"P{expires:%Y%m%d}",
            residence_permit_expires=expires,
        )

    expired = floating(dt.date(2025, 5, 1))
    soon = floating(dt.date(2025, 7, 1))
    floating(dt.date(2025, 7, 2))  # 31 days left

    duties = selectors.floating_duties(personas.grid_a, today=today)

    assert [(d.person, d.days_left, d.expired) for d in duties.permits] == [
        (expired, -31, True),
        (soon, 30, False),
    ]
