import pytest
from django.db import transaction
from django.http import Http404

from fengqiao.core.scoping import (
    OutOfScope,
    ScopeNotApplied,
    ensure_still_visible,
    get_visible_or_404,
    unscoped_block,
)
from fengqiao.geo.models import Grid


def test_a_scoped_query_without_a_user_fails_closed(territory):
    for run in (
        lambda: list(Grid.objects.all()),
        lambda: Grid.objects.count(),
        lambda: Grid.objects.filter(code="x").exists(),
        lambda: Grid.objects.get(code=territory.grid_a.code),
        lambda: Grid.objects.first(),
        lambda: list(Grid.objects.values_list("code", flat=True)),
        lambda: Grid.objects.update(name="x"),
        lambda: list(territory.district_a.grids.all()),
    ):
        with pytest.raises(ScopeNotApplied):
            run()


def test_unscoped_needs_a_reason(territory):
    with pytest.raises(ValueError):
        Grid.objects.unscoped(reason="")
    assert Grid.objects.unscoped(reason="test: count every grid").count() == 3


def test_the_scope_survives_further_chaining(personas):
    qs = Grid.objects.visible_to(personas.station).filter(name__contains="网格").order_by("-code")
    assert [g.code for g in qs] == [personas.territory.grid_b.code, personas.territory.grid_a.code]


def test_scope_applied_before_filters_cannot_be_widened(personas):
    qs = Grid.objects.visible_to(personas.grid_a).filter(code=personas.territory.grid_b.code)
    assert list(qs) == []


def test_out_of_scope_is_the_same_404_as_missing(personas):
    t = personas.territory
    assert get_visible_or_404(Grid.objects, personas.grid_a, code=t.grid_a.code) == t.grid_a
    with pytest.raises(Http404) as out_of_scope:
        get_visible_or_404(Grid.objects, personas.grid_a, code=t.grid_b.code)
    with pytest.raises(Http404) as missing:
        get_visible_or_404(Grid.objects, personas.grid_a, code="000000000000000")
    assert str(out_of_scope.value) == str(missing.value)


def test_a_write_that_leaves_the_writers_scope_is_rolled_back(personas):
    # given the station chief of ps01 editing grid A
    t = personas.territory
    grid = Grid.objects.visible_to(personas.station).get(code=t.grid_a.code)
    # when the grid is moved to a district of another county, inside one transaction
    with pytest.raises(OutOfScope), transaction.atomic():
        grid.district = t.district_c
        grid.save()
        ensure_still_visible(personas.station, grid)
    # then nothing changed
    t.grid_a.refresh_from_db()
    assert t.grid_a.district == t.district_a


def test_uniqueness_validation_sees_the_whole_territory(personas):
    t = personas.territory
    duplicate = Grid(
        code=t.grid_c.code,
        name="x",
        community=t.village_c,
        district=t.district_c,
        geometry={},
        centroid_lon=0,
        centroid_lat=0,
        area_km2=0,
    )
    with pytest.raises(Exception, match="code"):
        duplicate.validate_unique()
    with unscoped_block("test"):
        assert Grid.objects.count() == 3


def test_residents_and_anonymous_users_see_nothing(personas):
    from django.contrib.auth.models import AnonymousUser

    assert Grid.objects.visible_to(personas.resident).count() == 0
    assert Grid.objects.visible_to(AnonymousUser()).count() == 0
    assert Grid.objects.visible_to(None).count() == 0


def test_a_worker_posted_to_several_grids_sees_each(personas):
    from fengqiao.accounts.models import Posting

    t = personas.territory
    Posting.objects.create(user=personas.grid_a, grid=t.grid_c)
    personas.grid_a.forget_scope()
    assert set(Grid.objects.visible_to(personas.grid_a).values_list("code", flat=True)) == {
        t.grid_a.code,
        t.grid_c.code,
    }


def test_a_path_prefix_is_not_a_subtree(personas):
    # "…/d01" must not match a sibling "…/d010"
    from fengqiao.geo.choices import UnitKind
    from fengqiao.geo.models import PoliceUnit
    from tests.conftest import make_grid

    t = personas.territory
    d010 = PoliceUnit.objects.create(kind=UnitKind.DISTRICT, code="d010", name="x", parent=t.station)
    make_grid("640302100201002", "x", t.village_a, d010, 106.2, 37.9)
    assert Grid.objects.visible_to(personas.officer).count() == 1
