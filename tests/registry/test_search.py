"""Finding people and places: every key, always within the searcher's scope, through indexes."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from fengqiao.registry import search
from fengqiao.registry.search import Key, classify
from tests.fixtures.registry import (
    make_address,
    make_house,
    make_organisation,
    make_person,
    valid_credit_code,
    valid_id_number,
)

pytestmark = pytest.mark.django_db


def names(results) -> list[str]:
    return [p.name for p in results[:1000]]


@pytest.fixture
def people(territory):
    """In grid A: 张三, 张伟, 张三丰, 周松 (zs too), 李四; in grid B another 张三."""
    t = territory
    home = make_address(t.grid_a, street="利民街", door_plate="12", building="3", room="301")
    other = make_address(t.grid_a, compound="幸福小区", building="5")
    w = type("People", (), {})()
    w.zhangsan = make_person(
        home,
        name="张三",
        id_number="11010519491231002X",
        phone="13912345678",
    )
    w.zhangwei = make_person(other, name="张伟", phone="13800001111")
    w.zhangsanfeng = make_person(other, name="张三丰")
    w.zhousong = make_person(other, name="周松")
    w.lisi = make_person(home, name="李四", phone="09531234567")
    w.zhangsan_b = make_person(make_address(t.grid_b, street="关渠路"), name="张三", phone="13700002222")
    return w


# --- what a query is ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "key", "value"),
    [
        ("11010519491231002X", Key.ID_NUMBER, "11010519491231002X"),
        ("11010519491231002x", Key.ID_NUMBER, "11010519491231002X"),
        (" 110105 19491231 002x ", Key.ID_NUMBER, "11010519491231002X"),
        ("440524800101001", Key.ID_NUMBER, "440524198001010013"),
        ("13912345678", Key.PHONE, "13912345678"),
        ("139-1234-5678", Key.PHONE, "13912345678"),
        ("+86 139 1234 5678", Key.PHONE, "13912345678"),
        ("0953-1234567", Key.PHONE, "09531234567"),
        ("张", Key.NAME, "张"),
        ("张三", Key.NAME, "张三"),
        ("欧阳娜娜", Key.NAME, "欧阳娜娜"),
        ("zs", Key.PINYIN, "zs"),
        ("Zhang San", Key.PINYIN, "zhangsan"),
        ("zhang'san", Key.PINYIN, "zhangsan"),
        ("利民街12号", Key.ADDRESS, "利民街12号"),
        ("金积镇金积村利民街", Key.ADDRESS, "金积镇金积村利民街"),
        ("幸福小区", Key.ADDRESS, "幸福小区"),
        ("王家村", Key.ADDRESS, "王家村"),
        ("马道明", Key.NAME, "马道明"),
        ("张镇江", Key.NAME, "张镇江"),
        ("李村", Key.NAME, "李村"),
        ("", Key.ALL, ""),
    ],
)
def test_a_query_is_read_as_what_it_looks_like(query, key, value):
    found = classify(query)
    assert (found.key, found.value, found.notice) == (key, value, "")


@pytest.mark.parametrize(
    ("query", "key", "reason"),
    [
        ("110105194912310021", Key.ID_NUMBER, "check character should be X, not 1"),
        ("6.40302E+17", Key.ID_NUMBER, "spreadsheet"),
        ("１１０１０５１９４９１２３１００２Ｘ", Key.ID_NUMBER, "full-width"),
        ("110105194913310028", Key.ID_NUMBER, "not a real date"),
        ("139123456789", Key.PHONE, "11 digits"),
        ("+86 5678", Key.PHONE, "not a mainland mobile"),
        ("12", Key.ADDRESS, "Type a whole ID number or phone number"),
    ],
)
def test_a_query_that_cannot_match_says_why(query, key, reason):
    found = classify(query)
    assert found.key == key
    assert found.value == ""
    assert reason in found.notice


# --- people, by each key --------------------------------------------------------------------------


def test_id_number_finds_exactly_one_person_also_typed_in_lower_case(personas, people):
    number = people.zhangsan.id_number
    assert number.endswith("X")
    for typed in (number, number.lower(), f"{number[:6]} {number[6:14]} {number[14:]}"):
        results = search.search_people(personas.station, typed)
        assert results.key == Key.ID_NUMBER
        assert [p.pk for p in results] == [people.zhangsan.pk]


def test_an_old_15_digit_number_finds_the_person_it_became(personas, territory):
    # given a person born in 1980 whose number is recorded in its 18-digit form
    person = make_person(
        make_address(territory.grid_a),
        name="王五",
        id_number=valid_id_number(birth=dt.date(1980, 1, 1), seq=1),
    )
    old = person.id_number[:6] + person.id_number[8:17]
    # when the officer types the old 15-digit number
    results = search.search_people(personas.officer, old)
    # then it is converted and finds them
    assert [p.pk for p in results] == [person.pk]


def test_a_wrong_check_character_finds_nobody_and_says_so(personas, people):
    number = people.zhangsan.id_number
    wrong = number[:17] + ("1" if number[17] != "1" else "2")
    results = search.search_people(personas.station, wrong)
    assert results.count() == 0
    assert list(results) == []
    assert "check character" in results.notice


@pytest.mark.parametrize("query", ["zs", "zhangsan", "ZhangSan", "zhang san", "张三"])
def test_zs_and_zhangsan_find_zhang_san(personas, people, query):
    found = names(search.search_people(personas.grid_a, query))
    assert "张三" in found
    assert "李四" not in found


def test_a_pinyin_prefix_finds_every_name_that_starts_with_it(personas, people):
    assert names(search.search_people(personas.grid_a, "zhang")) == ["张三", "张三丰", "张伟"]
    assert names(search.search_people(personas.grid_a, "zhangs")) == ["张三", "张三丰"]


def test_a_chinese_prefix_finds_every_name_that_starts_with_it(personas, people):
    assert sorted(names(search.search_people(personas.grid_a, "张"))) == sorted(["张三", "张三丰", "张伟"])
    assert sorted(names(search.search_people(personas.grid_a, "张三"))) == ["张三", "张三丰"]
    assert names(search.search_people(personas.grid_a, "三")) == []


def test_pinyin_matches_come_before_matches_by_initials_only(personas, people):
    # "zs" starts the initials of 张三, 周松 and 张三丰 (zsf), and no full pinyin: initials order
    assert names(search.search_people(personas.grid_a, "zs")) == ["张三", "周松", "张三丰"]
    # "zhou" is 周松's pinyin; "z" is everybody's pinyin and initials, pinyin order first
    assert names(search.search_people(personas.grid_a, "zhou")) == ["周松"]
    assert names(search.search_people(personas.grid_a, "z")) == ["张三", "张三丰", "张伟", "周松"]


def test_results_page_across_the_pinyin_and_initials_parts(personas, territory):
    # given 3 people found by pinyin "ls" … none; by initials: 李四, 刘三, 陆松; by pinyin "l": all
    address = make_address(territory.grid_a)
    for name in ("李四", "刘三", "陆松", "罗森", "林思"):
        make_person(address, name=name)
    results = search.search_people(personas.grid_a, "ls")
    # then the count, slices and iteration agree with each other
    everything = [p.name for p in results]
    assert results.count() == len(everything) == 5
    assert [p.name for p in results[1:4]] == everything[1:4]
    assert [p.name for p in results[4:10]] == everything[4:]
    assert results[2].name == everything[2]
    assert results.count_upto(3) == (3, False)
    assert results.count_upto(5) == (5, True)


def test_phone_finds_by_the_whole_number_however_it_is_typed(personas, people):
    for typed in ("13912345678", "139 1234 5678", "+86-139-1234-5678"):
        assert names(search.search_people(personas.grid_a, typed)) == ["张三"]
    assert names(search.search_people(personas.grid_a, "0953-1234567")) == ["李四"]


@pytest.mark.parametrize("query", ["6403", "5678", "403", "1391234567", "64 03", "953-1234"])
def test_a_few_digits_are_a_partial_number_searched_in_the_address_not_a_phone(query):
    found = classify(query)
    digits = query.replace(" ", "").replace("-", "")
    assert (found.key, found.value, found.notice) == (Key.ADDRESS, digits, "")
    assert "phone:" not in found.hint
    assert "Type a whole ID number or phone number, or search by name or address" in found.hint


def test_the_last_four_digits_of_a_phone_find_no_one_by_their_phone(personas, people, settings):
    # given a grid worker (numbers masked) with no exact look-up left this hour
    settings.EXACT_LOOKUPS_PER_HOUR = 0
    # when they type the last four digits of 张三's phone, or the first four of an ID number
    for typed in ("5678", "6403", "1101"):
        results = search.search_people(personas.grid_a, typed)
        # then it is no look-up (not refused, not counted), no phone or ID prefix, and says why
        assert results.key == Key.ADDRESS
        assert results.count() == 0
        assert "Type a whole ID number or phone number" in results.notice


def test_a_door_or_room_number_finds_the_people_living_there(personas, people, settings):
    settings.EXACT_LOOKUPS_PER_HOUR = 0
    results = search.search_people(personas.grid_a, "301")
    assert sorted(names(results)) == ["张三", "李四"]
    assert results.notice  # the hint that whole numbers are looked up whole


def test_address_text_finds_the_people_living_there(personas, people):
    assert sorted(names(search.search_people(personas.grid_a, "利民街12号"))) == ["张三", "李四"]
    assert sorted(names(search.search_people(personas.grid_a, "幸福小区"))) == ["周松", "张三丰", "张伟"]
    assert names(search.search_people(personas.grid_a, "幸福", key=Key.ADDRESS)) == names(
        search.search_people(personas.grid_a, "幸福小区")
    )


def test_an_explicit_key_overrides_the_guess(personas, people):
    # "zhang" read as a name in Latin letters is its pinyin; as an address it matches nothing
    assert names(search.search_people(personas.grid_a, "zhang", key=Key.NAME)) == ["张三", "张三丰", "张伟"]
    assert names(search.search_people(personas.grid_a, "zhang", key=Key.ADDRESS)) == []


def test_retired_people_are_found_only_when_asked_for(personas, people):
    people.zhangwei.retired_at = timezone.now()
    people.zhangwei.save()
    assert "张伟" not in names(search.search_people(personas.grid_a, "zhang"))
    assert "张伟" in names(search.search_people(personas.grid_a, "zhang", include_retired=True))


def test_a_narrower_queryset_narrows_the_search_but_never_widens_the_scope(personas, people):
    from fengqiao.registry.models import Person

    only_b = Person.objects.filter(grid=personas.territory.grid_b)
    assert names(search.search_people(personas.station, "zhangsan", queryset=only_b)) == ["张三"]
    assert names(search.search_people(personas.grid_a, "zhangsan", queryset=only_b)) == []


# --- scope ----------------------------------------------------------------------------------------


def test_grid_b_finds_none_of_grid_as_people_by_any_key(personas, people):
    a = people.zhangsan
    queries = [a.id_number, a.id_number.lower(), a.phone, "张三", "zhangsan", "zs", "张", "利民街12号", ""]
    for query in queries:
        found = list(search.search_people(personas.grid_b, query))
        assert a.pk not in [p.pk for p in found], query
        assert all(p.grid_id == personas.territory.grid_b.id for p in found), query


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("grid_a", {"a"}),
        ("grid_b", {"b"}),
        ("officer", {"a"}),
        ("station", {"a", "b"}),
        ("city", {"a", "b"}),
        ("resident", set()),
        ("admin", {"a", "b"}),
    ],
)
def test_each_persona_finds_the_zhang_sans_of_their_scope(personas, people, persona, expected):
    found = {p.pk for p in search.search_people(getattr(personas, persona), "zhangsan")} - {
        people.zhangsanfeng.pk
    }
    by_place = {"a": people.zhangsan.pk, "b": people.zhangsan_b.pk}
    assert found == {by_place[place] for place in expected}


def test_anonymous_finds_nobody(people):
    from django.contrib.auth.models import AnonymousUser

    assert search.search_people(AnonymousUser(), "zhangsan").count() == 0
    assert search.search_people(None, "").count() == 0


# --- places and units -----------------------------------------------------------------------------


def test_addresses_by_code_or_any_part_of_the_text(personas, territory):
    a = make_address(territory.grid_a, street="利民街", door_plate="12")
    make_address(territory.grid_b, street="利民街", door_plate="14")
    assert [x.pk for x in search.search_addresses(personas.grid_a, a.code)] == [a.pk]
    assert [x.pk for x in search.search_addresses(personas.grid_a, "利民街")] == [a.pk]
    assert search.search_addresses(personas.station, "利民街").count() == 2
    assert search.search_addresses(personas.grid_b, a.code).count() == 0


def test_houses_by_their_address(personas, territory):
    at = {"street": "", "door_plate": "", "compound": "幸福小区", "room": "101"}
    house = make_house(make_address(territory.grid_a, building="5", **at))
    make_house(make_address(territory.grid_b, building="6", **at))
    assert [h.pk for h in search.search_houses(personas.grid_a, "幸福小区5栋")] == [house.pk]
    assert [h.pk for h in search.search_houses(personas.grid_a, house.address.code)] == [house.pk]
    assert search.search_houses(personas.station, "幸福小区").count() == 2


def test_organisations_by_credit_code_phone_name_or_address(personas, territory):
    address = make_address(territory.grid_a, street="利民街", door_plate="8")
    code = valid_credit_code()
    unit = make_organisation(address, name="吴忠市利民宾馆有限公司", credit_code=code, phone="09537654321")
    make_organisation(make_address(territory.grid_b), name="关渠宾馆")
    found = lambda user, q: [o.pk for o in search.search_organisations(user, q)]  # noqa: E731
    assert found(personas.grid_a, code) == [unit.pk]
    assert found(personas.grid_a, code.lower()) == [unit.pk]
    assert found(personas.grid_a, "0953-7654321") == [unit.pk]
    assert found(personas.grid_a, "7654321") == []  # no prefix or suffix of a phone
    assert found(personas.grid_a, "4321") == []
    assert found(personas.grid_a, "宾馆") == [unit.pk]
    assert found(personas.grid_a, "利民街8号") == [unit.pk]
    assert len(found(personas.station, "宾馆")) == 2
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    results = search.search_organisations(personas.grid_a, wrong)
    assert results.count() == 0 and "check character" in results.notice


# --- the database answers from an index -----------------------------------------------------------


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def _searches_by(plan: str, table: str, column: str) -> bool:
    """Whether the plan reads ``table`` through an index on ``column`` (and never scans it)."""
    if connection.vendor == "postgresql":
        conditions = [line for line in plan.splitlines() if "Index Cond:" in line]
        return "Seq Scan" not in plan and any(f"({column})" in line for line in conditions)
    lines = [line for line in plan.splitlines() if table in line]
    return not any(line.startswith("SCAN") for line in lines) and any(
        line.startswith(f"SEARCH {table} USING") and f"({column}" in line for line in lines
    )


@pytest.mark.parametrize(
    ("query", "columns"),
    [
        # encrypted numbers are found through their keyed hashes' indexes (docs/adr/0010)
        ("11010519491231002X", ["id_number_hash"]),
        ("13912345678", ["phone_hash"]),
        ("zhang", ["name_pinyin", "name_initials"]),
        ("zs", ["name_pinyin", "name_initials"]),
        ("张三", ["name"]),
    ],
)
def test_a_city_wide_search_reads_people_through_the_keys_index(personas, people, query, columns):
    results = search.search_people(personas.city, query)
    assert len(results.parts) == len(columns)
    for part, column in zip(results.parts, columns, strict=True):
        plan = _plan(part[:20])
        assert _searches_by(plan, "registry_person", column), plan
