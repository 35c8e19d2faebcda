"""The place picker in the forms: text one standard address matches resolves to it, text several
may mean offers them instead of refusing, and after any error the field shows the place's text
(not its code) and keeps the choice."""

import pytest

from fengqiao.events.models import Event
from tests.fixtures.registry import make_address


def events():
    return Event.objects.unscoped(reason="test: what the intake wrote")


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def flats(territory):
    grid = territory.grid_a
    one = make_address(grid, street="幸福路", door_plate="12", building="3", unit="2", room="301")
    two = make_address(grid, street="幸福路", door_plate="12", building="3", unit="2", room="302")
    return one, two


def intake(client, **fields):
    return client.post(
        "/events/new/", {"category": "0403", "title": "楼道堆物", "channel": "staff", **fields}
    )


def test_text_one_address_matches_is_that_address(logged_in, personas, categories, flats):
    client = logged_in(personas.grid_a)
    # Typed as a station writes it: county and township in front, full-width digits, 幢 for 栋.
    response = intake(client, address__text="利通区金积镇金积村幸福路１２号3幢2单元301")
    assert response.status_code == 302, page(response)[:500]
    assert events().get(title="楼道堆物").address == flats[0]


def test_text_several_addresses_may_mean_offers_them_and_keeps_the_text(
    logged_in, personas, categories, flats
):
    client = logged_in(personas.grid_a)
    response = intake(client, address__text="金积村幸福路12号3栋")
    assert response.status_code == 400
    body = page(response)
    assert "金积村幸福路12号3栋" in body  # what was typed stays in the field
    for flat in flats:  # both flats are offered to pick from
        assert f'data-value="{flat.code}"' in body and flat.full_text in body
    assert "没有编码为" not in body
    assert not events().exists()


def test_an_address_out_of_scope_is_neither_matched_nor_offered(logged_in, personas, categories, flats):
    client = logged_in(personas.grid_b)  # the flats are in grid A
    response = intake(client, address__text="金积村幸福路12号3栋2单元301室")
    assert response.status_code == 400
    assert flats[0].code not in page(response)


def test_after_an_error_the_field_shows_the_address_text_and_keeps_its_code(
    logged_in, personas, categories, flats
):
    client = logged_in(personas.grid_a)
    picked = flats[1]
    # The address was picked (its code and text sent), but the title is missing.
    response = client.post(
        "/events/new/",
        {
            "category": "0403",
            "title": "",
            "channel": "staff",
            "address": picked.code,
            "address__text": picked.full_text,
        },
    )
    assert response.status_code == 400
    body = page(response)
    shown = body.split('name="address__text"')[1].split(">")[0]
    assert f'value="{picked.full_text}"' in shown and picked.code not in shown  # the text, not the code
    assert f'type="hidden" name="address" value="{picked.code}"' in body  # the choice, kept


# --- a city's filters: found by name, not a <select> of every grid -----------------------------

CITY_GRIDS = 330  # past web.selectors.GRID_SELECT_LIMIT, as a city's 3,476 are


@pytest.fixture
def many_grids(territory):
    from fengqiao.geo.models import Grid
    from tests.conftest import square

    t = territory
    Grid.objects.bulk_create(
        Grid(
            code=f"640302100201{n:03d}",
            name=f"金积村第{n}网格",
            community=t.village_a,
            district=t.district_a,
            scope_path=f"{t.district_a.path}/640302100201{n:03d}",
            geometry=square(106.2, 37.8),
            centroid_lon=106.205,
            centroid_lat=37.805,
            area_km2=1.0,
        )
        for n in range(100, 100 + CITY_GRIDS)
    )
    return t


@pytest.mark.parametrize("url", ["/events/", "/registry/people/", "/registry/addresses/", "/disputes/new/"])
def test_city_pages_carry_a_grid_picker_not_hundreds_of_options(logged_in, personas, many_grids, url):
    client = logged_in(personas.city)
    body = page(client.get(url))
    options = body.count("<option")
    print(f"{url}: {len(body.encode()) // 1024} KB, {options} options")  # was > {CITY_GRIDS} options
    assert options < 60, options
    assert "金积村第123网格" not in body  # no grid is listed on the page
    assert 'name="grid__text"' in body and "data-place-picker" in body


def test_a_grid_typed_by_name_in_a_city_filter_is_that_grid(logged_in, personas, many_grids, flats):
    client = logged_in(personas.city)
    found = page(client.get("/registry/addresses/", {"grid__text": "金积村第一网格"}))
    assert flats[0].full_text in found
    several = page(client.get("/registry/addresses/", {"grid__text": "金积村第1"}))
    assert "金积村第100网格" in several and 'role="option"' in several  # offered to pick from


def test_a_dispute_place_is_kept_as_the_words_picked(logged_in, personas, flats):
    from fengqiao.web.disputes.forms import DisputeForm

    form = DisputeForm(personas.grid_a, data={"place": flats[0].code, "place__text": flats[0].full_text})
    form.is_valid()
    assert form.cleaned_data["place"] == flats[0].full_text
