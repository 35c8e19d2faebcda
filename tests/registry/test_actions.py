"""Registry actions: validation naming the field, history and one audit entry per action,
permissions per persona, scope checked after the write, reveal and care tags."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError

from fengqiao.accounts.models import User
from fengqiao.core.models import AuditEntry
from fengqiao.core.scoping import OutOfScope
from fengqiao.registry import actions, selectors
from fengqiao.registry.choices import CareTagKind, HistoryAction, ResidenceType, ResidentType
from fengqiao.registry.models import Address, CareTag, House, Person, RecordHistory, Residence
from tests.fixtures.registry import (
    make_address,
    make_house,
    make_person,
    make_residence,
    valid_credit_code,
    valid_id_number,
)

pytestmark = pytest.mark.django_db

UNSCOPED = "tests: checking what the action wrote"


def people():
    return Person.objects.unscoped(reason=UNSCOPED)


def audit_entries(**kw):
    return list(AuditEntry.objects.filter(**kw).order_by("id"))


def errors_of(caught) -> dict:
    return caught.value.message_dict


def with_care_permission(user) -> User:
    user.user_permissions.add(
        Permission.objects.get(codename="view_caretag", content_type__app_label="registry")
    )
    return User.objects.get(pk=user.pk)  # a fresh object: permissions are cached per instance


@pytest.fixture
def home(personas):
    """An address with a house in grid A."""
    address = make_address(personas.territory.grid_a, street="利民街", door_plate="8")
    make_house(address)
    return address


# ---------------------------------------------------------------------------------------------
# people: create, update, retire


def test_a_grid_worker_records_a_person_with_history_and_one_audit_entry(personas, home):
    # given
    number = valid_id_number(birth=dt.date(1985, 3, 4), seq=13)

    # when
    person = actions.record_person(
        actor=personas.grid_a,
        data={"id_number": number, "name": "单丽", "phone": "139 1234 5678", "current_address": home},
    )

    # then the record is placed, derived and complete
    assert person.grid_id == home.grid_id and person.scope_path == home.scope_path
    assert (person.sex, person.birth_date) == ("M", dt.date(1985, 3, 4))
    assert (person.name_pinyin, person.name_initials) == ("shanli", "sl")
    assert person.phone == "13912345678"
    assert person.collected_by == personas.grid_a
    # one history row with the values set
    (row,) = selectors.history_of(person)
    assert (row.version, row.action, row.actor) == (1, HistoryAction.CREATE, personas.grid_a)
    assert row.after["id_number"] == number and row.after["name"] == "单丽"
    # one audit entry, numbers masked
    (entry,) = audit_entries(object_type="registry.person")
    assert entry.action == "create" and entry.actor == personas.grid_a
    assert entry.after["id_number"] == number[:4] + "*" * 12 + number[-2:]
    assert entry.after["phone"] == "139****5678"
    assert number not in str(entry.after)


def test_an_update_records_only_the_changed_fields(personas, home):
    person = actions.record_person(
        actor=personas.grid_a, data={"id_number": valid_id_number(), "name": "张三", "current_address": home}
    )

    # when
    actions.record_person(actor=personas.officer, person=person, data={"name": "张叁", "occupation": "司机"})

    # then
    rows = selectors.history_of(person)
    assert [r.version for r in rows] == [1, 2]
    assert rows[1].before == {"name": "张三", "occupation": ""}
    assert rows[1].after == {"name": "张叁", "occupation": "司机"}
    assert rows[1].actor == personas.officer
    updates = audit_entries(object_type="registry.person", action="update")
    assert len(updates) == 1 and updates[0].after == {"name": "张叁", "occupation": "司机"}
    assert people().get(pk=person.pk).name_pinyin == "zhangsan"  # 叁 reads san


def test_an_update_that_changes_nothing_writes_nothing(personas, home):
    person = actions.record_person(
        actor=personas.grid_a, data={"id_number": valid_id_number(), "name": "张三", "current_address": home}
    )
    count = AuditEntry.objects.count()

    actions.record_person(actor=personas.grid_a, person=person, data={"name": " 张三 "})

    assert AuditEntry.objects.count() == count
    assert len(selectors.history_of(person)) == 1


def test_retiring_keeps_the_person_and_ends_their_relations(personas, home):
    # given a tenant
    person = make_person(home)
    house = House.objects.unscoped(reason=UNSCOPED).get(address=home)
    make_residence(person, house, ResidenceType.RENTING, start_date=dt.date(2024, 1, 1))
    actions.refresh_occupant_counts([house.pk])

    # when
    actions.retire_person(person, actor=personas.grid_a, reason="迁出")

    # then
    person = people().get(pk=person.pk)
    assert person.retired_at is not None
    (residence,) = Residence.objects.unscoped(reason=UNSCOPED).filter(person=person)
    assert residence.end_date is not None
    assert House.objects.unscoped(reason=UNSCOPED).get(pk=house.pk).occupant_count == 0
    assert selectors.history_of(person)[-1].action == HistoryAction.RETIRE
    assert selectors.history_of(residence)[-1].after == {"end_date": residence.end_date.isoformat()}
    (entry,) = audit_entries(action="retire")
    assert entry.reason == "迁出" and entry.object_id == str(person.pk)


def test_retiring_needs_a_reason(personas, home):
    person = make_person(home)

    with pytest.raises(ValidationError) as caught:
        actions.retire_person(person, actor=personas.grid_a, reason="  ")

    assert "reason" in errors_of(caught)
    assert people().get(pk=person.pk).retired_at is None


# ---------------------------------------------------------------------------------------------
# permissions and scope


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("grid_a", True),
        ("officer", True),
        ("station", True),
        ("city", True),
        ("admin", True),
        ("grid_b", "out of scope"),
        ("resident", "denied"),
    ],
)
def test_who_may_change_a_person_in_grid_a(personas, home, persona, allowed):
    person = make_person(home)
    actor = getattr(personas, persona)

    def change():
        return actions.record_person(actor=actor, person=person, data={"occupation": "教师"})

    if allowed is True:
        assert change().occupation == "教师"
    elif allowed == "denied":
        with pytest.raises(PermissionDenied):
            change()
    else:
        with pytest.raises(OutOfScope):
            change()
    if allowed is not True:
        assert people().get(pk=person.pk).occupation == ""
        assert not RecordHistory.objects.filter(record_id=person.pk, action=HistoryAction.UPDATE).exists()


def test_a_person_placed_outside_the_writers_scope_is_rolled_back(personas):
    audit_before = AuditEntry.objects.count()

    # when grid A's worker puts a person without address into grid C
    with pytest.raises(OutOfScope):
        actions.record_person(
            actor=personas.grid_a,
            data={"id_number": valid_id_number(), "name": "王五", "grid": personas.territory.grid_c},
        )

    # then nothing of it remains: no person, no history, no audit entry
    assert not people().exists()
    assert not RecordHistory.objects.exists()
    assert AuditEntry.objects.count() == audit_before


def test_an_address_moved_out_of_scope_is_rolled_back(personas, home):
    with pytest.raises(OutOfScope):
        actions.record_address(actor=personas.grid_a, address=home, data={"grid": personas.territory.grid_b})

    assert Address.objects.unscoped(reason=UNSCOPED).get(pk=home.pk).grid_id == personas.territory.grid_a.pk
    assert not RecordHistory.objects.exists()


def test_an_address_outside_the_writers_scope_reads_as_unknown(personas):
    elsewhere = make_address(personas.territory.grid_b)

    with pytest.raises(ValidationError) as caught:
        actions.record_person(
            actor=personas.grid_a,
            data={"id_number": valid_id_number(), "name": "王五", "current_address": elsewhere.pk},
        )

    assert "current_address" in errors_of(caught)


# ---------------------------------------------------------------------------------------------
# validation, each naming its field


def person_error(personas, home, **data) -> dict:
    data = {"id_number": valid_id_number(), "name": "张三", "current_address": home, **data}
    with pytest.raises(ValidationError) as caught:
        actions.record_person(actor=personas.grid_a, data=data)
    return errors_of(caught)


def test_a_bad_id_number_is_named(personas, home):
    errors = person_error(personas, home, id_number="110105194912310021")
    assert errors["id_number"] == ["check character should be X, not 1"]


def test_sex_and_birth_date_contradicting_the_number_are_named(personas, home):
    male = valid_id_number(birth=dt.date(1990, 5, 6), seq=11)

    assert "sex" in person_error(personas, home, id_number=male, sex="F")
    assert "birth_date" in person_error(personas, home, id_number=male, birth_date="1990-05-07")
    ok = actions.record_person(
        actor=personas.grid_a,
        data={
            "id_number": male,
            "name": "张三",
            "sex": "男",
            "birth_date": "1990-05-06",
            "current_address": home,
        },
    )
    assert ok.sex == "M"


def test_a_15_digit_number_is_stored_as_18(personas, home):
    person = actions.record_person(
        actor=personas.grid_a, data={"id_number": "110105491231002", "name": "李华", "current_address": home}
    )
    assert person.id_number == "11010519491231002X"


def test_an_id_number_is_on_record_once(personas, home):
    number = valid_id_number()
    make_person(home, id_number=number)

    assert "id_number" in person_error(personas, home, id_number=number)


def test_the_id_number_is_required_unless_overseas(personas, home):
    assert "id_number" in person_error(personas, home, id_number="")


def test_floating_residents_need_a_reason_or_a_permit(personas, home):
    floating = {"resident_type": ResidentType.FLOATING}

    assert "reason_for_coming" in person_error(personas, home, **floating)
    assert "residence_permit_expires" in person_error(
        personas, home, **floating, residence_permit_number="640302202400123"
    )
    assert "residence_permit_number" in person_error(
        personas, home, **floating, residence_permit_expires="2026-01-01"
    )
    person = actions.record_person(
        actor=personas.grid_a,
        data={"id_number": valid_id_number(county="510104"), "name": "陈晨", "current_address": home}
        | floating
        | {"reason_for_coming": "务工"},
    )
    assert person.resident_type == ResidentType.FLOATING


def test_overseas_people_need_nationality_and_document(personas, home):
    overseas = {"resident_type": ResidentType.OVERSEAS, "id_number": ""}

    errors = person_error(personas, home, **overseas, sex="M")
    assert {"nationality", "document_type", "document_number"} <= set(errors)
    assert "sex" in person_error(
        personas, home, **overseas, nationality="KAZ", document_type="passport", document_number="N123"
    )
    person = actions.record_person(
        actor=personas.grid_a,
        data={"name": "Aidos Nurlan", "sex": "M", "current_address": home}
        | overseas
        | {"nationality": "KAZ", "document_type": "passport", "document_number": "N1234567"},
    )
    assert person.id_number is None and person.name_initials == "an"


def test_a_person_lives_in_their_addresss_grid(personas, home):
    assert "grid" in person_error(personas, home, grid=personas.territory.grid_b)
    errors = person_error(personas, home, current_address=None)
    assert "grid" in errors
    person = actions.record_person(
        actor=personas.grid_a,
        data={"id_number": valid_id_number(), "name": "张三", "grid": personas.territory.grid_a.code},
    )
    assert person.grid_id == personas.territory.grid_a.pk and person.current_address is None


def test_unknown_fields_are_named(personas, home):
    assert "shoe_size" in person_error(personas, home, shoe_size=42)


# ---------------------------------------------------------------------------------------------
# addresses, houses, organisations, relations


def test_an_address_gets_its_community_code_and_type_from_its_grid(personas):
    grid = personas.territory.grid_a

    first = actions.record_address(
        actor=personas.grid_a,
        data={"street": "利民街", "door_plate": "3", "building": "2", "room": "501", "grid": grid},
    )
    second = actions.record_address(actor=personas.grid_a, data={"compound": "幸福小区", "grid": grid.pk})

    assert first.code == f"{grid.code}000001" and second.code == f"{grid.code}000002"
    assert first.community == grid.community
    assert (first.element_type, second.element_type) == ("54", "42")
    assert first.full_text == "金积镇金积村利民街3号2栋501室"
    assert len(audit_entries(object_type="registry.address", action="create")) == 2


def test_an_address_is_placed_in_its_grid_by_its_point(personas):
    address = actions.record_address(
        actor=personas.station, data={"street": "关渠路", "door_plate": "1", "lon": 106.115, "lat": 37.905}
    )
    assert address.grid == personas.territory.grid_b

    with pytest.raises(ValidationError) as caught:
        actions.record_address(actor=personas.station, data={"street": "x", "lon": 120.0, "lat": 30.0})
    assert "lon" in errors_of(caught)


def test_an_address_needs_a_street_or_compound_and_its_grids_community(personas):
    t = personas.territory
    with pytest.raises(ValidationError) as caught:
        actions.record_address(
            actor=personas.grid_a, data={"door_plate": "3", "grid": t.grid_a, "community": t.village_b}
        )
    assert {"street", "community"} <= set(errors_of(caught))


def test_moving_an_address_moves_what_lives_there(personas, home):
    # given a tagged person at the address
    person = make_person(home)
    CareTag.objects.create(person=person, kind=CareTagKind.KEY_YOUTH)

    # when the station moves the address to grid B
    actions.record_address(actor=personas.station, address=home, data={"grid": personas.territory.grid_b})

    # then the house, the person and the tag follow
    grid_b = personas.territory.grid_b
    assert House.objects.unscoped(reason=UNSCOPED).get(address=home).scope_path == grid_b.scope_path
    person = people().get(pk=person.pk)
    assert person.grid_id == grid_b.pk and person.scope_path == grid_b.scope_path
    assert CareTag.objects.unscoped(reason=UNSCOPED).get(person=person).scope_path == grid_b.scope_path
    assert selectors.history_of(person)[-1].after == {"grid_id": grid_b.pk}
    assert len(audit_entries(object_type="registry.address", action="update")) == 1


def test_an_address_in_use_cannot_be_retired(personas, home):
    with pytest.raises(ValidationError) as caught:
        actions.retire_address(home, actor=personas.grid_a, reason="拆迁")
    assert "address" in errors_of(caught)

    house = House.objects.unscoped(reason=UNSCOPED).get(address=home)
    actions.retire_house(house, actor=personas.grid_a, reason="拆迁")
    actions.retire_address(home, actor=personas.grid_a, reason="拆迁")
    home = Address.objects.unscoped(reason=UNSCOPED).get(pk=home.pk)
    assert home.retired_at is not None and not home.in_use


def test_a_house_per_address_and_occupants_from_relations(personas, home):
    t = personas.territory
    address = make_address(t.grid_a)
    owner = make_person(address)

    house = actions.record_house(
        actor=personas.grid_a,
        data={"address": address, "use": "residential", "owner": owner, "area_m2": "86.5"},
    )
    with pytest.raises(ValidationError) as caught:
        actions.record_house(actor=personas.grid_a, data={"address": address})
    assert "address" in errors_of(caught)

    tenant = make_person(address)
    actions.record_residence(
        actor=personas.grid_a,
        data={"person": tenant, "house": house, "kind": "renting", "start_date": "2025-03-03"},
    )
    actions.record_residence(actor=personas.grid_a, data={"person": owner, "house": house, "kind": "owner"})

    house = House.objects.unscoped(reason=UNSCOPED).get(pk=house.pk)
    assert house.occupant_count == 2 and house.is_rented
    assert str(house.area_m2) == "86.50"


def test_a_tenancy_needs_its_move_in_date_and_ends(personas, home):
    house = House.objects.unscoped(reason=UNSCOPED).get(address=home)
    tenant = make_person(home)

    with pytest.raises(ValidationError) as caught:
        actions.record_residence(
            actor=personas.grid_a, data={"person": tenant, "house": house, "kind": "renting"}
        )
    assert "start_date" in errors_of(caught)

    residence = actions.record_residence(
        actor=personas.grid_a,
        data={"person": tenant, "house": house, "kind": "renting", "start_date": dt.date(2025, 1, 6)},
    )
    actions.end_residence(residence, actor=personas.grid_a, end_date=dt.date(2025, 6, 30))

    residence = Residence.objects.unscoped(reason=UNSCOPED).get(pk=residence.pk)
    assert residence.end_date == dt.date(2025, 6, 30)
    assert House.objects.unscoped(reason=UNSCOPED).get(pk=house.pk).occupant_count == 0
    assert [r.action for r in selectors.history_of(residence)] == ["create", "update"]


def test_organisations_validate_their_credit_code_and_trades(personas, home):
    with pytest.raises(ValidationError) as caught:
        actions.record_organisation(
            actor=personas.grid_a, data={"credit_code": "91350100M000100Y44", "name": "x", "address": home}
        )
    assert errors_of(caught)["credit_code"] == ["check character should be 3, not 4"]

    org = actions.record_organisation(
        actor=personas.grid_a,
        data={
            "credit_code": valid_credit_code().lower(),
            "name": "吴忠市金积快递服务部",
            "org_type": "individual_business",
            "address": home.pk,
            "special_trades": ["logistics"],
            "legal_representative_id": "11010519491231002x",
        },
    )
    assert org.special_trades == ["logistics"] and org.logistics and not org.hotel
    assert org.grid_id == home.grid_id and org.legal_representative_id == "11010519491231002X"

    tenant = make_person(home)
    job = actions.record_employment(
        actor=personas.grid_a, data={"person": tenant, "organisation": org, "role": "快递员"}
    )
    actions.retire_organisation(org, actor=personas.grid_a, reason="注销")
    assert selectors.history_of(job)[-1].after["end_date"] is not None


# ---------------------------------------------------------------------------------------------
# reveal


def test_revealing_needs_the_role_a_reason_and_is_audited(personas, home):
    person = make_person(home, phone="13912345678")

    # grid workers see masked numbers only
    with pytest.raises(PermissionDenied):
        actions.reveal_person_field(person, "id_number", actor=personas.grid_a, reason="核查")
    # a reason is required
    with pytest.raises(ValidationError) as caught:
        actions.reveal_person_field(person, "id_number", actor=personas.officer, reason=" ")
    assert "reason" in errors_of(caught)
    assert not audit_entries(action="reveal")

    # when the community officer gives one
    whole = actions.reveal_person_field(person, "id_number", actor=personas.officer, reason="出具证明")
    phone = actions.reveal_person_field(person, "phone", actor=personas.station, reason="联系本人")

    # then
    assert whole == person.id_number and phone == "13912345678"
    entries = audit_entries(action="reveal")
    assert [(e.actor, e.reason, e.after["field"]) for e in entries] == [
        (personas.officer, "出具证明", "id_number"),
        (personas.station, "联系本人", "phone"),
    ]


def test_revealing_outside_ones_scope_is_not_found(personas):
    stranger = make_person(make_address(personas.territory.grid_b))

    with pytest.raises(OutOfScope):
        actions.reveal_person_field(stranger, "id_number", actor=personas.officer, reason="x")
    with pytest.raises(ValidationError):
        actions.reveal_person_field(stranger, "name", actor=personas.station, reason="x")


# ---------------------------------------------------------------------------------------------
# care tags


def test_tagging_needs_the_care_tag_permission(personas, home):
    person = make_person(home)

    with pytest.raises(PermissionDenied):
        actions.tag_person(person, actor=personas.officer, kind=CareTagKind.DRUG_USER)
    assert not CareTag.objects.unscoped(reason=UNSCOPED).exists()


def test_tagging_and_untagging(personas, home):
    officer = with_care_permission(personas.officer)
    person = make_person(home)

    with pytest.raises(ValidationError) as caught:
        actions.tag_person(person, actor=officer, kind=CareTagKind.MENTAL_ILLNESS)
    assert "risk_grade" in errors_of(caught)
    with pytest.raises(ValidationError):
        actions.tag_person(person, actor=officer, kind=CareTagKind.DRUG_USER, risk_grade=2)

    tag = actions.tag_person(person, actor=officer, kind=CareTagKind.MENTAL_ILLNESS, risk_grade=3)
    again = actions.tag_person(person, actor=officer, kind=CareTagKind.MENTAL_ILLNESS, risk_grade=4)
    assert again.pk == tag.pk and again.risk_grade == 4 and again.scope_path == person.scope_path

    actions.untag_person(again, actor=officer, reason="康复")
    tag = CareTag.objects.unscoped(reason=UNSCOPED).get(pk=tag.pk)
    assert tag.retired_at is not None and tag.until is not None
    assert [r.action for r in selectors.history_of(tag)] == ["create", "update", "retire"]
    assert [e.action for e in audit_entries(object_type="registry.caretag")] == ["create", "update", "retire"]
