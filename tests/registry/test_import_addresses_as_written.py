"""Station spreadsheets import as they are: address texts written the station's way are matched
to standard addresses, and the rest go to pending addresses (待规范地址), placed by the row's
point (WGS-84 or GCJ-02) or the village it names, one per text and grid."""

import pytest
from django.urls import reverse
from django.utils import translation

from fengqiao.geo import datum, locator
from fengqiao.registry.choices import AddressStatus, ImportStatus
from fengqiao.registry.importing.runner import run_import
from fengqiao.registry.models import Address, House, Organisation, Person
from tests.fixtures.registry import make_address, valid_credit_code, valid_id_number
from tests.registry.files import read_csv, write_csv, write_xlsx


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


@pytest.fixture
def standard(personas):
    t = personas.territory
    return (
        make_address(t.grid_a, street="三组", door_plate="12"),
        make_address(
            t.grid_b, compound="利民小区", street="", door_plate="", building="3", unit="2", room="501"
        ),
    )


def errors_of(batch) -> dict[int, list[str]]:
    rows = read_csv(batch.errors_file, encoding=batch.encoding)
    return {int(r[-3]): r[-2:] for r in rows[1:]}


def test_a_station_people_file_in_gbk_imports_whole(personas, standard, tmp_path, client):
    # given a station's people file in GBK, its addresses as the station writes them
    group3, flat = standard
    wgs = (106.1043, 37.9057)  # in grid A
    gcj = datum.wgs84_point_to_gcj02(*wgs)
    header = ["身份证号", "姓名", "现住址", "经度", "纬度", "坐标系"]
    numbers = [valid_id_number() for _ in range(8)]
    rows = [
        [numbers[0], "张三", "吴忠市利通区金积镇金积村三组12号", "", "", ""],
        [numbers[1], "李四", "金积村３组１２号", "", "", ""],  # full-width digits, 3组 for 三组
        [numbers[2], "王五", "金积镇关渠村利民小区3号楼2单元501", "", "", ""],
        [numbers[3], "赵六", "金积村五组7号", gcj[0], gcj[1], "GCJ-02"],  # a map app's point
        [numbers[4], "钱七", "金积村5组7号", "", "", ""],  # the same house, written differently
        [numbers[5], "孙八", "关渠村二组3号", "", "", ""],  # only the village places it
        [numbers[6], "周九", "某某路1号", "", "", ""],  # nothing places it
        [numbers[7], "吴十", "青铜峡市金积镇金积村三组12号", "", "", ""],  # 金积镇 is not in 青铜峡市
    ]
    path = write_csv(tmp_path / "派出所人口.csv", header, rows, encoding="gbk")

    # when
    batch = run_import("people", path, actor=personas.station)

    # then every good row is in: three matched, three at two pending addresses
    assert batch.status == ImportStatus.DONE
    assert (batch.inserted, batch.rejected) == (6, 2), errors_of(batch)
    assert batch.address_counts() == {"matched": 3, "pending": 3, "new_pending": 2}
    assert "3 row(s) matched a standard address, 3 went to addresses to standardise (2 new)" in batch.message
    by_name = {p.name: p for p in unscoped(Person).select_related("current_address")}
    assert by_name["张三"].current_address == group3
    assert by_name["李四"].current_address == group3
    assert by_name["王五"].current_address == flat
    pending = by_name["赵六"].current_address
    assert pending.status == AddressStatus.PENDING and pending.source_text == "金积村五组7号"
    assert by_name["钱七"].current_address == pending  # one pending address per house
    assert pending.grid == personas.territory.grid_a and by_name["赵六"].grid == personas.territory.grid_a
    assert pending.lon == pytest.approx(wgs[0], abs=1e-5) and pending.lat == pytest.approx(wgs[1], abs=1e-5)
    assert (pending.street, pending.door_plate) == ("5组", "7")
    assert pending.code.startswith(personas.territory.grid_a.code)
    village_only = by_name["孙八"].current_address
    assert village_only.status == AddressStatus.PENDING
    assert village_only.grid == personas.territory.grid_b and village_only.lon is None
    # the batch's page says so, and leads the officer to the addresses to standardise
    client.force_login(personas.station)
    page = client.get(reverse("import_batch", args=[batch.pk])).content.decode()
    assert 'data-count="matched">3<' in page and 'data-count="pending">3 ' in page
    assert reverse("registry_pending_addresses") in page
    errors = errors_of(batch)
    assert errors[8][0] == "现住址" and "names no village or community" in errors[8][1]
    assert errors[9][0] == "现住址"

    # and a second run of a corrected file makes no second pending address
    again = write_csv(tmp_path / "again.csv", header, rows[3:5], encoding="gbk")
    second = run_import("people", again, actor=personas.station)
    assert second.unchanged == 2 and second.address_counts()["new_pending"] == 0
    assert unscoped(Address).filter(status=AddressStatus.PENDING).count() == 2


def test_houses_in_xlsx_and_organisations_go_to_pending_addresses_too(personas, standard, tmp_path):
    # given houses in an XLSX and organisations in a CSV, written the station's way
    houses = write_xlsx(
        tmp_path / "房屋.xlsx",
        ["房屋地址", "房屋用途", "经度", "纬度"],
        [
            ["利通区金积镇金积村第三组12号", "住宅", None, None],
            ["金积村六组1号", "住宅", 106.1021, 37.9032],
            ["金积村 六组 2号", "住宅", None, None],
        ],
    )
    organisations = write_csv(
        tmp_path / "单位.csv",
        ["统一社会信用代码", "单位名称", "单位地址"],
        [
            [valid_credit_code(), "金积百货", "关渠村利民小区三栋二单元501室"],
            [valid_credit_code(), "六组商店", "金积村六组1号"],
        ],
    )

    # when
    house_batch = run_import("houses", houses, actor=personas.station)
    org_batch = run_import("organisations", organisations, actor=personas.station)

    # then
    assert (house_batch.inserted, house_batch.rejected) == (3, 0)
    assert house_batch.address_counts() == {"matched": 1, "pending": 2, "new_pending": 2}
    assert unscoped(House).get(address=standard[0]).use
    pending_house = unscoped(House).select_related("address").get(address__source_text="金积村六组1号")
    assert pending_house.address.status == AddressStatus.PENDING and pending_house.address.lon == 106.1021
    assert (org_batch.inserted, org_batch.rejected) == (2, 0)
    assert org_batch.address_counts() == {"matched": 1, "pending": 1, "new_pending": 0}
    by_name = {o.name: o for o in unscoped(Organisation)}
    assert by_name["金积百货"].address_id == standard[1].pk
    assert by_name["六组商店"].address_id == pending_house.address_id  # the pending address on file


def test_an_address_file_makes_a_standard_address_beside_a_pending_one(personas, tmp_path):
    # given a pending address an earlier people file made
    t = personas.territory
    pending = make_address(t.grid_a, street="五组", door_plate="7", status=AddressStatus.PENDING)
    # when the standard address list is imported with the same address
    path = write_csv(
        tmp_path / "地址.csv", ["街路巷", "门楼牌号", "网格编码"], [["五组", "7", t.grid_a.code]]
    )
    batch = run_import("addresses", path, actor=personas.station)
    # then it is a new standard address, and the pending one waits for the officer to merge it
    assert batch.inserted == 1
    assert unscoped(Address).filter(full_text=pending.full_text, status=AddressStatus.STANDARD).count() == 1
    assert unscoped(Address).get(pk=pending.pk).status == AddressStatus.PENDING
