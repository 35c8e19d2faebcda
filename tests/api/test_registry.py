"""The registry through the API: search with masking per persona, records created, changed, retired
and revealed through the registry's actions, errors naming the field, 404 outside the scope."""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from fengqiao.api.registry import router as registry_api
from fengqiao.core.models import AuditEntry
from fengqiao.registry.models import House, Organisation, Person, RecordHistory
from tests.fixtures.api import fields_of
from tests.fixtures.registry import (
    make_address,
    make_house,
    make_organisation,
    make_person,
    valid_credit_code,
    valid_id_number,
)

API = "/api/v1/registry"
PEOPLE = f"{API}/people"


def everyone(model):
    return model.objects.unscoped(reason="test: what is in the database")


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["items"]]


@pytest.fixture
def world(registry_world):
    """registry_world (张三 in A, 李四 in B, 王五 in C), plus 张伟 and 周松 in A."""
    w = registry_world
    w.zhangwei = make_person(w.address_a, name="张伟", phone="13800001111")
    w.zhousong = make_person(w.address_a, name="周松")
    return w


# --- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "key", "found"),
    [
        ("zs", "pinyin", ["张三", "周松"]),
        ("zhangsan", "pinyin", ["张三"]),
        ("zhang", "pinyin", ["张三", "张伟"]),
        ("张", "name", ["张三", "张伟"]),
        ("13800001111", "phone", ["张伟"]),
        ("138 0000 1111", "phone", ["张伟"]),
        ("滨河路", "address", ["张三", "张伟", "周松"]),
    ],
)
def test_people_are_found_by_each_key(api, world, q, key, found):
    response = api.get(PEOPLE, as_=world.personas.grid_a, params={"q": q})
    assert sorted(names(response)) == sorted(found)
    body = response.json()
    assert body["search"] == {"key": key, "notice": ""}
    assert (body["count"], body["count_exact"]) == (len(found), True)


def test_an_id_number_finds_its_person_in_any_spelling(api, world):
    number = world.person_a.id_number
    for typed in (number, number.lower(), number[:6] + " " + number[6:]):
        response = api.get(PEOPLE, as_=world.personas.officer, params={"q": typed})
        assert names(response) == ["张三"]
        assert response.json()["search"]["key"] == "id_number"


def test_a_number_that_cannot_be_valid_finds_nobody_and_says_why(api, world):
    number = world.person_a.id_number
    wrong = number[:17] + ("1" if number[17] != "1" else "2")
    response = api.get(PEOPLE, as_=world.personas.officer, params={"q": wrong})
    assert names(response) == []
    assert "check character" in response.json()["search"]["notice"]


def test_by_forces_the_key(api, world):
    response = api.get(PEOPLE, as_=world.personas.grid_a, params={"q": "滨河", "by": "address"})
    assert sorted(names(response)) == ["周松", "张三", "张伟"]
    assert names(api.get(PEOPLE, as_=world.personas.grid_a, params={"q": "滨河", "by": "name"})) == []


@pytest.mark.parametrize(
    ("persona", "found"),
    [
        ("grid_a", ["张三"]),
        ("grid_b", []),
        ("officer", ["张三"]),
        ("station", ["张三"]),
        ("city", ["张三"]),
        ("admin", ["张三"]),
    ],
)
def test_grid_b_cannot_find_grid_as_people_by_any_key(api, world, persona, found):
    a = world.person_a
    user = getattr(world.personas, persona)
    for q in (a.id_number, a.id_number.lower(), "张三", "zhangsan", "zs", "zhang", "张"):
        got = [n for n in names(api.get(PEOPLE, as_=user, params={"q": q})) if n == "张三"]
        assert got == found, q


def test_the_phone_shared_by_three_people_finds_those_in_scope(api, world):
    # 张三 (A), 李四 (B) and 王五 (C) share a phone number
    assert names(api.get(PEOPLE, as_=world.personas.grid_b, params={"q": "13912345678"})) == ["李四"]
    assert sorted(names(api.get(PEOPLE, as_=world.personas.station, params={"q": "13912345678"}))) == [
        "张三",
        "李四",
    ]


