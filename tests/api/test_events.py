"""Events through the API: scoped lists with the shared filters, details with timeline and steps,
intake by staff, moves with optimistic versions (If-Match, 412, 428), the inbox and the board."""

import dataclasses
import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.api.events.schemas import FILTER_HELP
from fengqiao.core.models import AuditEntry, TimelineEntry
from fengqiao.events.actions import move
from fengqiao.events.choices import Channel, Status
from fengqiao.events.models import Event
from fengqiao.events.selectors import EventFilter
from tests.fixtures.api import fields_of
from tests.fixtures.registry import make_address

EVENTS = "/api/v1/events"

pytestmark = pytest.mark.django_db


def stored(number) -> Event:
    return Event.objects.unscoped(reason="test: what is in the database").get(number=number)


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [item["number"] for item in response.json()["items"]]


def transition(api, number, body, *, as_, if_match=None):
    headers = api.headers(as_)
    if if_match is not None:
        headers["If-Match"] = if_match
    return api.client.post(
        f"{EVENTS}/{number}/transitions", body, content_type="application/json", headers=headers
    )


# --- list -------------------------------------------------------------------------------------


def test_the_filter_parameters_are_the_selectors_vocabulary(client):
    # The list takes and documents exactly EventFilter's parameters, each explained.
    operation = client.get("/api/v1/openapi.json").json()["paths"][EVENTS]["get"]
    documented = {p["name"]: p.get("description", "") for p in operation["parameters"]}
    names = [f.name for f in dataclasses.fields(EventFilter)]
    assert set(documented) == {*names, "limit", "offset"}
    assert all(documented[name] for name in names)
    assert set(FILTER_HELP) == set(names)


def test_the_list_is_scoped_newest_first_and_paginated(api, personas, report):
    first = report(at=timezone.now() - dt.timedelta(hours=2))
    second = report(at=timezone.now() - dt.timedelta(hours=1))
    in_b = report(lon=106.115, lat=37.905, actor=personas.grid_b)
    assert numbers(api.get(EVENTS, as_=personas.grid_a)) == [second.number, first.number]
    assert set(numbers(api.get(EVENTS, as_=personas.station))) == {first.number, second.number, in_b.number}
    assert numbers(api.get(EVENTS, as_=personas.resident)) == []
    page = api.get(EVENTS, as_=personas.station, params={"limit": 1, "offset": 1}).json()
    assert (page["count"], page["limit"], page["offset"], len(page["items"])) == (3, 1, 1, 1)
    item = api.get(EVENTS, as_=personas.grid_a).json()["items"][0]
    assert item["category"] == {"code": "0401", "name": "安全隐患"}
    assert item["grid"]["code"] == personas.territory.grid_a.code
    assert item["status"] == "reported" and item["version"] == 1 and item["holder_level"] == "grid"
    assert "reporter_phone" not in item and "tracking_code" not in item


def test_the_list_costs_the_same_queries_for_more_events(api, personas, report):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        api.get(EVENTS, as_=personas.station)  # the token's first use writes; measure the next
        with CaptureQueriesContext(connection) as captured:
            assert api.get(EVENTS, as_=personas.station).status_code == 200
        return len(captured)

    report()
    few = queries()
    for _ in range(4):
        move(report(), "file", actor=personas.grid_a, version=1)
    assert queries() == few


def test_the_list_takes_the_shared_filters(api, personas, report):
    t = personas.territory
    a = report()
    b = report(lon=106.115, lat=37.905, actor=personas.grid_b)
    move(b, "escalate", actor=personas.grid_b, version=b.version, note="需要支援")
    get = lambda **params: numbers(api.get(EVENTS, as_=personas.station, params=params))  # noqa: E731
    assert get(unit=t.district_a.path) == [a.number]
    assert get(escalated="1") == [b.number]
    assert get(status="open", grid=t.grid_b.code) == [b.number]
    assert get(q=a.number) == [a.number]
    assert get(category="05") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "sleeping"}, "status"),
        ({"opened_from": "yesterday"}, "opened_from"),
        ({"within": "x"}, "within"),
    ],
)
def test_a_bad_filter_is_422_naming_the_parameter(api, personas, params, field):
    response = api.get(EVENTS, as_=personas.station, params=params)
    assert response.status_code == 422
    assert fields_of(response) == {field}


