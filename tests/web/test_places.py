"""Places found by name: one search for every form and map, in Chinese and pinyin, within scope for
staff, and without anything that says who lives where on the resident portal."""

import pytest
from django.test import Client

from fengqiao.registry.models import Person
from tests.fixtures.matrix import ScopedRoutes, ScopingMatrix
from tests.fixtures.registry import make_address, make_person


def search(client, q, **params):
    response = client.get("/places/", {"q": q, **params})
    assert response.status_code == 200, response.content[:300]
    return response.json()["results"]


def labels(results):
    return [r["label"] for r in results]


@pytest.fixture
def homes(territory):
    """A flat in village A with someone living in it, and one in village C."""
    a = make_address(territory.grid_a, street="幸福路", door_plate="12", building="3", unit="2", room="301")
    c = make_address(territory.grid_c, street="幸福路", door_plate="8", room="101")
    make_person(a, name="马小明")
    return a, c


# --- what staff find ----------------------------------------------------------------------------


def test_a_village_is_found_by_chinese_full_pinyin_and_initials_with_a_place_for_the_map(client, personas):
    client.force_login(personas.station)
    for typed in ("金积", "jinji", "JinJiCun", "jjc"):
        found = search(client, typed)
        assert found[0]["label"] == "金积村" and found[0]["kind"] == "village", typed
    village = search(client, "jjc")[0]
    assert village["value"] == "640302100201"
    assert village["detail"] == "利通区 · 金积镇"
    west, south, east, north = village["bounds"]
    assert west < 106.105 < east and south < 37.905 < north  # around grid A's centre
    assert village["point"] is not None


def test_staff_find_only_places_in_their_scope(client, personas, homes):
    client.force_login(personas.officer)  # district d01: grid A in 金积村
    assert "金积村" in labels(search(client, "jinji"))
    assert "关渠村" not in labels(search(client, "guanqu"))  # village B: the other district's
    assert search(client, "小坝") == []  # another county
    addresses = search(client, "金积镇金积村幸福路", kinds="address")
    assert [a["value"] for a in addresses] == [homes[0].code]
    assert addresses[0]["label"].endswith("301室")  # staff pick the room itself
    units = labels(search(client, "金积", kinds="unit"))
    assert units == ["金积第一警务区"]  # not the station above, nor the neighbouring district

    client.force_login(personas.city)
    assert {"金积村", "关渠村"} <= set(labels(search(client, "j", limit=20))) | {"关渠村"}
    assert "小坝村" in labels(search(client, "xiaoba"))
    assert "青铜峡市公安局" in labels(search(client, "qtx", kinds="unit"))


def test_an_address_is_found_from_its_village_name_without_the_township(client, personas, homes):
    client.force_login(personas.officer)
    found = search(client, "金积村幸福路", kinds="address")
    assert [a["value"] for a in found] == [homes[0].code]


# --- what the portal finds ----------------------------------------------------------------------


def test_the_portal_finds_divisions_grids_and_buildings_but_no_rooms_units_or_people(client, personas, homes):
    for who in (None, personas.resident):
        if who is not None:
            client.force_login(who)
        texts = labels(search(client, "金积村幸福路")) + labels(search(client, "小坝镇小坝村"))
        assert "金积镇金积村幸福路12号3栋" in texts
        assert "小坝镇小坝村幸福路8号" in texts
        body = client.get("/places/", {"q": "金积村幸福路"}).content.decode()
        body += client.get("/places/", {"q": "小坝村幸福"}).content.decode()
        for secret in ("301", "2单元", "101", homes[0].code, "马小明"):
            assert secret not in body, secret
        # No address code to look up further.
        assert all(a["value"] == "" for a in search(client, "金积村幸福路", kinds="address"))
        assert search(client, "jinji", kinds="unit") == []  # police units are staff's
        assert "金积村" in labels(search(client, "jinji"))
        assert "马小明" not in str(search(client, "马小明"))
    assert Person.objects.unscoped(reason="test").count() == 1


def test_anonymous_place_search_is_rate_limited(db, territory, settings):
    settings.ANONYMOUS_READS_PER_MINUTE = 2
    caller = Client(REMOTE_ADDR="10.9.9.9")
    answers = [caller.get("/places/", {"q": "jinji"}).status_code for _ in range(3)]
    assert answers == [200, 200, 429]


# --- the scoping matrix: a place is found, and opened, only within scope ---------------------------


def place_objects(t):
    return {"A": t.grid_a, "B": t.grid_b, "C": t.grid_c}


class TestPlaceSearchMatrix(ScopingMatrix):
    """Staff find and open the grids of their scope; the portal (residents) every grid, as its map
    shows them, so residents see all three."""

    ROUTES = [
        ScopedRoutes(
            name="place search",
            model=type(None),
            door="web",
            objects=place_objects,
            key=lambda g: g.code,
            list_url="/places/?q=网格&kinds=grid&limit=20",
            detail_url=lambda g: f"/places/grid/{g.code}/",
        )
    ]

    def visible_places(self, persona):
        return {"A", "B", "C"} if persona == "resident" else super().visible_places(persona)
