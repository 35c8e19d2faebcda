"""Place a point in its grid."""

from ninja import Router

from fengqiao.api.schemas import ErrorOut, LocateIn, LocateOut
from fengqiao.geo.locator import locate
from fengqiao.geo.models import Grid

router = Router(tags=["grids"])


@router.post(
    "/locate",
    response={200: LocateOut, 401: ErrorOut, 422: ErrorOut},
    url_name="locate",
    summary="Locate a point",
)
def locate_point(request, payload: LocateIn):
    """The grid a WGS-84 point falls in. A point in no grid is 422 "outside the territory".

    The locator knows every grid, but a caller learns about a grid only what their scope allows:
    for a grid of theirs, everything; for any other, ``in_scope: false`` with just the grid code and
    its village/community (public administrative facts) — enough to hand a case on to whoever
    is responsible, nothing of another unit's organisation."""
    located = locate(payload.lon, payload.lat)
    grid = (
        Grid.objects.visible_to(request.auth)
        .select_related("community", "district__parent")
        .filter(pk=located.pk)
        .first()
    )
    if grid is None:
        return {"code": located.code, "in_scope": False, "community": located.community}
    return {
        "code": grid.code,
        "in_scope": True,
        "community": grid.community,
        "name": grid.name,
        "district": grid.district,
        "station": grid.district.parent,
    }