def test_residents_may_not_search_the_registry(api, world):
    response = api.get(PEOPLE, as_=world.personas.resident, params={"q": "zhangsan"})
    assert response.status_code == 403
    assert "张三".encode() not in response.content


def test_anonymous_callers_are_401(api, world):
    assert api.get(PEOPLE, params={"q": "zs"}).status_code == 401


def test_filters_narrow_within_the_scope(api, world):
    t = world.personas.territory
    by_grid = api.get(PEOPLE, as_=world.personas.station, params={"grid": t.grid_b.code})
    assert names(by_grid) == ["李四"]
    outside = api.get(PEOPLE, as_=world.personas.grid_a, params={"grid": t.grid_b.code})
    assert names(outside) == []
    floating = api.get(PEOPLE, as_=world.personas.station, params={"resident_type": "floating"})
    assert names(floating) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"by": "colour"}, "by"),
        ({"grid": "6403"}, "grid"),
        ({"resident_type": "tourist"}, "resident_type"),
        ({"q": "x" * 101}, "q"),
        ({"limit": 0}, "limit"),
        ({"include_retired": "perhaps"}, "include_retired"),
    ],
)
def test_bad_search_parameters_are_422_naming_the_field(api, world, params, field):
    response = api.get(PEOPLE, as_=world.personas.station, params=params)
    assert response.status_code == 422
    assert fields_of(response) == {field}


def test_pages_of_a_search_and_a_count_that_stops_counting(api, world, monkeypatch):
    grid_a = world.personas.grid_a
    # given four people in A whose names start with zh / z
    first = api.get(PEOPLE, as_=grid_a, params={"q": "z", "limit": 2}).json()
    second = api.get(PEOPLE, as_=grid_a, params={"q": "z", "limit": 2, "offset": 2}).json()
    # then the pages hold each once and give the whole count
    assert (first["count"], first["count_exact"], second["count"]) == (3, True, 3)
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})
    # when counting stops at two
    monkeypatch.setattr(registry_api, "COUNT_CAP", 2)
    capped = api.get(PEOPLE, as_=grid_a, params={"q": "z", "limit": 1}).json()
    assert (capped["count"], capped["count_exact"]) == (2, False)


def test_retired_people_are_listed_only_when_asked_for(api, world):
    api.post(f"{PEOPLE}/{world.zhangwei.pk}/retire", {"reason": "moved away"}, as_=world.personas.grid_a)
    assert "张伟" not in names(api.get(PEOPLE, as_=world.personas.grid_a, params={"q": "zhang"}))
    listed = api.get(PEOPLE, as_=world.personas.grid_a, params={"q": "zhang", "include_retired": True})
    assert "张伟" in names(listed)


# --- masking ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["grid_a", "officer", "station", "city", "admin"])
def test_numbers_are_masked_for_every_persona_by_default(api, world, persona):
    user = getattr(world.personas, persona)
    number = world.person_a.id_number
    listed = api.get(PEOPLE, as_=user, params={"q": number}).json()["items"][0]
    detail = api.get(f"{PEOPLE}/{world.person_a.pk}", as_=user).json()
    for shown in (listed, detail):
        assert shown["id_number"] == number[:4] + "*" * 12 + number[-2:]
        assert shown["phone"] == "139****5678"
    assert number.encode() not in api.get(f"{PEOPLE}/{world.person_a.pk}", as_=user).content


@override_settings(FENGQIAO_REGISTRY_WHOLE_NUMBER_ROLES=["city_command"])
def test_a_role_set_to_see_whole_numbers_sees_them(api, world):
    number = world.person_a.id_number
    city = api.get(PEOPLE, as_=world.personas.city, params={"q": number}).json()["items"][0]
    station = api.get(PEOPLE, as_=world.personas.station, params={"q": number}).json()["items"][0]
    assert (city["id_number"], city["phone"]) == (number, "13912345678")
    assert station["id_number"] != number and station["phone"] == "139****5678"


# --- reveal -----------------------------------------------------------------------------------


