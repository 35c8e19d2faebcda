"""The station's video-patrol log and video walls join the scoping matrix. They live in their
station: station ps01's (place A) is seen by its station and the city, station2's (place C) by
the city alone; a district's officer and the grid workers see neither."""

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.video import actions
from fengqiao.video.models import PatrolLog, VideoWall
from tests.fixtures.matrix import ScopedRoutes, ScopingMatrix

VISIBLE = {
    "grid_a": set(),
    "grid_b": set(),
    "officer": set(),
    "station": {"A"},
    "city": {"A", "C"},
    "resident": set(),
}


@pytest.fixture(autouse=True)
def station_rows(personas, cameras):
    t, city = personas.territory, personas.city
    now = timezone.now()
    t.logs, t.walls = {}, {}
    for place, station, camera in (("A", t.station, cameras["A"]), ("C", t.station2, cameras["C"])):
        watch = actions.Watch(
            station=station,
            started_at=now - dt.timedelta(hours=2),
            ended_at=now - dt.timedelta(hours=1),
            cameras=[camera],
            observations=f"巡看记录{place}",
        )
        t.logs[place] = actions.log_video_patrol(watch, actor=city)
        t.walls[place] = actions.save_wall(
            actor=city, station=station, name=f"视频墙{place}", cameras=[camera]
        )


class TestStationRows(ScopingMatrix):
    ROUTES = [
        ScopedRoutes(
            name="video-patrol log pages",
            model=PatrolLog,
            door="web",
            objects=lambda t: t.logs,
            key=lambda log: f'href="/video/patrols/{log.pk}/"',
            list_url="/video/patrols/",
            detail_url=lambda log: f"/video/patrols/{log.pk}/",
        ),
        ScopedRoutes(
            name="video-patrol log API",
            model=PatrolLog,
            door="api",
            objects=lambda t: t.logs,
            key=lambda log: f'"station": "{log.station.path}"',
            list_url="/api/v1/video/patrols",
            detail_url=lambda log: f"/api/v1/video/patrols/{log.pk}",
        ),
        ScopedRoutes(
            name="video walls",
            model=VideoWall,
            door="web",
            objects=lambda t: t.walls,
            key=lambda wall: wall.name,
            list_url="/video/walls/",
            detail_url=lambda wall: f"/video/walls/{wall.pk}/",
        ),
    ]

    def visible_places(self, persona):
        return VISIBLE[persona]
