"""A station chief sets up a month through the API alone: shifts, rules, leave, the roster, the
solver's proposal; the roster's coverage check then finds nothing wrong."""

from fengqiao.core.roles import Role
from tests.conftest import make_user
from tests.duty.conftest import MONTH
from tests.duty.test_proposal_worker import run_worker


def test_a_chief_plans_a_month_through_the_api(api, personas, django_capture_on_commit_callbacks):
    t = personas.territory
    chief = personas.station
    unit = t.station.path
    for code, start, hours in (("早", "08:00", 8), ("夜", "20:00", 12), ("办", "09:00", 8)):
        answer = api.post(
            "/api/v1/duty/shifts",
            {"unit": unit, "code": code, "name": code, "start": start, "hours": hours},
            as_=chief,
        )
        assert answer.status_code == 201, answer.content
    rules = [
        {"kind": "coverage", "value": 1, "area": unit},
        {
            "kind": "reception",
            "value": 1,
            "area": t.district_a.path,
            "weekdays": [0, 1, 2, 3, 4],
            "start_hour": 9,
            "end_hour": 17,
        },
        {"kind": "rest", "value": 12},
        {"kind": "district_days", "value": 4},
    ]
    for rule in rules:
        assert api.post("/api/v1/duty/rules", {"unit": unit, **rule}, as_=chief).status_code == 201
    bad = api.post(
        "/api/v1/duty/rules", {"unit": unit, "kind": "reception", "value": 1, "area": unit}, as_=chief
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "area"
    leave = {"unit": unit, "username": "officer_a", "first_day": "2026-02-07", "last_day": "2026-02-08"}
    assert api.post("/api/v1/duty/leave", leave, as_=chief).status_code == 201

    roster = api.post("/api/v1/duty/rosters", {"unit": unit, "month": f"{MONTH:%Y-%m}"}, as_=chief).json()
    url = f"/api/v1/duty/rosters/{roster['id']}/proposal?first=true"

    def propose() -> dict:
        """Queue the proposal, let the worker run it, read the roster."""
        with django_capture_on_commit_callbacks(execute=True):
            queued = api.post(url, {}, as_=chief)
        assert queued.status_code == 202 and queued.json()["status"] == "queued", queued.content
        run_worker()
        return api.get(f"/api/v1/duty/rosters/{roster['id']}", as_=chief).json()

    # the chief alone cannot hold the station all day while the officer is on leave (a weekend)
    refused = propose()["proposal"]
    assert refused["status"] == "infeasible" and "2026-02-07" in " ".join(refused["conflicts"]), refused
    # with three more at the station they can
    for i in range(3):
        make_user(f"aux{i}", Role.AUXILIARY, unit=t.station)
    detail = propose()
    proposal = detail["proposal"]
    assert proposal["status"] == "feasible" and proposal["shifts"] > 0, proposal
    assert detail["breaches"] == [] and len(detail["assignments"]) == proposal["shifts"]
    assert not any(
        a["name"] == "王五" and a["day"] in ("2026-02-07", "2026-02-08") for a in detail["assignments"]
    )
    # the officer may read the rules but not make them
    refused = api.post(
        "/api/v1/duty/rules", {"unit": t.district_a.path, "kind": "rest", "value": 11}, as_=personas.officer
    )
    assert refused.status_code == 403
