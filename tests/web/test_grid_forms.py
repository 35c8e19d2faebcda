"""Creating and editing grids through the pages: the geo actions behind simple forms."""

import json

import pytest

from fengqiao.core.models import AuditEntry
from fengqiao.core.roles import Role
from fengqiao.geo.choices import DivisionLevel
from fengqiao.geo.models import Division, Grid
from tests.conftest import make_user, square


def all_grids():
    return Grid.objects.unscoped(reason="test: look at what was written")


def new_grid_data(t, **overrides):
    data = {
        "code": "640302100202002",
        "name": "关渠村第二网格",
        "community": t.village_b.pk,
        "district": t.district_b.pk,
        "geometry": json.dumps(square(106.12, 37.90)),
    }
    data.update(overrides)
    return data


def edit_data(grid, **overrides):
    data = {
        "name": grid.name,
        "community": grid.community_id,
        "district": grid.district_id,
        "geometry": json.dumps(grid.geometry),
        "is_active": "on" if grid.is_active else "",
    }
    data.update(overrides)
    return data


def test_a_station_chief_creates_a_grid(logged_in, personas):
    t = personas.territory
    client = logged_in(personas.station)
    # when the station chief fills in the form for a new grid in district B
    response = client.post("/grids/new/", new_grid_data(t))
    # then the grid exists, measured and placed in the tree, the audit says who, and they see its page
    grid = all_grids().get(code="640302100202002")
    assert response.status_code == 302 and response["Location"] == f"/grids/{grid.code}/"
    assert grid.district == t.district_b and grid.community == t.village_b
    assert grid.scope_path == f"{t.district_b.path}/{grid.code}"
    assert 0.9 < grid.area_km2 < 1.0
    assert AuditEntry.objects.filter(action="create", object_id=str(grid.pk), actor=personas.station).exists()
    assert grid.name in client.get(response["Location"]).content.decode()


def test_the_create_form_offers_only_places_within_scope(logged_in, personas):
    t = personas.territory
    # when the station chief opens the form
    form = logged_in(personas.station).get("/grids/new/").context["form"]
    # then only their villages and districts are offered
    assert list(form.fields["community"].queryset) == [t.village_a, t.village_b]
    assert list(form.fields["district"].queryset) == [t.district_a, t.district_b]


def test_a_district_outside_scope_cannot_be_posted(logged_in, personas):
    t = personas.territory
    # when the station chief posts another county's district by hand
    response = logged_in(personas.station).post("/grids/new/", new_grid_data(t, district=t.district_c.pk))
    # then the form refuses it on the field and nothing is written
    assert response.status_code == 200
    assert "district" in response.context["form"].errors
    assert not all_grids().filter(code="640302100202002").exists()


@pytest.mark.parametrize("persona", ["grid_a", "officer", "resident"])
def test_other_roles_may_not_create_grids(logged_in, personas, persona):
    t = personas.territory
    client = logged_in(getattr(personas, persona))
    # when someone who does not manage grids opens the form or posts it
    opened = client.get("/grids/new/")
    posted = client.post("/grids/new/", new_grid_data(t, community=t.village_a.pk, district=t.district_a.pk))
    # then both are refused with 403 and nothing is written
    assert opened.status_code == posted.status_code == 403
    assert not all_grids().filter(code="640302100202002").exists()


def test_a_grid_worker_may_not_edit_their_own_grid(logged_in, personas):
    t = personas.territory
    client = logged_in(personas.grid_a)
    # when grid worker A opens or posts the edit form of their grid
    opened = client.get(f"/grids/{t.grid_a.code}/edit/")
    posted = client.post(f"/grids/{t.grid_a.code}/edit/", edit_data(t.grid_a, name="改了"))
    # then it is 403 (they see the grid, so not 404) and the grid is unchanged
    assert opened.status_code == posted.status_code == 403
    assert all_grids().get(pk=t.grid_a.pk).name == t.grid_a.name


def test_editing_a_grid_outside_scope_is_404(logged_in, personas):
    t = personas.territory
    # when the station chief opens the edit form of another county's grid
    response = logged_in(personas.station).get(f"/grids/{t.grid_c.code}/edit/")
    # then it is not found, as if it did not exist
    assert response.status_code == 404


def test_a_station_chief_edits_a_grid(logged_in, personas):
    t = personas.territory
    client = logged_in(personas.station)
    new_outline = square(106.10, 37.90, size=0.02)
    # when the station chief renames grid A, redraws it and moves it to district B
    response = client.post(
        f"/grids/{t.grid_a.code}/edit/",
        edit_data(t.grid_a, name="金积村新网格", geometry=json.dumps(new_outline), district=t.district_b.pk),
    )
    # then the changes are saved, the area is measured again, and the audit has the before and after
    assert response.status_code == 302 and response["Location"] == f"/grids/{t.grid_a.code}/"
    grid = all_grids().get(pk=t.grid_a.pk)
    assert (grid.name, grid.district) == ("金积村新网格", t.district_b)
    assert grid.area_km2 > 3.5
    entry = AuditEntry.objects.get(action="update", object_id=str(grid.pk))
    assert entry.before["name"] == t.grid_a.name and entry.after["name"] == "金积村新网格"


