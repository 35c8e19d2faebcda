"""What the fuzzer found on the API, each kept as a case of its own."""

import pytest
from django.test import Client

from fengqiao.events.models import Event

EVENTS = "/api/v1/events"


@pytest.mark.parametrize("url", [EVENTS, "/api/v1/registry/people", "/api/v1/disputes"])
def test_an_offset_beyond_any_row_is_a_4xx_or_an_empty_page(api, personas, url):
    response = api.get(url, as_=personas.city, params={"offset": str(2**63 + 5)})
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "offset"


@pytest.mark.parametrize("url", ["/api/v1/registry/people", "/api/v1/registry/organisations"])
def test_a_grid_code_of_unicode_digits_is_422(api, personas, url):
    response = api.post(url, {"grid": "²", "name": "张三"}, as_=personas.officer)
    assert response.status_code == 422, response.content


def test_the_same_external_id_twice_is_409_naming_the_first(api, personas, categories):
    body = {
        "category": "0401",
        "title": "井盖缺失",
        "lon": 106.105,
        "lat": 37.905,
        "external_id": "110-2026-1",
    }
    first = api.post(EVENTS, body, as_=personas.officer)
    assert first.status_code == 201, first.content
    again = api.post(EVENTS, body, as_=personas.officer)
    assert again.status_code == 409, again.content
    assert again.json()["number"] == first.json()["number"]
    assert Event.objects.unscoped(reason="test").filter(external_id="110-2026-1").count() == 1


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_an_unknown_path_with_an_unsafe_method_is_a_json_404(db, method):
    # As a browser or curl sends it: no CSRF token, so the CSRF check runs for real.
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/v1/nowhere", b"{}", content_type="application/json")
    assert response.status_code == 404, response.content[:200]
    assert response.json() == {"detail": "/api/v1/nowhere 没有 API 接口。"}