def reveal(api, user, person, field="id_number", reason="核实身份"):
    return api.post(f"{PEOPLE}/{person.pk}/reveal", {"field": field, "reason": reason}, as_=user)


@pytest.mark.parametrize("field", ["id_number", "phone"])
def test_an_officer_reveals_a_whole_number_for_a_reason_and_it_is_audited(api, world, field):
    person = world.person_a
    response = reveal(api, world.personas.officer, person, field, reason="调解纠纷需联系当事人")
    assert response.status_code == 200, response.content
    assert response.json() == {"field": field, "value": getattr(person, field)}
    entry = AuditEntry.objects.get(action="reveal")
    assert (entry.actor, entry.source, entry.object_id) == (world.personas.officer, "api", str(person.pk))
    assert entry.reason == "调解纠纷需联系当事人"
    assert entry.after["field"] == field
    assert getattr(person, field) not in str(entry.after)


def test_a_grid_worker_may_not_reveal(api, world):
    response = reveal(api, world.personas.grid_a, world.person_a)
    assert response.status_code == 403
    assert world.person_a.id_number.encode() not in response.content
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_revealing_out_of_scope_is_404_like_a_missing_person(api, world):
    out = reveal(api, world.personas.officer, world.person_b)
    missing = api.post(
        f"{PEOPLE}/999999/reveal", {"field": "phone", "reason": "x"}, as_=world.personas.officer
    )
    assert out.status_code == missing.status_code == 404
    assert out.json() == missing.json()
    assert not AuditEntry.objects.filter(action="reveal").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"field": "id_number"}, "reason"),
        ({"field": "id_number", "reason": ""}, "reason"),
        ({"field": "name", "reason": "x"}, "field"),
        ({"reason": "x"}, "field"),
        ({"field": "phone", "reason": "x", "why": "y"}, "why"),
    ],
)
def test_a_reveal_needs_a_field_and_a_reason(api, world, payload, field):
    response = api.post(f"{PEOPLE}/{world.person_a.pk}/reveal", payload, as_=world.personas.officer)
    assert response.status_code == 422
    assert fields_of(response) == {field}
    assert not AuditEntry.objects.filter(action="reveal").exists()


# --- people: detail, create, change, retire, history --------------------------------------------


def test_a_person_out_of_scope_is_404_exactly_like_a_missing_one(api, world):
    out = api.get(f"{PEOPLE}/{world.person_b.pk}", as_=world.personas.grid_a)
    missing = api.get(f"{PEOPLE}/999999", as_=world.personas.grid_a)
    assert out.status_code == missing.status_code == 404
    assert out.json() == missing.json()
    assert b"\\u674e\\u56db" not in out.content  # 李四


def test_a_person_in_detail(api, world):
    body = api.get(f"{PEOPLE}/{world.person_a.pk}", as_=world.personas.grid_a).json()
    assert body["name"] == "张三"
    assert (body["name_pinyin"], body["name_initials"]) == ("zhangsan", "zs")
    assert body["grid"] == {"code": world.personas.territory.grid_a.code, "name": "金积村第一网格"}
    assert body["current_address"]["code"] == world.address_a.code


def test_a_grid_worker_records_a_person_who_is_found_and_audited(api, world):
    number = valid_id_number(sex="F")
    # when grid A's worker records a person at an address of their grid, typing a lower-case x …
    payload = {
        "name": "马丽",
        "id_number": number,
        "phone": "139-0000-2222",
        "current_address": world.address_a.code,
    }
    response = api.post(PEOPLE, payload, as_=world.personas.grid_a)
    # then the person exists with sex and birth date from the number, in grid A
    assert response.status_code == 201, response.content
    body = response.json()
    person = everyone(Person).get(pk=body["id"])
    assert (person.id_number, person.sex, person.phone) == (number, "F", "13900002222")
    assert person.grid_id == world.personas.territory.grid_a.pk
    assert body["phone"] == "139****2222"
    # and is found by pinyin, audited as created through the API, and has its first history row
    assert "马丽" in names(api.get(PEOPLE, as_=world.personas.grid_a, params={"q": "mali"}))
    entry = AuditEntry.objects.get(action="create", object_type="registry.person")
    assert (entry.actor, entry.source) == (world.personas.grid_a, "api")
    assert number not in str(entry.after)
    assert RecordHistory.objects.filter(record_kind="person", record_id=person.pk, version=1).exists()