def test_anonymous_callers_are_401(api, db):
    assert api.get(EVENTS).status_code == 401
    assert api.get("/api/v1/inbox").status_code == 401
    assert api.post(EVENTS, {"category": "0401", "title": "x", "lon": 106.1, "lat": 37.9}).status_code == 401


# --- detail -----------------------------------------------------------------------------------


def test_the_detail_has_timeline_steps_and_the_version_as_etag(api, personas, report):
    event = report(reporter_name="周九", reporter_phone="13912345678")
    event = move(event, "file", actor=personas.grid_a, version=event.version)
    response = api.get(f"{EVENTS}/{event.number}", as_=personas.grid_a)
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    body = response.json()
    assert body["version"] == 2 and body["status"] == "filed"
    assert [(e["transition"], e["to_status"]) for e in body["timeline"]] == [
        ("open", "reported"),
        ("file", "filed"),
    ]
    assert body["timeline"][1]["actor"] == "grid_a"
    steps = {t["name"]: t for t in body["transitions"]}
    assert "dispatch" in steps and "file" not in steps and "approve_extension" not in steps
    # each step says what it takes in `data`
    assert [(f["name"], f["type"]) for f in steps["request_extension"]["input"]] == [
        ("hours", "IntegerField")
    ]
    assert {f["name"] for f in steps["dispatch"]["input"]} == {"holder_path", "assignee"}
    assert steps["escalate"]["input"] == []
    assert body["reporter_name"] == "周九"
    assert body["reporter_phone"] == "139****5678"  # masked: no role sees phones whole by default
    # the tracking code is the reporter's: given once in the intake's answer, never in a read
    assert "tracking_code" not in body and event.tracking_code not in response.content.decode()

    # The officer, above the holder, may approve an extension once one is asked for; the grid
    # worker may not.
    def officer_steps():
        body = api.get(f"{EVENTS}/{event.number}", as_=personas.officer).json()
        return {t["name"] for t in body["transitions"]}

    assert "approve_extension" not in officer_steps() and "refuse_extension" not in officer_steps()
    Event.objects.unscoped(reason="test").filter(pk=event.pk).update(extension_hours=4)
    assert {"approve_extension", "refuse_extension"} <= officer_steps()


def test_an_unknown_number_is_404(api, personas):
    response = api.get(f"{EVENTS}/E-640302-20260101-9999", as_=personas.city)
    assert response.status_code == 404
    assert response.json()["detail"]


# --- intake -----------------------------------------------------------------------------------


def test_staff_take_in_an_event_at_a_point(api, personas, categories):
    response = api.post(
        EVENTS,
        {
            "category": "0401",
            "title": "井盖缺失",
            "lon": 106.105,
            "lat": 37.905,
            "reporter_phone": "13900000000",
        },
        as_=personas.grid_a,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    event = stored(body["number"])
    assert body == {
        "number": event.number,
        "tracking_code": event.tracking_code,
        "status": "reported",
        "version": 1,
        "possible_duplicates": [],
    }
    assert response["Location"] == f"{EVENTS}/{event.number}"
    assert response["ETag"] == '"1"'
    assert event.channel == Channel.API and event.grid == personas.territory.grid_a
    assert event.reporter is None and event.reporter_phone == "13900000000"
    assert AuditEntry.objects.filter(action="event_report", object_id=str(event.pk)).count() == 1
    # A second report of the same thing nearby names the first as a possible duplicate.
    again = api.post(
        EVENTS,
        {"category": "0401", "title": "井盖没了", "lon": 106.1051, "lat": 37.9051},
        as_=personas.officer,
    )
    assert again.json()["possible_duplicates"] == [event.number]


def test_staff_take_in_an_event_at_a_registry_address(api, personas, categories):
    address = make_address(personas.territory.grid_a)
    response = api.post(
        EVENTS, {"category": "0502", "title": "老人求助", "address": address.code}, as_=personas.grid_a
    )
    assert response.status_code == 201, response.content
    event = stored(response.json()["number"])
    assert event.address == address and event.grid == personas.territory.grid_a
    detail = api.get(f"{EVENTS}/{event.number}", as_=personas.grid_a).json()
    assert detail["address"] == address.code and detail["address_text"] == address.full_text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "0401", "title": "x"}, "lon"),
        ({"category": "0401", "title": "x", "lon": 106.105}, "lat"),
        ({"category": "9999", "title": "x", "lon": 106.105, "lat": 37.905}, "category"),
        ({"category": "0401", "title": "", "lon": 106.105, "lat": 37.905}, "title"),
        ({"category": "0401", "title": "x", "lon": 200.0, "lat": 37.905}, "lon"),
        ({"category": "0401", "title": "x", "lon": 100.0, "lat": 30.0}, "lon"),  # outside the territory
        ({"category": "0401", "title": "x", "address": "nowhere"}, "address"),
        ({"category": "0401", "title": "x", "lon": 106.105, "lat": 37.905, "colour": "red"}, "colour"),
    ],
)
def test_bad_intake_is_422_naming_the_field_and_keeps_nothing(api, personas, categories, body, field):
    response = api.post(EVENTS, body, as_=personas.grid_a)
    assert response.status_code == 422, response.content
    assert fields_of(response) == {field}
    assert not Event.objects.unscoped(reason="test").exists()


