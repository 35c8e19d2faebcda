import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fengqiao.core import audit
from fengqiao.core.scoping import OutOfScope
from fengqiao.geo.actions import create_grid, update_grid
from fengqiao.geo.models import Grid
from tests.conftest import square

pytestmark = pytest.mark.django_db


def all_grids():
    return Grid.objects.unscoped(reason="test: inspect every grid")


def test_station_chief_creates_a_grid_in_their_station(personas, audit_entries):
    # given
    t = personas.territory
    since = audit_entries()
    # when
    grid = create_grid(
        actor=personas.station,
        code="640302100201002",
        name="金积村第二网格",
        community="640302100201",
        district=t.district_a,
        geometry=square(106.10, 37.91),
    )
    # then it is stored, measured and audited
    grid = all_grids().get(pk=grid.pk)
    assert grid.scope_path == "640300/640302/ps01/d01/640302100201002"
    assert grid.centroid_lat == pytest.approx(37.915, abs=1e-4)
    assert grid.area_km2 == pytest.approx(0.976, rel=1e-2)
    (entry,) = since()
    assert (entry.action, entry.object_id, entry.actor) == (audit.CREATE.name, str(grid.pk), personas.station)
    assert entry.after["code"] == "640302100201002" and entry.after["district_id"] == t.district_a.pk


def test_a_grid_outside_the_station_is_rolled_back(personas, audit_entries):
    # given the station chief of ps01 in 利通区
    t = personas.territory
    since = audit_entries()
    # when they try to create a grid in another county's district
    with pytest.raises(OutOfScope):
        create_grid(
            actor=personas.station,
            code="640381100201002",
            name="小坝村第二网格",
            community=t.village_c,
            district=t.district_c,
            geometry=square(106.0, 38.01),
        )
    # then no row and no audit entry is left
    assert not all_grids().filter(code="640381100201002").exists()
    assert since() == []


@pytest.mark.parametrize("who", ["grid_a", "officer", "resident"])
def test_only_grid_managers_may_create(personas, who):
    # given someone whose role does not manage grids
    t = personas.territory
    # when / then
    with pytest.raises(PermissionDenied):
        create_grid(
            actor=getattr(personas, who),
            code="640302100201002",
            name="x",
            community=t.village_a,
            district=t.district_a,
            geometry=square(106.10, 37.91),
        )
    assert not all_grids().filter(code="640302100201002").exists()


def test_bad_input_names_the_field(personas):
    # given
    t = personas.territory
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    base = {
        "code": "640302100201002",
        "name": "x",
        "community": t.village_a,
        "district": t.district_a,
        "geometry": square(106.10, 37.91),
    }
    cases = [
        ({"geometry": bowtie}, "geometry"),
        ({"community": "640302100299"}, "community"),
        ({"community": t.town}, "community"),
        ({"district": t.station}, "district"),
        ({"code": "640302100202002"}, "code"),
        ({"code": "640302100201001"}, "code"),  # taken by grid A
        ({"name": ""}, "name"),
    ]
    for change, field in cases:
        # when / then
        with pytest.raises(ValidationError) as caught:
            create_grid(actor=personas.station, **{**base, **change})
        assert field in caught.value.message_dict, change


def test_update_records_what_changed(personas, audit_entries):
    # given grid A
    t = personas.territory
    since = audit_entries()
    # when the station chief renames it and redraws it
    grid = update_grid(
        t.grid_a, actor=personas.station, name="金积村一号网格", geometry=square(106.10, 37.90, 0.005)
    )
    # then the row changed and the audit entry holds only the changed fields
    grid.refresh_from_db()
    assert grid.name == "金积村一号网格"
    assert grid.area_km2 == pytest.approx(0.244, rel=1e-2)
    (entry,) = since()
    assert entry.action == audit.UPDATE.name
    assert set(entry.after) == {"name", "geometry", "centroid_lon", "centroid_lat", "area_km2"}
    assert entry.before["name"] == "金积村第一网格"


def test_update_without_change_writes_nothing(personas, audit_entries):
    # given
    t = personas.territory
    since = audit_entries()
    # when
    update_grid(t.grid_a, actor=personas.station, name=t.grid_a.name)
    # then
    assert since() == []


def test_moving_a_grid_out_of_scope_rolls_back(personas, audit_entries):
    # given grid A, and the station chief of its station
    t = personas.territory
    since = audit_entries()
    # when they move it into another county's district
    with pytest.raises(OutOfScope):
        update_grid(t.grid_a, actor=personas.station, district=t.district_c)
    # then it stays where it was, with no audit entry
    grid = all_grids().get(pk=t.grid_a.pk)
    assert grid.district_id == t.district_a.pk and grid.scope_path.startswith("640300/640302/ps01/d01/")
    assert since() == []


def test_a_grid_outside_scope_cannot_be_edited(personas):
    # given grid C, in another county
    t = personas.territory
    # when / then the station chief gets the same answer as for a missing grid
    with pytest.raises(OutOfScope):
        update_grid(t.grid_c, actor=personas.station, name="x")
    assert all_grids().get(pk=t.grid_c.pk).name == "小坝村第一网格"


def test_city_can_retire_and_move_any_grid(personas):
    # given
    t = personas.territory
    # when
    update_grid(t.grid_c, actor=personas.city, is_active=False)
    moved = update_grid(t.grid_b, actor=personas.city, district=t.district_a)
    # then
    assert all_grids().get(pk=t.grid_c.pk).is_active is False
    assert moved.scope_path == "640300/640302/ps01/d01/640302100202001"


def test_update_refuses_unknown_fields(personas):
    with pytest.raises(TypeError):
        update_grid(personas.territory.grid_a, actor=personas.city, code="640302100201009")