def test_a_15_digit_number_is_recorded_as_its_18_digit_form(api, world):
    response = api.post(
        PEOPLE,
        {"name": "杨军", "id_number": "640302800101001", "current_address": world.address_a.code},
        as_=world.personas.grid_a,
    )
    assert response.status_code == 201, response.content
    assert everyone(Person).get(pk=response.json()["id"]).id_number == "640302198001010011"


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"id_number": "640302198001010012"}, {"id_number"}),
        ({"id_number": "6.40302E+17"}, {"id_number"}),
        ({"id_number": "６４０３０２１９８００１０１００１１"}, {"id_number"}),
        ({"sex": "F"}, {"sex"}),
        ({"birth_date": "1981-01-01"}, {"birth_date"}),
        ({"sex": "X"}, {"sex"}),
        ({"phone": "12345"}, {"phone"}),
        ({"current_address": "640302100202001999999"}, {"current_address"}),
        ({"name": ""}, {"name"}),
        ({"colour": "red"}, {"colour"}),
        ({"resident_type": "floating"}, {"reason_for_coming"}),
        ({"birth_date": "1980-02-30"}, {"birth_date"}),
    ],
)
def test_a_bad_person_is_422_naming_the_field_and_nothing_is_written(api, world, change, fields):
    payload = {"name": "杨军", "id_number": "640302198001010011", "current_address": world.address_a.code}
    response = api.post(PEOPLE, {**payload, **change}, as_=world.personas.grid_a)
    assert response.status_code == 422, response.content
    assert fields_of(response) == fields
    assert not everyone(Person).filter(name="杨军").exists()
    assert not AuditEntry.objects.filter(action="create").exists()


def test_an_id_number_is_recorded_once(api, world):
    payload = {"name": "张三", "id_number": world.person_a.id_number, "current_address": world.address_a.code}
    response = api.post(PEOPLE, payload, as_=world.personas.grid_a)
    assert response.status_code == 422
    assert fields_of(response) == {"id_number"}


def test_a_person_placed_in_a_grid_out_of_scope_is_404_and_nothing_is_written(api, world):
    t = world.personas.territory
    payload = {"name": "杨军", "id_number": "640302198001010011", "grid": t.grid_b.code}
    response = api.post(PEOPLE, payload, as_=world.personas.grid_a)
    assert response.status_code == 404
    assert not everyone(Person).filter(name="杨军").exists()


def test_a_resident_may_not_record_people(api, world):
    payload = {
        "name": "杨军",
        "id_number": "640302198001010011",
        "grid": world.personas.territory.grid_a.code,
    }
    response = api.post(PEOPLE, payload, as_=world.personas.resident)
    assert response.status_code == 403
    assert not everyone(Person).filter(name="杨军").exists()


def test_changing_a_person_keeps_history_and_history_is_masked(api, world):
    grid_a, person = world.personas.grid_a, world.person_a
    response = api.patch(f"{PEOPLE}/{person.pk}", {"phone": "13700003333", "occupation": "司机"}, as_=grid_a)
    assert response.status_code == 200, response.content
    assert response.json()["occupation"] == "司机"
    assert everyone(Person).get(pk=person.pk).phone == "13700003333"
    rows = api.get(f"{PEOPLE}/{person.pk}/history", as_=grid_a).json()
    change = rows[-1]
    assert (change["action"], change["actor"], change["source"]) == ("update", "grid_a", "api")
    assert change["before"] == {"phone": "139****5678", "occupation": ""}
    assert change["after"] == {"phone": "137****3333", "occupation": "司机"}


