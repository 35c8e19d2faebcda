"""Household visits through the API (issue 17 §5): an officer records a visit from a phone by the
home's address code or the business's credit code, a finding enters the grid's inbox in the same
step, the visits in scope are listed page by page with the visits page's filters, and reading them
is on the record with the purpose of a home visit. Bad input is a 422 naming the field and leaves
nothing; the API joins the scoping matrix in ``test_visits.py``."""

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.core import casework
from fengqiao.events.models import Event
from fengqiao.patrols.models import Visit
from fengqiao.registry.models import ReadLog
from tests.fixtures.api import fields_of
from tests.fixtures.registry import make_address, make_house, make_organisation

pytestmark = pytest.mark.django_db
URL = "/api/v1/patrols/visits"


def all_visits():
    return Visit.objects.unscoped(reason="test: every visit")


@pytest.fixture
def places(personas):
    t = personas.territory
    return {
        "home": make_house(make_address(t.grid_a), is_rented=True),
        "hotel": make_organisation(make_address(t.grid_a), name="金积宾馆", hotel=True),
        "home_b": make_house(make_address(t.grid_b)),
    }


def test_an_officer_records_visits_and_a_finding_reaches_the_grids_inbox(personas, places, categories, api):
    officer = personas.officer
    # when the officer records a visit to a rented home, reporting what they found
    home = api.post(
        URL,
        {
            "target": "household",
            "place": places["home"].address.code,
            "met": "租客李某",
            "notes": "楼道堆放杂物",
            "card_given": True,
            "finding_category": "0401",
            "finding_title": "出租房楼道堆放杂物",
        },
        as_=officer,
    )
    # then it is kept in the home's grid, and the finding is an event in grid worker A's inbox
    assert home.status_code == 201, home.content
    body = home.json()
    assert (body["target"], body["code"], body["met"], body["card_given"]) == (
        "household",
        places["home"].address.code,
        "租客李某",
        True,
    )
    assert body["place"] == places["home"].address.full_text
    assert body["grid"] == personas.territory.grid_a.code
    event = Event.objects.visible_to(officer).get(number=body["finding"])
    assert event.title == "出租房楼道堆放杂物"
    assert event.pk in {case.pk for case in casework.inbox(personas.grid_a) if isinstance(case, Event)}
    # and a business by its credit code, an hour ago
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    hotel = api.post(
        URL,
        {
            "target": "business",
            "place": places["hotel"].credit_code,
            "met": "经理",
            "visited_at": an_hour_ago.isoformat(),
        },
        as_=officer,
    )
    assert hotel.status_code == 201, hotel.content
    assert hotel.json()["place"] == "金积宾馆" and hotel.json()["finding"] is None
    # the list gives both, newest first, with the total; the visits page's filters narrow it
    listed = api.get(URL, as_=officer).json()
    assert listed["count"] == 2 and [v["id"] for v in listed["items"]] == [body["id"], hotel.json()["id"]]
    only = api.get(URL, as_=officer, params={"target": "business", "limit": 1}).json()
    assert only["count"] == 1 and only["items"][0]["code"] == places["hotel"].credit_code
    assert api.get(f"{URL}/{body['id']}", as_=officer).json()["finding"] == event.number


def test_reading_visits_is_on_the_record_as_a_home_visit(personas, places, api):
    # given a visit, read by an API caller who states no purpose
    officer = personas.officer
    headers = {"Authorization": f"Bearer {api.token_of(officer)}", "Accept-Language": "en"}
    made = api.client.post(
        URL,
        {"target": "household", "place": places["home"].address.code, "met": "户主"},
        content_type="application/json",
        headers=headers,
    )
    assert made.status_code == 201, made.content
    ReadLog.objects.all().delete()
    # when they read it
    assert api.client.get(f"{URL}/{made.json()['id']}", headers=headers).status_code == 200
    # then the read of the home is on the record, with the purpose of a home visit
    (log,) = ReadLog.objects.filter(actor=officer)
    assert log.purpose == "visit" and log.entry.after["records"]["house"] == [places["home"].pk]
    # and a purpose the caller states is kept instead
    api.client.get(URL, headers={**headers, "X-Purpose": "case"})
    assert ReadLog.objects.filter(actor=officer).latest("at").purpose == "case"


def test_bad_visits_are_refused_naming_the_field_and_leave_nothing(personas, places, categories, api):
    officer, code = personas.officer, places["home"].address.code
    cases = [
        ({"target": "household", "place": "000000000000", "met": "户主"}, "place"),
        ({"target": "household", "place": places["home_b"].address.code, "met": "户主"}, "place"),  # grid B
        ({"target": "shop", "place": code, "met": "户主"}, "target"),
        ({"target": "household", "place": code, "met": "  "}, "met"),
        (
            {"target": "household", "place": code, "met": "户主", "visited_at": "2026-12-01T08:00:00"},
            "visited_at",
        ),
        (
            {
                "target": "household",
                "place": code,
                "met": "户主",
                "visited_at": (timezone.now() + dt.timedelta(hours=3)).isoformat(),
            },
            "visited_at",
        ),
        ({"target": "household", "place": code, "met": "户主", "finding_category": "0401"}, "finding_title"),
        ({"target": "household", "place": code, "met": "户主", "colour": "red"}, "colour"),
    ]
    for payload, field in cases:
        answer = api.post(URL, payload, as_=officer)
        assert answer.status_code == 422 and field in fields_of(answer), (payload, answer.content)
    # a grid worker and a resident do not visit
    for user in (personas.grid_a, personas.resident):
        answer = api.post(URL, {"target": "household", "place": code, "met": "户主"}, as_=user)
        assert answer.status_code == 403, user
    assert not all_visits().exists() and not Event.objects.unscoped(reason="test").exists()
    # a bad filter names itself; a resident lists nothing
    assert "visited_from" in fields_of(api.get(URL, as_=officer, params={"visited_from": "2026-13-01"}))
    assert api.get(URL, as_=personas.resident).status_code == 403
