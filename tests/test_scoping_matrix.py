"""The grids join the scoping matrix, through the pages and the API (tests/fixtures/matrix.py)."""

import json

from fengqiao.core.roles import GRID_MANAGERS
from fengqiao.geo.models import Grid
from tests.conftest import square
from tests.fixtures.matrix import ScopedRoutes, ScopingMatrix


def grid_objects(t):
    return {"A": t.grid_a, "B": t.grid_b, "C": t.grid_c}


def grid_place(t, place):
    return {
        "A": (t.village_a, t.district_a, "640302100201077"),
        "B": (t.village_b, t.district_b, "640302100202077"),
        "C": (t.village_c, t.district_c, "640381100201077"),
    }[place]


def may_manage_grids(user):
    return user.is_superuser or user.role in GRID_MANAGERS


def grid_create_web(t, place):
    community, district, code = grid_place(t, place)
    return {
        "code": code,
        "name": "新网格",
        "community": community.pk,
        "district": district.pk,
        "geometry": json.dumps(square(106.3, 37.9)),
    }


def grid_create_api(t, place):
    community, district, code = grid_place(t, place)
    return {
        "code": code,
        "name": "新网格",
        "community": community.code,
        "district": district.path,
        "geometry": square(106.3, 37.9),
    }


def created_grid(t, place):
    return Grid.objects.unscoped(reason="test: did the create go through").filter(
        code=grid_place(t, place)[2]
    )


ROUTES = [
    ScopedRoutes(
        name="grid pages",
        model=Grid,
        door="web",
        objects=grid_objects,
        key=lambda g: g.code,
        list_url="/grids/",
        detail_url=lambda g: f"/grids/{g.code}/",
        edit_url=lambda g: f"/grids/{g.code}/edit/",
        edit_payload=lambda g: {
            "name": "改名网格",
            "community": g.community_id,
            "district": g.district_id,
            "geometry": json.dumps(g.geometry),
        },
        create_url="/grids/new/",
        create_payload=grid_create_web,
        created=created_grid,
        may_change=may_manage_grids,
    ),
    ScopedRoutes(
        name="grid API",
        model=Grid,
        door="api",
        objects=grid_objects,
        key=lambda g: g.code,
        list_url="/api/v1/grids?limit=100",
        detail_url=lambda g: f"/api/v1/grids/{g.code}",
        edit_url=lambda g: f"/api/v1/grids/{g.code}",
        edit_payload=lambda g: {"name": "改名网格"},
        create_url="/api/v1/grids",
        create_payload=grid_create_api,
        created=created_grid,
        may_change=may_manage_grids,
    ),
]


class TestGrids(ScopingMatrix):
    ROUTES = ROUTES
