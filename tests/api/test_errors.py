"""Bad input anywhere gets a 4xx with a JSON ``detail``, never a 500 and never an HTML page."""

import pytest
from django.test import override_settings

from fengqiao.geo.models import Grid

GRID_A = "640302100201001"

# (method, url) of every endpoint that reads a body.
BODY_ENDPOINTS = [
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/grids"),
    ("patch", f"/api/v1/grids/{GRID_A}"),
    ("post", "/api/v1/locate"),
]

GARBAGE_BODIES = [
    b"not json at all",
    b'{"lon": 106.1,',
    b"[]",
    b"[1, 2]",
    b"null",
    b"42",
    b'"a string"',
    b'{"lon": NaN, "lat": 37.9}',
    b'{"lon": Infinity, "lat": 37.9}',
    b"\xff\xfe\x00garbage",
    b'{"code": {"$gt": ""}, "name": [], "community": 1, "district": null, "geometry": 5}',
    b'{"username": {"a": 1}, "password": 1e400, "lon": [[[]]], "geometry": {"type": "Polygon"}}',
    b'{"' + b"x" * 10_000 + b'": 1}',
    # NUL characters, which PostgreSQL text columns refuse
    b'{"username": "sta\\u0000tion", "password": "x\\u0000"}',
    b'{"code": "640302100201\\u0000077", "name": "\\u0000", "community": "640302100201", '
    b'"district": "640300/640302/ps01/d01", "geometry": {"type": "Polygon\\u0000", "coordinates": []}}',
    b'{"name": "a\\u0000b", "lon": "\\u0000"}',
]


@pytest.mark.parametrize(("method", "url"), BODY_ENDPOINTS)
@pytest.mark.parametrize("body", GARBAGE_BODIES, ids=range(len(GARBAGE_BODIES)))
def test_garbage_bodies_get_a_4xx_with_a_detail(api, personas, method, url, body):
    # when garbage is sent where a JSON object belongs
    send = getattr(api.client, method)
    response = send(url, body, content_type="application/json", headers=api.headers(personas.station))
    # then the answer is a client error in JSON, saying what is wrong (the test client would
    # raise on a 500)
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]
    assert Grid.objects.unscoped(reason="test: nothing written").count() == 3


@pytest.mark.parametrize(("method", "url"), BODY_ENDPOINTS)
def test_a_form_encoded_body_is_refused_as_not_json(api, personas, method, url):
    send = getattr(api.client, method)
    response = send(
        url,
        "lon=106.1&lat=37.9",
        content_type="application/x-www-form-urlencoded",
        headers=api.headers(personas.station),
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "body", "message": "The request body is not valid JSON."}]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/grids?limit=-5&offset=x",
        "/api/v1/grids?community=%3Cscript%3E&district=%00",
        "/api/v1/grids?limit=99999999999999999999999",
        "/api/v1/grids/" + "9" * 500,
        "/api/v1/grids/%E2%80%AE%00",
        "/api/v1/grids/640302100201%00001",
        "/api/v1/grids/\u0664\u0660\u0663\u0660\u0662\u0661\u0660\u0660\u0662\u0660\u0661\u0660\u0660\u0661",
        "/api/v1/grids/640302100201001/extra",
        "/api/v1/nothing-here",
    ],
)
def test_garbage_urls_get_a_4xx_with_a_detail(api, personas, url):
    response = api.get(url, as_=personas.city)
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_a_wrong_method_is_405_in_json(api, personas):
    response = api.client.put("/api/v1/locate", b"{}", content_type="application/json")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "PUT" in response.json()["detail"]


def test_an_unknown_endpoint_is_404_in_json(api, personas):
    response = api.get("/api/v1/grid", as_=personas.city)
    assert response.status_code == 404
    assert response.json() == {"detail": "No API endpoint at /api/v1/grid."}


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_too_large_is_413_in_json(api, personas):
    # when a body larger than the server accepts arrives
    body = {"lon": 106.105, "lat": 37.905, "padding": "x" * 2000}
    response = api.post("/api/v1/locate", body, as_=personas.city)
    # then it is refused as too large, naming the body
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "body"


def test_the_api_root_points_to_the_schema_and_the_docs(client, db):
    response = client.get("/api/v1/")
    assert response.status_code == 200
    assert response.json() == {
        "title": "Fengqiao API",
        "version": "1",
        "openapi": "/api/v1/openapi.json",
        "docs": "/api/v1/docs",
    }
