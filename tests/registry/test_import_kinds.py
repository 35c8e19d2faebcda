"""Importing addresses, houses, organisations and relations: keys, placement, the actions' rules,
idempotence, scope, templates."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from fengqiao.core.importing.columns import match_header
from fengqiao.geo import locator
from fengqiao.registry.importing import columns
from fengqiao.registry.importing.runner import run_import
from fengqiao.registry.models import Address, Employment, House, Organisation, RecordHistory, Residence
from tests.fixtures.registry import (
    make_address,
    make_house,
    make_organisation,
    make_person,
    valid_credit_code,
)
from tests.registry.files import read_csv, read_xlsx, write_csv


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture(autouse=True)
def english():
    locator.reset()
    with translation.override("en"):
        yield
    locator.reset()


def unscoped(model):
    return model.objects.unscoped(reason="test")


def errors_of(batch) -> dict[int, list[str]]:
    return {int(r[-3]): r[-2:] for r in read_csv(batch.errors_file)[1:]} if batch.errors_file else {}


# ---------------------------------------------------------------------------------------------
# addresses

ADDRESS_HEADER = [
    "地址编码",
    "网格编码",
    "社区（村）",
    "街路巷",
    "小区",
    "门楼牌号",
    "楼栋",
    "单元",
    "户室",
    "经度",
    "纬度",
]


def test_addresses_are_placed_by_grid_or_point_and_get_a_code(personas, tmp_path):
    t = personas.territory
    a, b = t.grid_a, t.grid_b
    rows = [
        ["640302100201001000777", a.code, "金积村", "利宁街", "", "12", "", "", "", "", ""],  # 2: code given
        ["", a.code, "", "利宁街", "", "14", "3", "1", "201", "", ""],  # 3: code generated
        ["", "", "", "", "金积花园", "", "5", "", "", "106.105", "37.905"],  # 4: by its point
        ["", "", "", "利宁街", "", "16", "", "", "", "100.0", "30.0"],  # 5: point outside every grid
        ["", a.code, "关渠村", "利宁街", "", "18", "", "", "", "", ""],  # 6: not the grid's community
        ["", a.code, "", "", "", "20", "", "", "", "", ""],  # 7: no street, no compound
        ["", b.code, "", "滨河路", "", "1", "", "", "", "", ""],  # 8: outside the officer's scope
        ["640302100201001000777", a.code, "", "利宁街", "", "12", "", "", "", "", ""],  # 9: same code again
    ]
    path = write_csv(tmp_path / "addresses.csv", ADDRESS_HEADER, rows)

    batch = run_import("addresses", path, actor=personas.officer)

    assert batch.counts() == {"read": 8, "inserted": 3, "updated": 0, "unchanged": 0, "rejected": 5}
    given = unscoped(Address).get(code="640302100201001000777")
    assert (given.grid, given.community, given.element_type) == (a, t.village_a, "51")
    generated = unscoped(Address).get(room="201")
    assert generated.code.startswith(a.code) and len(generated.code) == len(a.code) + 6
    assert generated.full_text == "金积镇金积村利宁街14号3栋1单元201室"
    pointed = unscoped(Address).get(compound="金积花园")
    assert (pointed.grid, pointed.lon, pointed.lat) == (a, 106.105, 37.905)
    errors = errors_of(batch)
    assert errors[5][0] == "经度" and "no grid" in errors[5][1]
    assert errors[6][0] == "社区（村）"
    assert errors[7][0] == "街路巷"
    assert errors[8] == ["网格编码", "the record would lie outside your scope"]
    assert errors[9][0] == "地址编码" and "line 2" in errors[9][1]
    assert RecordHistory.objects.filter(record_kind="address", batch=batch).count() == 3

    # and the same file again changes nothing: rows without a code match by their full text
    again = run_import("addresses", path, actor=personas.officer)
    assert (again.inserted, again.updated, again.unchanged, again.rejected) == (0, 0, 3, 5)
    assert unscoped(Address).count() == 3


# ---------------------------------------------------------------------------------------------
# houses

HOUSE_HEADER = [
    "地址编码",
    "房屋地址",
    "房屋用途",
    "产权性质",
    "房主身份证号",
    "建筑面积",
    "房间数",
    "是否出租",
    "出租人身份证号",
]


def test_houses_are_keyed_by_their_address(personas, tmp_path):
    t = personas.territory
    first, second, third = (make_address(t.grid_a, door_plate=str(n)) for n in (1, 2, 3))
    owner = make_person(first)
    rows = [
        [first.code, "", "住宅", "商品房", owner.id_number, "89.5", "3", "否", ""],
        ["", second.full_text, "商住", "自建房", "", "120", "", "", owner.id_number],  # landlord → rented
        [third.code, "", "别墅", "", "", "-1", "", "", ""],  # unknown use, bad area
        ["999", "", "住宅", "", "", "", "", "", ""],  # unknown address
        [first.code, "", "住宅", "", "", "", "", "", ""],  # the same house again
    ]
    path = write_csv(tmp_path / "houses.csv", HOUSE_HEADER, rows)

    batch = run_import("houses", path, actor=personas.grid_a)

    assert (batch.inserted, batch.rejected) == (2, 3)
    house = unscoped(House).get(address=first)
    assert (house.use, house.ownership, house.owner, house.area_m2, house.rooms, house.is_rented) == (
        "residential",
        "commercial",
        owner,
        Decimal("89.50"),
        3,
        False,
    )
    let = unscoped(House).get(address=second)
    assert (let.use, let.landlord, let.is_rented, let.grid) == ("mixed", owner, True, t.grid_a)
    errors = errors_of(batch)
    assert errors[4][0] == "房屋用途" and "area" in errors[4][1].lower()
    assert errors[5][0] == "地址编码" and "unknown address code" in errors[5][1]
    assert errors[6][0] == "地址编码" and "line 2" in errors[6][1]

    # a changed area is an update with its history
    rows = [[first.code, "", "住宅", "商品房", owner.id_number, "90", "3", "否", ""]]
    changed = run_import("houses", write_csv(tmp_path / "h2.csv", HOUSE_HEADER, rows), actor=personas.grid_a)
    assert (changed.updated, changed.unchanged) == (1, 0)
    row = RecordHistory.objects.get(record_kind="house", record_id=house.pk, action="update")
    assert (row.before, row.after) == ({"area_m2": "89.50"}, {"area_m2": "90"})


# ---------------------------------------------------------------------------------------------
# organisations

ORG_HEADER = ["统一社会信用代码", "单位名称", "单位类型", "法定代表人", "单位地址", "特种行业", "联系电话"]


def test_organisations_with_credit_codes_and_special_trades(personas, tmp_path):
    t = personas.territory
    address = make_address(t.grid_a, door_plate="9")
    good = valid_credit_code()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [
        [good, "吴忠市金积宾馆", "企业", "马强", address.full_text, "旅馆、网吧", "0953-2012345"],
        [bad, "某公司", "企业", "", address.full_text, "", ""],
        [valid_credit_code(), "某网吧", "个体工商户", "", address.full_text, "赌场", ""],
    ]
    path = write_csv(tmp_path / "orgs.csv", ORG_HEADER, rows)

    batch = run_import("organisations", path, actor=personas.grid_a)

    assert (batch.inserted, batch.rejected) == (1, 2)
    org = unscoped(Organisation).get()
    assert (org.credit_code, org.org_type, org.address, org.grid, org.phone) == (
        good,
        "enterprise",
        address,
        t.grid_a,
        "09532012345",
    )
    assert org.special_trades == ["hotel", "internet_cafe"]
    errors = errors_of(batch)
    assert errors[3][0] == "统一社会信用代码" and "check character" in errors[3][1]
    assert errors[4][0] == "特种行业"
    assert run_import("organisations", path, actor=personas.grid_a).unchanged == 1


# ---------------------------------------------------------------------------------------------
# relations

RELATION_HEADER = [
    "公民身份号码",
    "房屋地址编码",
    "统一社会信用代码",
    "关系类型",
    "职务",
    "起始日期",
    "结束日期",
    "登记日期",
]


def test_relations_to_houses_and_organisations(personas, tmp_path):
    t = personas.territory
    address = make_address(t.grid_a, door_plate="5")
    house = make_house(address)
    tenant, worker = make_person(address), make_person(address, name="李四")
    org = make_organisation(address)
    rows = [
        [tenant.id_number, address.code, "", "租住", "", "2024-03-01", "", "2024/3/2"],
        [worker.id_number, "", org.credit_code, "就业", "保安", "2023-01-01", "", ""],
        [worker.id_number, address.code, "", "租住", "", "", "", ""],  # a tenancy needs its move-in date
        [tenant.id_number, "999", "", "借住", "", "", "", ""],  # no such house
    ]
    path = write_csv(tmp_path / "relations.csv", RELATION_HEADER, rows)

    batch = run_import("relations", path, actor=personas.grid_a)

    assert (batch.inserted, batch.rejected) == (2, 2)
    residence = unscoped(Residence).get()
    assert (
        residence.person,
        residence.house,
        residence.kind,
        residence.start_date,
        residence.registered_on,
    ) == (tenant, house, "renting", dt.date(2024, 3, 1), dt.date(2024, 3, 2))
    house.refresh_from_db()
    assert (house.is_rented, house.occupant_count) == (True, 1)
    job = unscoped(Employment).get()
    assert (job.person, job.organisation, job.role) == (worker, org, "保安")
    errors = errors_of(batch)
    assert errors[4][0] == "起始日期" and "move-in" in errors[4][1]
    assert errors[5][0] == "房屋地址编码"

    # the tenancy ends: the same relation is updated, not a second one added
    rows = [[tenant.id_number, address.code, "", "租住", "", "2024-03-01", "2024-09-30", "2024/3/2"]]
    ended = run_import(
        "relations", write_csv(tmp_path / "r2.csv", RELATION_HEADER, rows), actor=personas.grid_a
    )
    assert (ended.updated, ended.inserted) == (1, 0)
    residence.refresh_from_db()
    assert residence.end_date == dt.date(2024, 9, 30)
    house.refresh_from_db()
    assert house.occupant_count == 0
    again = run_import(
        "relations", write_csv(tmp_path / "r3.csv", RELATION_HEADER, rows), actor=personas.grid_a
    )
    assert (again.unchanged, again.updated) == (1, 0)


# ---------------------------------------------------------------------------------------------
# templates and headers


@pytest.mark.parametrize("kind", list(columns.KINDS))
def test_each_template_imports_as_an_empty_file(personas, tmp_path, kind):
    spec = columns.KINDS[kind]
    csv_path = tmp_path / f"{kind}.csv"
    csv_path.write_bytes(columns.template_csv(spec))
    xlsx_path = tmp_path / f"{kind}.xlsx"
    xlsx_path.write_bytes(columns.template_xlsx(spec))
    assert read_xlsx(xlsx_path)[0] == [c.header for c in spec.columns]
    for path in (csv_path, xlsx_path):
        batch = run_import(kind, path, actor=personas.officer)
        assert batch.counts() == {"read": 0, "inserted": 0, "updated": 0, "unchanged": 0, "rejected": 0}


def test_headers_match_in_chinese_or_english_whatever_the_spacing():
    header = ["身份证号码 ", "Name", "性 别", "联系电话*", "现住地址", "备注"]
    mapping = match_header(columns.PEOPLE, header)
    assert mapping.positions == {"id_number": 0, "name": 1, "sex": 2, "phone": 3, "current_address": 4}
    assert mapping.ignored == ("备注",)
