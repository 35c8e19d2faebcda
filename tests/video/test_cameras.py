"""The camera inventory: GB/T 28181 codes checked part by part, owners registering their cameras
anonymously and staff confirming them, the owner's phone masked."""

import pytest
from django.test import override_settings
from django.utils import translation

from fengqiao.core.models import AuditEntry
from fengqiao.video.models import Camera
from fengqiao.video.rules import device_code_problem
from tests.video.conftest import code

UNSCOPED = "test: what the registration made"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("6403020000131500001", "20位"),  # 19 digits
        ("640302000013150000A1", "20位"),
        ("99030200001315000001", "第1–8位"),  # no province 99
        ("64000000001315000001", "第1–8位"),  # a province, not a division under it
        ("64030200001115000001", "第11–13位"),  # 111 is a DVR, not a camera
        ("64030200001319000001", "第14位"),  # network 9 is reserved
    ],
)
def test_a_wrong_device_code_is_refused_naming_the_part(value, words):
    with translation.override("zh-hans"):
        problem = device_code_problem(value)
    assert problem and words in problem, problem


def test_a_right_device_code_passes():
    assert device_code_problem("64030200001315000001") is None
    assert device_code_problem(" 64038100001328123456 ") is None  # a network camera on network 8


def owner_form(**extra):
    return {
        "device_code": code(77, "132"),
        "name": "金积超市门口",
        "kind": "shop",
        "lon": "106.105",
        "lat": "37.905",
        "owner_name": "马老板",
        "owner_phone": "13912345678",
        **extra,
    }


def test_an_owner_registers_and_the_officer_confirms(client, personas):
    # given an owner without an account
    # when they register their shop's camera
    response = client.post("/report/camera/", owner_form())
    assert response.status_code == 302, response.content.decode()[:500]
    camera = Camera.objects.unscoped(reason=UNSCOPED).get(device_code=code(77, "132"))
    assert (camera.status, camera.grid, camera.registered_publicly) == (
        "pending",
        personas.territory.grid_a,
        True,
    )
    assert AuditEntry.objects.filter(action="camera_register", object_id=str(camera.pk)).exists()
    # then the grid worker of the next grid does not see it, the officer of its district does, masked
    client.force_login(personas.grid_b)
    assert client.get(f"/video/cameras/{camera.pk}/").status_code == 404
    client.force_login(personas.officer)
    page = client.get(f"/video/cameras/{camera.pk}/").content.decode()
    assert "139****5678" in page and "13912345678" not in page
    # a grid worker may not confirm; the officer does
    client.force_login(personas.grid_a)
    assert client.post(f"/video/cameras/{camera.pk}/confirm/", {}).status_code == 403
    client.force_login(personas.officer)
    client.post(f"/video/cameras/{camera.pk}/confirm/", {"stream_url": "rtsp://10.1.1.7/live"})
    camera.refresh_from_db()
    assert (camera.status, camera.confirmed_by, camera.stream_url) == (
        "active",
        personas.officer,
        "rtsp://10.1.1.7/live",
    )


def test_a_bad_registration_names_the_field_in_chinese_and_keeps_nothing(client, personas):
    response = client.post(
        "/report/camera/",
        owner_form(device_code=code(5, "111"), owner_phone=""),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "第11–13位" in body
    assert not Camera.objects.unscoped(reason=UNSCOPED).exists()


def test_a_device_code_is_registered_once(client, personas, cameras):
    response = client.post("/report/camera/", owner_form(device_code=cameras["A"].device_code))
    assert response.status_code == 200
    assert Camera.objects.unscoped(reason=UNSCOPED).filter(device_code=cameras["A"].device_code).count() == 1


@override_settings(ANONYMOUS_REPORTS_PER_MINUTE=2)
def test_the_registration_is_rate_limited(client, personas):
    statuses = [
        client.post("/report/camera/", owner_form(device_code=code(100 + i))).status_code for i in range(3)
    ]
    assert statuses[:2] == [302, 302] and statuses[2] == 429
    assert Camera.objects.unscoped(reason=UNSCOPED).count() == 2