def test_a_bad_change_is_422_and_changes_nothing(api, world):
    person = world.person_a
    response = api.patch(
        f"{PEOPLE}/{person.pk}", {"sex": "F", "occupation": "司机"}, as_=world.personas.grid_a
    )
    assert response.status_code == 422
    assert fields_of(response) == {"sex"}
    assert everyone(Person).get(pk=person.pk).occupation == ""


@pytest.mark.parametrize("change", [{"name": None}, {"name": ""}, {"resident_type": None}])
def test_null_or_empty_is_not_a_value_of_a_required_field(api, world, change):
    response = api.patch(f"{PEOPLE}/{world.person_a.pk}", change, as_=world.personas.grid_a)
    assert response.status_code == 422
    assert fields_of(response) == set(change)


def test_changing_a_person_out_of_scope_is_404(api, world):
    response = api.patch(f"{PEOPLE}/{world.person_b.pk}", {"occupation": "司机"}, as_=world.personas.grid_a)
    assert response.status_code == 404
    assert everyone(Person).get(pk=world.person_b.pk).occupation == ""


def test_retiring_a_person_keeps_them_and_says_why(api, world):
    person = world.person_a
    response = api.post(f"{PEOPLE}/{person.pk}/retire", {"reason": "迁出"}, as_=world.personas.grid_a)
    assert response.status_code == 200, response.content
    assert response.json()["retired_at"]
    assert everyone(Person).get(pk=person.pk).retired_at is not None
    entry = AuditEntry.objects.get(action="retire")
    assert (entry.reason, entry.object_id) == ("迁出", str(person.pk))
    # the page still answers, and the history names the reason
    assert api.get(f"{PEOPLE}/{person.pk}", as_=world.personas.grid_a).status_code == 200
    last = api.get(f"{PEOPLE}/{person.pk}/history", as_=world.personas.grid_a).json()[-1]
    assert (last["action"], last["reason"]) == ("retire", "迁出")


def test_retiring_needs_a_reason(api, world):
    response = api.post(f"{PEOPLE}/{world.person_a.pk}/retire", {}, as_=world.personas.grid_a)
    assert response.status_code == 422
    assert fields_of(response) == {"reason"}
    assert everyone(Person).get(pk=world.person_a.pk).retired_at is None


def test_history_out_of_scope_is_404(api, world):
    assert api.get(f"{PEOPLE}/{world.person_b.pk}/history", as_=world.personas.grid_a).status_code == 404


# --- addresses --------------------------------------------------------------------------------


def test_addresses_are_found_by_code_or_text(api, world):
    grid_a = world.personas.grid_a
    by_code = api.get(f"{API}/addresses", as_=grid_a, params={"q": world.address_a.code}).json()
    assert [a["id"] for a in by_code["items"]] == [world.address_a.pk]
    assert by_code["search"]["key"] == "code"
    by_text = api.get(f"{API}/addresses", as_=grid_a, params={"q": "滨河路"}).json()
    assert [a["id"] for a in by_text["items"]] == [world.address_a.pk]
    assert api.get(f"{API}/addresses", as_=grid_a, params={"q": world.address_b.code}).json()["count"] == 0


def test_an_address_is_recorded_with_a_generated_code_and_changed(api, world):
    t = world.personas.territory
    response = api.post(
        f"{API}/addresses",
        {"grid": t.grid_a.code, "street": "利民街", "door_plate": "12", "building": "3", "room": "301"},
        as_=world.personas.grid_a,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"].startswith(t.grid_a.code)
    assert body["full_text"] == "金积镇金积村利民街12号3栋301室"
    assert body["community"]["code"] == t.village_a.code
    changed = api.patch(f"{API}/addresses/{body['id']}", {"room": "302"}, as_=world.personas.grid_a)
    assert changed.status_code == 200, changed.content
    assert changed.json()["full_text"].endswith("302室")


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"street": ""}, {"street"}),
        ({"community": "640302100202"}, {"community"}),
        ({"community": "640302100299"}, {"community"}),
        ({"grid": "640302100201099"}, {"grid"}),
        ({"lon": 200}, {"lon"}),
        ({"element_type": "99"}, {"element_type"}),
    ],
)
def test_a_bad_address_is_422_naming_the_field(api, world, change, fields):
    t = world.personas.territory
    payload = {"grid": t.grid_a.code, "street": "利民街", "door_plate": "12", **change}
    response = api.post(f"{API}/addresses", payload, as_=world.personas.grid_a)
    assert response.status_code == 422, response.content
    assert fields_of(response) == fields


