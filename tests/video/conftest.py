import pytest

from fengqiao.video.actions import CameraData, add_camera

# centre 64030200 (利通区), industry 00, type 131 (camera), network 5 (police), serial
CODES = {"A": "64030200001315000001", "B": "64030200001315000002", "C": "64038100001325000003"}


def code(serial: int, type_code: str = "131") -> str:
    return f"6403020000{type_code}5{serial:06d}"


@pytest.fixture
def cameras(personas):
    t = personas.territory
    grids = {"A": t.grid_a, "B": t.grid_b, "C": t.grid_c}
    t.cameras = {
        place: add_camera(
            CameraData(
                device_code=CODES[place],
                name=f"路口{place}",
                kind="skynet",
                grid=grids[place],
                lon=grids[place].centroid_lon,
                lat=grids[place].centroid_lat,
            ),
            actor=personas.city,
        )
        for place in "ABC"
    }
    return t.cameras