def test_intake_outside_the_callers_area_is_refused_and_rolled_back(api, personas, categories):
    # grid B's point, sent by grid A's worker: nothing is kept, not even a number
    response = api.post(
        EVENTS, {"category": "0401", "title": "x", "lon": 106.115, "lat": 37.905}, as_=personas.grid_a
    )
    assert response.status_code == 422 and fields_of(response) == {"lon"}
    assert not Event.objects.unscoped(reason="test").exists()
    assert not AuditEntry.objects.filter(action="event_report").exists()
    # an address of grid B is as unknown to grid A's worker as a missing one
    address = make_address(personas.territory.grid_b)
    response = api.post(
        EVENTS, {"category": "0401", "title": "x", "address": address.code}, as_=personas.grid_a
    )
    assert response.status_code == 422 and fields_of(response) == {"address"}


def test_residents_do_not_take_in_events_through_the_api(api, personas, categories):
    response = api.post(
        EVENTS, {"category": "0401", "title": "x", "lon": 106.105, "lat": 37.905}, as_=personas.resident
    )
    assert response.status_code == 403
    assert not Event.objects.unscoped(reason="test").exists()


# --- moves ------------------------------------------------------------------------------------


def test_a_move_with_if_match_goes_through_and_gives_the_new_etag(api, personas, report):
    event = report()
    response = transition(api, event.number, {"transition": "file"}, as_=personas.grid_a, if_match='"1"')
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    assert response.json()["status"] == "filed"
    response = transition(
        api,
        event.number,
        {"transition": "dispatch", "data": {"assignee": personas.grid_a.pk}},
        as_=personas.grid_a,
        if_match='W/"2"',
    )
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == {"username": "grid_a", "full_name": "张三"}
    assert stored(event.number).status == Status.DISPATCHED


def test_the_version_may_come_in_the_body(api, personas, report):
    event = report()
    response = transition(api, event.number, {"transition": "file", "version": 1}, as_=personas.grid_a)
    assert response.status_code == 200 and response.json()["version"] == 2
    # header and body must agree
    response = transition(
        api,
        event.number,
        {"transition": "reject", "note": "x", "version": 1},
        as_=personas.grid_a,
        if_match='"2"',
    )
    assert response.status_code == 422 and fields_of(response) == {"version"}


def test_a_move_without_a_version_is_428(api, personas, report):
    event = report()
    response = transition(api, event.number, {"transition": "file"}, as_=personas.grid_a)
    assert response.status_code == 428
    assert fields_of(response) == {"If-Match"}
    assert stored(event.number).status == Status.REPORTED


def test_a_malformed_if_match_is_422(api, personas, report):
    event = report()
    for value in ("*", '"1", "2"', "abc"):
        response = transition(api, event.number, {"transition": "file"}, as_=personas.grid_a, if_match=value)
        assert response.status_code == 422 and fields_of(response) == {"If-Match"}, value