def test_the_edit_form_starts_from_the_grid(logged_in, personas):
    t = personas.territory
    # when the station chief opens the edit form of grid A
    response = logged_in(personas.station).get(f"/grids/{t.grid_a.code}/edit/")
    # then it holds the grid's values, with the outline as GeoJSON text, and no code field
    form = response.context["form"]
    assert "code" not in form.fields
    assert json.loads(form["geometry"].value()) == t.grid_a.geometry
    assert form["name"].value() == t.grid_a.name


@pytest.mark.parametrize(
    ("geometry", "message_part"),
    [
        ('{"type": "Polygon", "coordinates": [[[106.1, 37.9], [106.2, 37.9]', "JSON"),
        ('["not", "a", "geometry"]', "GeoJSON"),
        (
            json.dumps(
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[106.1, 37.9], [106.2, 38.0], [106.2, 37.9], [106.1, 38.0], [106.1, 37.9]]
                    ],
                }
            ),
            "",
        ),
        (json.dumps({"type": "Point", "coordinates": [106.1, 37.9]}), ""),
    ],
    ids=["broken JSON", "not a geometry", "self-intersecting", "a point"],
)
def test_a_bad_outline_shows_on_the_field_and_changes_nothing(logged_in, personas, geometry, message_part):
    t = personas.territory
    client = logged_in(personas.station)
    audit_before = AuditEntry.objects.count()
    # when the station chief saves grid A with a new name and a bad outline
    response = client.post(
        f"/grids/{t.grid_a.code}/edit/", edit_data(t.grid_a, name="不该保存", geometry=geometry)
    )
    # then the form comes back with the error on the outline field, and nothing changed
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["geometry"]
    assert message_part in " ".join(errors["geometry"])
    assert 'id="field-geometry"' in response.content.decode()
    grid = all_grids().get(pk=t.grid_a.pk)
    assert (grid.name, grid.geometry) == (t.grid_a.name, t.grid_a.geometry)
    assert AuditEntry.objects.count() == audit_before


def test_a_code_that_does_not_fit_its_community_is_an_error_on_the_code(logged_in, personas):
    t = personas.territory
    # when the station chief creates a grid in village B with a code of village A
    response = logged_in(personas.station).post("/grids/new/", new_grid_data(t, code="640302100201077"))
    # then the form says so on the code field and nothing is written
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["code"]
    assert not all_grids().filter(code="640302100201077").exists()


def test_a_code_already_taken_is_an_error_on_the_code(logged_in, personas):
    t = personas.territory
    # when the station chief creates a grid under grid B's code
    response = logged_in(personas.station).post("/grids/new/", new_grid_data(t, code=t.grid_b.code))
    # then the code field says it is taken and grid B is untouched
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["code"]
    assert all_grids().get(code=t.grid_b.code).name == t.grid_b.name


def test_saving_without_changes_writes_nothing(logged_in, personas):
    t = personas.territory
    client = logged_in(personas.station)
    audit_before = AuditEntry.objects.count()
    # when the station chief saves grid A's form as it came
    response = client.post(f"/grids/{t.grid_a.code}/edit/", edit_data(t.grid_a))
    # then they are back on the grid's page and no change was recorded
    assert response.status_code == 302
    assert AuditEntry.objects.count() == audit_before


def test_a_county_bureau_may_place_a_grid_in_a_village_without_grids_yet(logged_in, personas):
    t = personas.territory
    # given the county bureau of 640302, and a village of that county with no grid yet
    t.county.division = t.county_div
    t.county.save()
    new_village = Division.objects.create(
        code="640302100203", name="新村", level=DivisionLevel.VILLAGE, parent=t.town
    )
    bureau = make_user("county", Role.COUNTY_BUREAU, unit=t.county)
    client = logged_in(bureau)
    # when they open the form for a new grid
    form = client.get("/grids/new/").context["form"]
    # then the villages of their county are offered, the new one too, and none of another county
    assert list(form.fields["community"].queryset) == [t.village_a, t.village_b, new_village]
    # and a grid there can be created
    response = client.post(
        "/grids/new/",
        new_grid_data(t, code="640302100203001", community=new_village.pk, district=t.district_a.pk),
    )
    assert response.status_code == 302
    assert all_grids().get(code="640302100203001").community == new_village