def test_an_address_in_use_cannot_be_retired_and_a_free_one_can(api, world):
    grid_a = world.personas.grid_a
    in_use = api.post(f"{API}/addresses/{world.address_a.pk}/retire", {"reason": "拆除"}, as_=grid_a)
    assert in_use.status_code == 422
    assert fields_of(in_use) == {"address"}
    free = make_address(world.personas.territory.grid_a)
    retired = api.post(f"{API}/addresses/{free.pk}/retire", {"reason": "拆除"}, as_=grid_a)
    assert retired.status_code == 200, retired.content
    assert retired.json()["in_use"] is False
    history = api.get(f"{API}/addresses/{free.pk}/history", as_=grid_a).json()
    assert [row["action"] for row in history] == ["retire"]


# --- houses -----------------------------------------------------------------------------------


def test_a_house_is_recorded_with_its_owner_named_by_id_number(api, world):
    grid_a = world.personas.grid_a
    address = make_address(world.personas.territory.grid_a, compound="幸福小区", building="5", room="101")
    owner = world.person_a
    payload = {"address": address.code, "owner": owner.id_number.lower(), "area_m2": "89.50", "rooms": 3}
    response = api.post(f"{API}/houses", payload, as_=grid_a)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"] == {
        "id": owner.pk,
        "name": "张三",
        "id_number": owner.id_number[:4] + "*" * 12 + owner.id_number[-2:],
    }
    assert body["area_m2"] == "89.50"
    assert everyone(House).get(pk=body["id"]).owner_id == owner.pk
    found = api.get(f"{API}/houses", as_=grid_a, params={"q": "幸福小区"}).json()
    assert [h["id"] for h in found["items"]] == [body["id"]]


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"owner": "110105194912310021"}, {"owner"}),
        ({"owner": "11010519491231002X"}, {"owner"}),
        ({"address": "nowhere"}, {"address"}),
        ({"area_m2": 0}, {"area_m2"}),
        ({"rooms": -1}, {"rooms"}),
        ({"use": "castle"}, {"use"}),
    ],
)
def test_a_bad_house_is_422_naming_the_field(api, world, change, fields):
    address = make_address(world.personas.territory.grid_a)
    response = api.post(f"{API}/houses", {"address": address.code, **change}, as_=world.personas.grid_a)
    assert response.status_code == 422, response.content
    assert fields_of(response) == fields
    assert not everyone(House).filter(address=address).exists()


def test_an_owner_out_of_scope_is_unknown(api, world):
    address = make_address(world.personas.territory.grid_a)
    payload = {"address": address.code, "owner": world.person_b.id_number}
    response = api.post(f"{API}/houses", payload, as_=world.personas.grid_a)
    assert response.status_code == 422
    assert fields_of(response) == {"owner"}


def test_an_address_has_one_house(api, world):
    response = api.post(f"{API}/houses", {"address": world.address_a.code}, as_=world.personas.grid_a)
    assert response.status_code == 422
    assert fields_of(response) == {"address"}


def test_retiring_a_house(api, world):
    response = api.post(
        f"{API}/houses/{world.house_a.pk}/retire", {"reason": "拆迁"}, as_=world.personas.officer
    )
    assert response.status_code == 200, response.content
    assert response.json()["retired_at"]
    assert api.get(f"{API}/houses", as_=world.personas.officer).json()["count"] == 0


# --- organisations ----------------------------------------------------------------------------