def test_two_clients_on_one_version_one_wins_the_other_gets_412(api, personas, report):
    event = report()
    # given the grid worker and the officer both loaded version 1
    seen = api.get(f"{EVENTS}/{event.number}", as_=personas.grid_a)["ETag"]
    assert api.get(f"{EVENTS}/{event.number}", as_=personas.officer)["ETag"] == seen == '"1"'
    # when both act on it
    won = transition(api, event.number, {"transition": "file"}, as_=personas.grid_a, if_match=seen)
    lost = transition(
        api, event.number, {"transition": "reject", "note": "重复"}, as_=personas.officer, if_match=seen
    )
    # then the first goes through and the second is told the event moved, with its version now
    assert won.status_code == 200
    assert lost.status_code == 412
    assert lost.json()["current_version"] == 2 and lost["ETag"] == '"2"'
    assert event.number in lost.json()["detail"]
    after = stored(event.number)
    assert (after.status, after.version) == (Status.FILED, 2)
    steps = list(TimelineEntry.objects.filter(case_id=event.pk).values_list("transition", flat=True))
    assert steps == ["open", "file"]
    assert AuditEntry.objects.filter(action="case_transition", object_id=str(event.pk)).count() == 1
    # the same request replayed (a client retrying) is refused too: nothing is applied twice
    assert (
        transition(api, event.number, {"transition": "file"}, as_=personas.grid_a, if_match=seen).status_code
        == 412
    )
    assert stored(event.number).version == 2


def test_a_step_not_the_callers_is_403(api, personas, report):
    event = report()
    event = move(
        event,
        "request_extension",
        actor=personas.grid_a,
        version=event.version,
        note="需协调",
        data={"hours": 4},
    )
    # the holder cannot approve their own request; the officer above can
    response = transition(
        api, event.number, {"transition": "approve_extension"}, as_=personas.grid_a, if_match='"2"'
    )
    assert response.status_code == 403 and response.json()["detail"]
    assert stored(event.number).extension_hours == 4
    response = transition(
        api, event.number, {"transition": "approve_extension"}, as_=personas.officer, if_match='"2"'
    )
    assert response.status_code == 200 and response.json()["extension_hours"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"transition": "pass"}, "transition"),  # not from "reported"
        ({"transition": "fly"}, "transition"),  # no such step
        ({"transition": "reject"}, "note"),  # needs a reason
        ({"transition": "reject", "note": "  "}, "note"),
        ({"transition": "escalate", "note": "x", "extra": 1}, "extra"),
        ({"transition": "merge", "data": {"into": "E-0"}}, "into"),
        ({"transition": "recategorise", "data": {"category": "99"}}, "category"),
        ({"transition": "request_extension", "note": "x", "data": {"hours": 0}}, "hours"),
        ({"transition": "request_extension", "note": "x", "data": {"hours": "many"}}, "hours"),
    ],
)
def test_a_step_not_possible_now_is_422_naming_the_field(api, personas, report, body, field):
    event = report()
    response = transition(api, event.number, body, as_=personas.grid_a, if_match='"1"')
    assert response.status_code == 422, response.content
    assert fields_of(response) == {field}
    assert stored(event.number).version == 1


def test_dispatch_data_is_checked(api, personas, report):
    event = move(report(), "file", actor=personas.grid_a, version=1)
    body = {"transition": "dispatch", "data": {"holder_path": personas.territory.grid_b.scope_path}}
    response = transition(api, event.number, body, as_=personas.grid_a, if_match='"2"')
    assert response.status_code == 422 and fields_of(response) == {"holder_path"}
    body = {"transition": "dispatch", "data": {"assignee": personas.grid_b.pk}}
    response = transition(api, event.number, body, as_=personas.grid_a, if_match='"2"')
    assert response.status_code == 422 and fields_of(response) == {"assignee"}


# --- inbox and board --------------------------------------------------------------------------


def test_the_inbox_holds_what_is_the_callers_to_do(api, personas, report):
    mine = report()
    escalated = report()
    move(escalated, "escalate", actor=personas.grid_a, version=1, note="需要民警")
    inbox = lambda user: numbers(api.get("/api/v1/inbox", as_=user))  # noqa: E731
    assert inbox(personas.grid_a) == [mine.number]
    assert inbox(personas.officer) == [escalated.number]
    assert inbox(personas.grid_b) == [] and inbox(personas.resident) == []
    item = api.get("/api/v1/inbox", as_=personas.officer).json()["items"][0]
    assert (
        item["case_type"] == "event" and item["title"] == "楼道堵塞" and item["holder_level"] == "community"
    )


