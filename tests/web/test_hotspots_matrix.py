"""The hotspot pages join the scoping matrix: the map and the emerging hotspots list exactly the
grids of the viewer's jurisdiction (stations and above; the others get the 403 page), and a
grid's weekly trend is a 404 outside it, and for every role below a station."""

import pytest

from fengqiao.geo.models import Grid
from tests.fixtures.matrix import ScopedRoutes, ScopingMatrix

pytestmark = pytest.mark.django_db

# Only stations and above analyse; within that, each sees their own grids.
ANALYSTS = {"station": {"A", "B"}, "city": {"A", "B", "C"}}


@pytest.fixture(autouse=True)
def burglaries(report, personas):
    """A few events of the class in each grid, so the figures are not all alike."""
    for lon, lat, n in ((106.105, 37.905, 3), (106.115, 37.905, 1), (106.005, 38.005, 2)):
        for _k in range(n):
            report("0101", lon=lon, lat=lat, actor=personas.city, title="入室盗窃")


def grids(t):
    return {"A": t.grid_a, "B": t.grid_b, "C": t.grid_c}


HOTSPOT_MAP = ScopedRoutes(
    name="hotspot map",
    model=Grid,
    door="web",
    objects=grids,
    key=lambda g: f'"{g.code}"',
    list_url="/analytics/hotspots/?category=0101",
    detail_url=lambda g: f"/analytics/hotspots/grids/{g.code}/?category=0101&weeks=4",
)
EMERGING = ScopedRoutes(
    name="emerging hotspots",
    model=Grid,
    door="web",
    objects=grids,
    key=lambda g: f'"{g.code}"',
    list_url="/analytics/hotspots/emerging/?category=0101&weeks=4",
    detail_url=lambda g: f"/analytics/hotspots/grids/{g.code}/?category=0101&weeks=4",
)


class TestHotspotPages(ScopingMatrix):
    ROUTES = [HOTSPOT_MAP, EMERGING]

    def visible_places(self, persona):
        return ANALYSTS.get(persona, set())
