"""The one rule for address text: spellings stations use reduce to one key, and a key names a
standard address only when exactly one reads that way (within the divisions the text names)."""

import pytest

from fengqiao.registry.addressing import (
    candidate_addresses,
    canonical,
    match_address,
    normalise_address_text,
)
from fengqiao.registry.choices import AddressStatus
from tests.fixtures.registry import make_address


@pytest.mark.parametrize(
    "text",
    [
        "金积村三组12号",
        "金积村3组１２号",
        "金积村第三组12",
        "金积村 三 组 12 號",
        "金积村３组12#",
        "金积村(三组)12号",
    ],
)
def test_station_spellings_reduce_to_one_key(text):
    assert canonical(text) == "金积村3组12号"


def test_building_unit_room_spellings():
    expected = "利民小区3栋2单元501室"
    for text in (
        "利民小区3号楼2单元501",
        "利民小区3#楼2單元501室",
        "利民小区3幢2单元501",
        "利民小区三栋二单元501",
    ):
        assert canonical(text) == expected
    assert canonical("利民小区A座2单元501") == "利民小区A栋2单元501室"
    assert canonical("关渠路十二号") == "关渠路12号"


def test_division_prefixes_are_stripped_and_checked(territory):
    assert normalise_address_text("吴忠市利通区金积镇金积村三组12号") == "金积村3组12号"
    assert normalise_address_text("金积镇金积村3组12号") == "金积村3组12号"


def test_match_address(territory):
    # given a standard address written by its parts, and one pending address reading the same
    standard = make_address(territory.grid_a, street="三组", door_plate="12")
    make_address(territory.grid_a, street="三组", door_plate="12", status=AddressStatus.PENDING)
    assert standard.full_text == "金积镇金积村三组12号"
    # when / then: every way a station writes it finds it, the pending one never does
    for text in ("吴忠市利通区金积镇金积村三组12号", "金积村３组１２号", "金积镇金积村第三组12"):
        assert match_address(text) == standard
    # the county named must be the address's: 青铜峡市 has no 金积镇
    assert match_address("青铜峡市金积镇金积村三组12号") is None
    assert match_address("吴忠市青铜峡市金积村三组12号") is None
    # within a scope path: the grid's own path finds it, another grid's does not
    assert match_address("金积村三组12号", within=territory.grid_a.scope_path) == standard
    assert match_address("金积村三组12号", within=territory.grid_b.scope_path) is None
    assert match_address("金积村三组13号") is None


def test_no_match_when_two_addresses_read_the_same(territory):
    make_address(territory.grid_a, street="三组", door_plate="12")
    make_address(territory.grid_a, street="3组", door_plate="12号")
    assert match_address("金积村三组12号") is None
    assert len(candidate_addresses("金积村三组12号")) == 2


def test_candidates_list_the_group(territory):
    a = make_address(territory.grid_a, street="三组", door_plate="12")
    b = make_address(territory.grid_a, street="三组", door_plate="14")
    make_address(territory.grid_a, street="四组", door_plate="1")
    retired = make_address(territory.grid_a, street="三组", door_plate="16", in_use=False)
    found = candidate_addresses("金积镇金积村三组")
    assert set(found) == {a, b}
    assert retired not in found