def test_an_organisation_is_recorded_found_and_masked(api, world):
    grid_a = world.personas.grid_a
    code = valid_credit_code()
    payload = {
        "credit_code": code.lower(),
        "name": "吴忠市利民宾馆",
        "org_type": "individual_business",
        "legal_representative": "张三",
        "legal_representative_id": world.person_a.id_number,
        "address": world.address_a.code,
        "hotel": True,
        "phone": "0953-7654321",
    }
    response = api.post(f"{API}/organisations", payload, as_=grid_a)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["credit_code"] == code
    assert body["special_trades"] == ["hotel"]
    assert body["legal_representative_id"] != world.person_a.id_number
    assert body["phone"] == "0953***4321"
    for q in (code, "宾馆", "0953-7654321"):
        found = api.get(f"{API}/organisations", as_=grid_a, params={"q": q}).json()
        assert [o["id"] for o in found["items"]] == [body["id"]], q
    assert api.get(f"{API}/organisations", as_=world.personas.grid_b, params={"q": code}).json()["count"] == 0


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"credit_code": "91640302MA00001010"}, {"credit_code"}),
        ({"credit_code": "91640302MA000010I1"}, {"credit_code"}),
        ({"name": ""}, {"name"}),
        ({"address": None, "grid": None}, {"address"}),
        ({"legal_representative_id": "123"}, {"legal_representative_id"}),
        ({"hotel": "yes"}, {"hotel"}),
    ],
)
def test_a_bad_organisation_is_422_naming_the_field(api, world, change, fields):
    payload = {
        "credit_code": valid_credit_code(),
        "name": "新单位",
        "address": world.address_a.code,
        **change,
    }
    response = api.post(f"{API}/organisations", payload, as_=world.personas.grid_a)
    assert response.status_code == 422, response.content
    assert fields_of(response) == fields
    assert not everyone(Organisation).filter(name="新单位").exists()


def test_changing_and_retiring_an_organisation(api, world):
    unit = make_organisation(world.address_a)
    grid_a = world.personas.grid_a
    changed = api.patch(f"{API}/organisations/{unit.pk}", {"internet_cafe": True}, as_=grid_a)
    assert changed.status_code == 200, changed.content
    assert changed.json()["special_trades"] == ["internet_cafe"]
    retired = api.post(f"{API}/organisations/{unit.pk}/retire", {"reason": "注销"}, as_=grid_a)
    assert retired.status_code == 200
    rows = api.get(f"{API}/organisations/{unit.pk}/history", as_=grid_a).json()
    assert [row["action"] for row in rows] == ["update", "retire"]


def test_organisation_out_of_scope_is_404(api, world):
    unit = make_organisation(world.address_b)
    grid_a = world.personas.grid_a
    assert api.get(f"{API}/organisations/{unit.pk}", as_=grid_a).status_code == 404
    assert api.patch(f"{API}/organisations/{unit.pk}", {"industry": "x"}, as_=grid_a).status_code == 404
    assert api.post(f"{API}/organisations/{unit.pk}/retire", {"reason": "x"}, as_=grid_a).status_code == 404


# --- documentation ----------------------------------------------------------------------------


def test_the_registry_is_in_the_openapi_schema(api, world):
    schema = api.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/registry/people",
        "/api/v1/registry/people/{record_id}",
        "/api/v1/registry/people/{record_id}/reveal",
        "/api/v1/registry/people/{record_id}/history",
        "/api/v1/registry/addresses",
        "/api/v1/registry/houses",
        "/api/v1/registry/organisations",
    ):
        assert path in paths, path
    assert "post" in paths["/api/v1/registry/people/{record_id}/reveal"]
    assert {"get", "patch"} <= set(paths["/api/v1/registry/people/{record_id}"])


# --- statistics -------------------------------------------------------------------------------

STATS = f"{API}/statistics"


@pytest.fixture
def collected(world):
    """People collected in March 2025 and March 2024 in grids A, B and C; a house and an
    organisation in A in March 2025; one retired person in A in March 2025, not counted."""
    t = world.personas.territory
    dates = {
        t.grid_a: [dt.date(2025, 3, 3)] * 4 + [dt.date(2024, 3, 9)] * 2,
        t.grid_b: [dt.date(2025, 3, 20)] + [dt.date(2024, 3, 1)] * 2,
        t.grid_c: [dt.date(2025, 3, 31)],
    }
    for grid, days in dates.items():
        address = make_address(grid)
        for day in days:
            make_person(address, name="统计", collected_at=day)
    a = make_address(t.grid_a)
    make_house(a, collected_at=dt.date(2025, 3, 5))
    make_organisation(a, collected_at=dt.date(2025, 3, 6))
    make_person(a, name="已注销", collected_at=dt.date(2025, 3, 7), retired_at=timezone.now())
    return world


