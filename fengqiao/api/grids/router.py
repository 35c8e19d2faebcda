"""Grids: list and read within the caller's scope; create and change through ``geo.actions``."""

import re

from ninja import Query, Router, Status

from fengqiao.api.pagination import LimitOffset, paginate
from fengqiao.api.schemas import (
    ERRORS,
    GRID_CODE,
    GridCreateIn,
    GridFeature,
    GridFilters,
    GridOut,
    GridPatchIn,
)
from fengqiao.core.scoping import get_visible_or_404
from fengqiao.geo.actions import create_grid, update_grid
from fengqiao.geo.models import Grid

router = Router(tags=["grids"])


def visible_grids(user, filters: GridFilters | None = None):
    """The grids ``user`` may see, with what the list shows loaded in the same query."""
    grids = (
        Grid.objects.visible_to(user)
        .select_related("community", "district__parent")
        .defer("geometry")
        .order_by("code")
    )
    if filters is not None and filters.community:
        grids = grids.filter(community__code=filters.community)
    if filters is not None and filters.district:
        field = "district__path" if "/" in filters.district else "district__code"
        grids = grids.filter(**{field: filters.district})
    return grids


def grid_for(user, code: str) -> Grid:
    """The grid ``code`` if ``user`` may see it; 404 alike for missing, out of scope and malformed."""
    queryset = Grid.objects.select_related("community", "district__parent")
    if not re.fullmatch(GRID_CODE, code):
        queryset = queryset.none()  # no grid has such a code; and the database never sees it
    return get_visible_or_404(queryset, user, code=code)


@router.get("", response={200: list[GridOut], **ERRORS}, url_name="grid-list", summary="List grids")
@paginate(LimitOffset)
def list_grids(request, filters: Query[GridFilters]):
    """The grids in the caller's scope, by code. ``community`` and ``district`` narrow the list;
    ``count`` is the number of grids matching, across all pages."""
    return visible_grids(request.auth, filters)


@router.get("/{code}", response={200: GridFeature, **ERRORS}, url_name="grid-detail", summary="One grid")
def get_grid(request, code: str):
    """A grid as a GeoJSON Feature. A grid outside the caller's scope is 404, like a missing one."""
    return GridFeature.of(grid_for(request.auth, code))


@router.post("", response={201: GridFeature, **ERRORS}, url_name="grid-create", summary="Create a grid")
def post_grid(request, payload: GridCreateIn):
    """Create a grid (station, county and city command only). ``district`` is the police
    district's path; a grid that would lie outside the caller's scope is 404 and nothing is written."""
    grid = create_grid(actor=request.auth, **payload.dict())
    return Status(201, GridFeature.of(grid_for(request.auth, grid.code)))


@router.patch(
    "/{code}", response={200: GridFeature, **ERRORS}, url_name="grid-update", summary="Change a grid"
)
def patch_grid(request, code: str, payload: GridPatchIn):
    """Change the fields sent: name, community, district, geometry, is_active."""
    grid = update_grid(grid_for(request.auth, code), actor=request.auth, **payload.dict(exclude_unset=True))
    return GridFeature.of(grid_for(request.auth, grid.code))