def test_the_board_shows_overdue_and_escalated_events(api, personas, report):
    calm = report()
    late = report(at=timezone.now() - dt.timedelta(days=10))
    climbed = report()
    move(climbed, "escalate", actor=personas.grid_a, version=1, note="需要民警")
    board = numbers(api.get(f"{EVENTS}/board", as_=personas.station))
    assert board == [climbed.number, late.number]  # the higher rung first
    assert calm.number not in board
    assert numbers(api.get(f"{EVENTS}/board", as_=personas.grid_b)) == []


def test_intake_holds_the_reports_limits_naming_the_field(api, personas, categories):
    body = {"category": "0401", "title": "井" * 101, "lon": 106.105, "lat": 37.905}
    response = api.post(EVENTS, body, as_=personas.grid_a)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "title", "message": "At most 100 characters."}]
    response = api.post(EVENTS, {**body, "title": "井盖", "description": "很" * 2001}, as_=personas.grid_a)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "description"
    assert not Event.objects.unscoped(reason="test").exists()
    # the schema says so too
    schema = api.get("/api/v1/openapi.json", as_=personas.grid_a).json()["components"]["schemas"]["EventIn"]
    assert schema["properties"]["title"]["maxLength"] == 100
    assert schema["properties"]["description"]["maxLength"] == 2000


# --- residents hear back; the check is someone else's (issue 15, items 2 and 6) ---------------


def test_the_check_is_refused_to_whoever_reported_back_saying_why(api, personas, report):
    # given an event grid A's worker reported back with a reply for the reporter
    event = report()
    for name, data in (("file", {}), ("dispatch", {}), ("accept", {}), ("report_back", {"reply": "已修好"})):
        event = move(event, name, actor=personas.grid_a, version=event.version, note="说明", data=data)
    body = api.get(f"{EVENTS}/{event.number}", as_=personas.grid_a).json()
    # the draft reply is in the staff's view, and the check is not among the worker's steps
    assert body["reply"] == "已修好"
    assert "pass" not in {t["name"] for t in body["transitions"]}
    # when they try it anyway: 403 with the reason, nothing moved
    response = transition(
        api, event.number, {"transition": "pass", "version": event.version}, as_=personas.grid_a
    )
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "You took the step “report back” yourself, so someone else must take “pass the check”."
    )
    assert stored(event.number).status == Status.REPORTED_BACK
    # the officer passes it with the final reply
    response = transition(
        api,
        event.number,
        {"transition": "pass", "version": event.version, "data": {"reply": "路灯已更换，感谢反映。"}},
        as_=personas.officer,
    )
    assert response.status_code == 200 and response.json()["reply"] == "路灯已更换，感谢反映。"
    # a reply over its limit is 422 naming the field
    other = report()
    response = transition(
        api,
        other.number,
        {"transition": "reject", "version": other.version, "note": "x", "data": {"reply": "长" * 301}},
        as_=personas.grid_a,
    )
    assert response.status_code == 422 and "reply" in response.content.decode()


def test_a_resident_lists_their_reports_in_their_words(client, personas, report):
    # given a resident's report, closed with a reply and an internal note
    event = report("0502", actor=personas.resident, channel=Channel.PORTAL)
    for name, data in (("file", {}), ("dispatch", {}), ("accept", {}), ("report_back", {"reply": "已调解"})):
        event = move(
            event, name, actor=personas.grid_a, version=event.version, note="内部：王经理", data=data
        )
    move(event, "pass", actor=personas.officer, version=event.version, note="内部：回访")
    client.force_login(personas.resident)
    response = client.get("/api/v1/my-reports", headers={"Accept-Language": "zh-hans"})
    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert item["tracking_code"] == event.tracking_code
    assert (item["status"], item["status_label"], item["reply"]) == ("closed", "已办结", "已调解")
    assert not item["category"].startswith("0502")
    text = response.content.decode()
    assert "王经理" not in text and "回访" not in text and "grid_a" not in text
    # staff have no reports of their own there
    client.force_login(personas.grid_a)
    assert client.get("/api/v1/my-reports").json()["items"] == []
