import numpy as np
import pytest
from django.utils import translation
from shapely.geometry import Polygon, box

from fengqiao.geo import locator
from fengqiao.geo.actions import create_grid, update_grid
from fengqiao.geo.locator import Locator, OutsideTerritory
from fengqiao.geo.models import Grid
from tests.conftest import square


def test_locator_places_points_and_resolves_borders_by_order():
    # given two unit squares sharing the border x = 1, and a triangle
    locator_ = Locator([10, 20, 30], [box(0, 0, 1, 1), box(1, 0, 2, 1), Polygon([(5, 5), (6, 5), (5, 6)])])
    # when / then
    assert locator_.locate(0.5, 0.5) == 10
    assert locator_.locate(1.5, 0.5) == 20
    assert locator_.locate(5.2, 5.2) == 30
    assert locator_.locate(5.9, 5.9) is None  # inside the triangle's box, outside the triangle
    assert locator_.locate(3, 3) is None
    assert locator_.locate(1.0, 0.5) == 10  # on the shared border: the first one given
    reversed_ = Locator([20, 10], [box(1, 0, 2, 1), box(0, 0, 1, 1)])
    assert reversed_.locate(1.0, 0.5) == 20


def test_batch_equals_one_by_one():
    # given a 10 × 10 chessboard of cells and random points (some outside, some on borders)
    cells = [box(x, y, x + 1, y + 1) for x in range(10) for y in range(10)]
    locator_ = Locator(range(100, 200), cells)
    rng = np.random.default_rng(7)
    lons = np.concatenate([rng.uniform(-1, 11, 2000), np.arange(0, 11, 1.0)])
    lats = np.concatenate([rng.uniform(-1, 11, 2000), np.full(11, 5.0)])
    # when
    many = locator_.locate_many(lons, lats)
    # then
    single = [locator_.locate(x, y) for x, y in zip(lons, lats, strict=True)]
    assert many.tolist() == [-1 if s is None else s for s in single]
    assert (many == -1).sum() > 0 and (many >= 100).sum() > 0


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        (181, 0, "lon must be between -180 and 180"),
        (0, -91, "lat must be between -90 and 90"),
        ("x", 0, "lon must be a number"),
        (float("nan"), 0, "lon must be between"),
    ],
)
def test_coordinates_are_validated(lon, lat, message):
    with pytest.raises(ValueError, match=message):
        Locator([1], [box(0, 0, 1, 1)]).locate(lon, lat)


def test_batch_names_the_first_bad_point():
    with pytest.raises(ValueError, match=r"lat\[2\] must be between -90 and 90, not 100"):
        Locator([1], [box(0, 0, 1, 1)]).locate_many([0, 0, 0], [0, 0, 100])


@pytest.mark.django_db
def test_locate_finds_the_grid(territory):
    # given grids A (106.10–106.11) and B (106.11–106.12)
    # when / then
    assert locator.locate(106.105, 37.905) == territory.grid_a
    assert locator.locate(106.115, 37.905) == territory.grid_b
    assert locator.locate(106.11, 37.905) == territory.grid_a  # shared border: the lower code wins
    with pytest.raises(OutsideTerritory, match=r"\(100.0, 30.0\) is outside the territory"):
        locator.locate(100, 30)
    ids = locator.locate_many([106.105, 106.115, 106.005, 100], [37.905, 37.905, 38.005, 30])
    assert ids.tolist() == [territory.grid_a.pk, territory.grid_b.pk, territory.grid_c.pk, -1]


@pytest.mark.django_db
def test_locator_is_rebuilt_when_grids_change(personas, django_assert_num_queries):
    # given the locator built once
    t = personas.territory
    assert locator.locate(106.105, 37.905) == t.grid_a
    # when nothing changed, a batch costs one query (the latest change to any grid)
    with django_assert_num_queries(1):
        locator.locate_many([106.105], [37.905])
    # when grid A is moved and a new grid is drawn where it was
    update_grid(t.grid_a, actor=personas.city, geometry=square(106.10, 37.95))
    new = create_grid(
        actor=personas.city,
        code="640302100201002",
        name="新网格",
        community=t.village_a,
        district=t.district_a,
        geometry=square(106.10, 37.90),
    )
    # then points follow the grids
    assert locator.locate(106.105, 37.955) == t.grid_a
    assert locator.locate(106.105, 37.905) == new
    # and a retired grid no longer holds points
    update_grid(new, actor=personas.city, is_active=False)
    with pytest.raises(OutsideTerritory):
        locator.locate(106.105, 37.905)


@pytest.mark.django_db
def test_a_grid_deleted_outright_no_longer_holds_points(territory):
    # given the locator built while grid B existed
    assert locator.locate(106.115, 37.905) == territory.grid_b
    # when B's row is deleted (no edit moves the latest change time)
    Grid.objects.unscoped(reason="test: a grid deleted behind the actions' back").filter(
        pk=territory.grid_b.pk
    ).delete()
    # then its points are outside, and the rest of the city is still placed
    with pytest.raises(OutsideTerritory):
        locator.locate(106.115, 37.905)
    assert locator.locate(106.105, 37.905) == territory.grid_a


@pytest.mark.django_db
def test_outside_is_said_in_the_users_language(territory):
    # given a Chinese-speaking caller (the site's default language)
    with translation.override("zh-hans"), pytest.raises(OutsideTerritory) as caught:
        # when
        locator.locate(100, 30)
    # then the message is translated, and still names the point
    assert "(100.0, 30.0)" in str(caught.value)
    assert "outside" not in str(caught.value)