def row(body, code, label):
    return next(r for r in body["rows"] if r["code"] == code and r["period_label"] == label)


def test_the_city_sees_collection_per_county_and_month_with_year_on_year_change(api, collected):
    params = {"period": "month", "start": "2025-03-15", "end": "2025-04-02", "by": "county"}
    response = api.get(STATS, as_=collected.personas.city, params=params)
    assert response.status_code == 200, response.content
    body = response.json()
    # the periods are whole months
    assert (body["start"], body["end"]) == ("2025-03-01", "2025-04-30")
    assert {(r["code"], r["period_label"]) for r in body["rows"]} == {
        (code, label) for code in ("640302", "640381") for label in ("2025-03", "2025-04")
    }
    march = row(body, "640302", "2025-03")
    assert march["people"] == {"count": 5, "last_year": 4, "yoy": 0.25}
    assert march["houses"] == {"count": 1, "last_year": 0, "yoy": None}
    assert march["organisations"]["count"] == 1
    assert march["complete"] is True
    assert row(body, "640381", "2025-03")["people"] == {"count": 1, "last_year": 0, "yoy": None}
    assert row(body, "640302", "2025-04")["people"]["count"] == 0
    assert body["totals"]["people"] == {"count": 6, "last_year": 4, "yoy": 0.5}


def test_statistics_count_only_what_the_caller_sees(api, collected):
    params = {"period": "quarter", "start": "2025-01-01", "end": "2025-03-31", "by": "county"}
    body = api.get(STATS, as_=collected.personas.station, params=params).json()
    # the station sees its county only in part: its own grids A and B
    assert [(r["code"], r["complete"]) for r in body["rows"]] == [("640302", False)]
    assert body["rows"][0]["people"] == {"count": 5, "last_year": 4, "yoy": 0.25}
    by_grid = api.get(STATS, as_=collected.personas.grid_b, params={**params, "by": "grid"}).json()
    assert [(r["code"], r["people"]["count"], r["people"]["last_year"]) for r in by_grid["rows"]] == [
        (collected.personas.territory.grid_b.code, 1, 2)
    ]
    assert by_grid["totals"]["people"] == {"count": 1, "last_year": 2, "yoy": -0.5}


def test_statistics_by_year_default_to_this_year(api, collected):
    body = api.get(STATS, as_=collected.personas.city, params={"period": "year"}).json()
    this_year = timezone.localdate().year
    assert (body["start"], body["end"]) == (f"{this_year}-01-01", f"{this_year}-12-31")
    assert {r["period_label"] for r in body["rows"]} == {str(this_year)}


def test_statistics_by_default_cover_the_twelve_months_up_to_today(api, collected):
    body = api.get(STATS, as_=collected.personas.grid_a).json()
    labels = sorted({r["period_label"] for r in body["rows"]})
    today = timezone.localdate()
    assert len(labels) == 12
    assert labels[-1] == f"{today.year}-{today.month:02d}"
    assert body["by"] == "county" and body["period"] == "month"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "week"}, "period"),
        ({"by": "village"}, "by"),
        ({"start": "2025-02-30"}, "start"),
        ({"start": "2025-05-01", "end": "2025-04-01"}, "start"),
        ({"start": "2000-01-01", "end": "2025-01-01"}, "start"),
    ],
)
def test_bad_statistics_parameters_are_422_naming_the_field(api, collected, params, field):
    response = api.get(STATS, as_=collected.personas.city, params=params)
    assert response.status_code == 422
    assert fields_of(response) == {field}


def test_residents_get_no_statistics(api, collected):
    assert api.get(STATS, as_=collected.personas.resident).status_code == 403
