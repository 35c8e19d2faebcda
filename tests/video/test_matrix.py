"""The camera pages and API join the scoping matrix."""

import pytest

from fengqiao.video.actions import may_manage_cameras
from fengqiao.video.models import Camera
from tests.fixtures.matrix import ScopedRoutes, ScopingMatrix
from tests.video.conftest import code


@pytest.fixture(autouse=True)
def _cameras(cameras):
    return cameras


def grid_of(t, place):
    return {"A": t.grid_a, "B": t.grid_b, "C": t.grid_c}[place]


SERIALS = {"A": 501, "B": 502, "C": 503}


def created(t, place):
    return Camera.objects.unscoped(reason="test: did the create go through").filter(
        device_code=code(SERIALS[place])
    )


def web_payload(t, place):
    return {
        "device_code": code(SERIALS[place]),
        "name": "新摄像头",
        "kind": "skynet",
        "grid": grid_of(t, place).pk,
        "owner_name": "",
        "owner_phone": "",
    }


def api_payload(t, place):
    return {
        "device_code": code(SERIALS[place]),
        "name": "新摄像头",
        "kind": "skynet",
        "grid": grid_of(t, place).code,
    }


ROUTES = [
    ScopedRoutes(
        name="camera pages",
        model=Camera,
        door="web",
        objects=lambda t: t.cameras,
        key=lambda c: c.device_code,
        list_url="/video/",
        detail_url=lambda c: f"/video/cameras/{c.pk}/",
        create_url="/video/cameras/new/",
        create_payload=web_payload,
        created=created,
        may_change=may_manage_cameras,
    ),
    ScopedRoutes(
        name="camera API",
        model=Camera,
        door="api",
        objects=lambda t: t.cameras,
        key=lambda c: c.device_code,
        list_url="/api/v1/video/cameras",
        detail_url=lambda c: f"/api/v1/video/cameras/{c.pk}",
        create_url="/api/v1/video/cameras",
        create_payload=api_payload,
        created=created,
        may_change=may_manage_cameras,
    ),
]


class TestCameras(ScopingMatrix):
    ROUTES = ROUTES
