"""A list's grid filter: a select of the user's grids, or, past ``GRID_SELECT_LIMIT`` grids (the
city's thousands), a box for the grid's code that filters the same way and stays in scope."""

import pytest

from fengqiao.web import selectors
from tests.fixtures import registry as registry_fixtures

world = registry_fixtures.registry_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_grids(monkeypatch):
    """Every scope counts as more grids than a select shows."""
    monkeypatch.setattr(selectors, "GRID_SELECT_LIMIT", 1)


def test_a_few_grids_are_picked_from_a_select(logged_in, personas):
    page = logged_in(personas.station).get("/events/").content.decode()
    assert '<select name="grid"' in page
    assert f'value="{personas.territory.grid_b.code}"' in page


def test_past_the_limit_the_events_list_takes_a_grid_code(logged_in, personas, report, many_grids):
    t = personas.territory
    a = report(title="楼道堵塞")
    b = report(lon=106.115, lat=37.905, actor=personas.grid_b, title="噪音扰民")
    station = logged_in(personas.station)
    page = station.get("/events/").content.decode()
    assert '<select name="grid"' not in page and 'name="grid"' in page
    filtered = station.get("/events/", {"grid": t.grid_b.code}).content.decode()
    assert b.number in filtered and a.number not in filtered
    assert f'value="{t.grid_b.code}"' in filtered  # the box keeps what was asked


def test_past_the_limit_the_people_list_takes_a_grid_code_in_scope(logged_in, world, many_grids):
    t = world.personas.territory
    client = logged_in(world.personas.station)
    page = client.get("/registry/people/").content.decode()
    assert '<select name="grid"' not in page and 'name="grid"' in page
    by_grid = client.get("/registry/people/", {"grid": t.grid_b.code}).content.decode()
    assert f"/registry/people/{world.person_b.pk}/" in by_grid
    assert f"/registry/people/{world.person_a.pk}/" not in by_grid
    # a grid outside the scope is refused as the select refused it
    refused = client.get("/registry/people/", {"grid": t.grid_c.code})
    assert "grid" in refused.context["form"].errors
