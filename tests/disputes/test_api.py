"""The ledger through the API: register, move, record, count; scope and errors as elsewhere."""

import pytest
from django.utils import timezone

from tests.fixtures.api import ApiCaller
from tests.fixtures.disputes import APPLICANT_ID, RESPONDENT_ID

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.disputes.api_urls")]
BASE = "/api/test/disputes"


@pytest.fixture
def api(client):
    return ApiCaller(client)


def body(grid_code, **extra):
    return {
        "title": "邻里噪音纠纷",
        "grid": grid_code,
        "source": "application",
        "category": "neighbours",
        "grade": "orange",
        "facts": "楼上装修噪音。",
        "points": "施工时间。",
        "parties": [
            {"role": "applicant", "name": "甲某", "id_number": APPLICANT_ID},
            {"role": "respondent", "name": "乙某", "id_number": RESPONDENT_ID},
        ],
        "amount": "300.00",
        **extra,
    }


def test_register_mediate_agree_resolve_and_count(api, personas):
    officer, grid = personas.officer, personas.territory.grid_a
    made = api.post(BASE, body(grid.code), as_=officer)
    assert made.status_code == 201, made.content
    dispute = made.json()
    assert dispute["status"] == "registered" and dispute["parties"][0]["id_number"] == "1101**********002X"
    number = dispute["number"]
    moved = api.post(
        f"{BASE}/{number}/transitions", {"transition": "start", "version": dispute["version"]}, as_=officer
    )
    assert moved.json()["status"] == "mediating"
    stale = api.post(
        f"{BASE}/{number}/transitions", {"transition": "terminate", "version": 1, "note": "x"}, as_=officer
    )
    assert stale.status_code == 409
    today = timezone.localdate().isoformat()
    assert (
        api.post(
            f"{BASE}/{number}/sessions",
            {"held_on": today, "place": "社区", "participants": "王五（民警）", "minutes": "调解成功"},
            as_=officer,
        ).status_code
        == 201
    )
    agreement = api.post(
        f"{BASE}/{number}/agreement",
        {"terms": "限定施工时间", "performance_method": "自觉遵守", "perform_by": today},
        as_=officer,
    ).json()
    assert agreement["serial"].startswith("TJXY-") and "/verify/agreement/" in agreement["verify_url"]
    version = api.get(f"{BASE}/{number}", as_=officer).json()["version"]
    resolved = api.post(
        f"{BASE}/{number}/transitions", {"transition": "resolve", "version": version}, as_=officer
    )
    assert resolved.json()["outcome"] == "resolved"
    figures = api.get(f"{BASE}/statistics", as_=personas.station).json()
    assert figures["total"]["found"] == 1 and figures["total"]["rate"] == 1.0
    listed = api.get(
        figures["total"]["links"]["resolved"].replace("/disputes/", f"{BASE}"), as_=personas.station
    )
    assert [d["number"] for d in listed.json()["items"]] == [number]
    board = api.get(f"{BASE}/quota", as_=personas.station).json()
    assert [(r["label"], r["resolved"]) for r in board["officers"]] == [(str(officer), 1)]


def test_scope_and_errors(api, personas):
    grid_a = personas.territory.grid_a
    refused = api.post(BASE, body(grid_a.code), as_=personas.grid_b)
    assert refused.status_code == 422 and "grid" in refused.content.decode()
    bad = body(grid_a.code, parties=[{"role": "applicant", "name": "甲", "id_number": "123"}])
    assert api.post(BASE, bad, as_=personas.officer).status_code == 422
    number = api.post(BASE, body(grid_a.code), as_=personas.officer).json()["number"]
    assert api.get(f"{BASE}/{number}", as_=personas.grid_b).status_code == 404
    assert api.get(f"{BASE}/{number}", as_=personas.grid_a).status_code == 200
    assert api.get(BASE, as_=personas.resident).status_code == 403
    assert api.get(BASE, as_=personas.grid_b).json()["count"] == 0
    assert api.get(BASE, as_=personas.officer, params={"category": "nonsense"}).status_code == 422
