"""Open311 GeoReport v2 over HTTP, in JSON and XML: discovery, services, posting a request with an
api_key, the public list and detail, token look-up, and every error in the spec's format."""

import datetime as dt
import json
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone, translation

from fengqiao.api.models import Open311Key
from fengqiao.api.open311 import keys as open311_keys
from fengqiao.core.models import AuditEntry
from fengqiao.events.actions import move
from fengqiao.events.choices import Channel
from fengqiao.events.models import Event
from tests.fixtures.registry import make_address

V2 = "/open311/v2"
FORMATS = ["json", "xml"]
PUBLIC = {"0401", "0402", "0403", "0501", "0502", "0503", "0504", "0505"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    """A client that reads the answers in English (the descriptions are translated)."""
    from django.test import Client

    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def key(personas):
    _, raw = open311_keys.create_key("测试客户端", actor=personas.admin)
    return raw


def stored(number) -> Event:
    return Event.objects.unscoped(reason="test: what is in the database").get(number=number)


def parse(response, fmt):
    """The body as Python: JSON as is; XML as a list of dicts (a list root) or a dict."""
    assert (
        response["Content-Type"] == {"json": "application/json", "xml": "text/xml"}[fmt] + "; charset=utf-8"
    )
    if fmt == "json":
        return json.loads(response.content)
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def rows(response, fmt) -> list[dict]:
    """A list answer (services, service_requests, errors) as dicts of text in both formats."""
    body = parse(response, fmt)
    if fmt == "json":
        return [{k: "" if v is None else v for k, v in row.items()} for row in body]
    return [{child.tag: child.text or "" for child in item} for item in body]


def errors(response, fmt) -> list[tuple[int, str]]:
    body = parse(response, fmt)
    if fmt == "xml":
        assert body.tag == "errors"
        return [(int(e.findtext("code")), e.findtext("description")) for e in body.findall("error")]
    return [(e["code"], e["description"]) for e in body]


def post_form(client, url, data):
    return client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded")


# --- discovery and services -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_v2_endpoint_and_its_formats(client, db, fmt):
    response = client.get(f"/open311/discovery.{fmt}")
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "json":
        (endpoint,) = body["endpoints"]
        formats = endpoint["formats"]
    else:
        assert body.tag == "discovery"
        endpoint = {c.tag: c.text for c in body.find("endpoints/endpoint")}
        formats = [f.text for f in body.findall("endpoints/endpoint/formats/format")]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert sorted(formats) == ["application/json", "text/xml"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_public_categories(client, categories, fmt):
    response = client.get(f"{V2}/services.{fmt}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    services = {row["service_code"]: row for row in rows(response, fmt)}
    assert set(services) == PUBLIC
    hazard = services["0401"]
    assert hazard["service_name"] == "Safety hazard"
    assert hazard["group"] == "Social conditions"
    assert hazard["type"] == "realtime"
    assert hazard["metadata"] in (False, "false")
    assert "安全隐患" in hazard["keywords"]


def test_service_names_follow_the_language(client, categories):
    response = client.get(f"{V2}/services.json", headers={"Accept-Language": "zh-hans"})
    assert {r["service_code"]: r["service_name"] for r in response.json()}["0401"] == "安全隐患"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_has_no_extra_attributes(client, categories, fmt):
    response = client.get(f"{V2}/services/0401.{fmt}")
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "json":
        assert body == {"service_code": "0401", "attributes": []}
    else:
        assert body.tag == "service_definition"
        assert body.findtext("service_code") == "0401"
        assert body.find("attributes") is not None and list(body.find("attributes")) == []


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("code", ["0101", "9999"])  # police incidents are not public; 9999 is nothing
def test_a_service_outside_the_public_list_is_404(client, categories, fmt, code):
    response = client.get(f"{V2}/services/{code}.{fmt}")
    assert response.status_code == 404
    assert errors(response, fmt) == [(404, f"No service with the code {code}.")]


# --- POST requests ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_create_then_read_by_id_then_by_token(client, personas, categories, key, fmt):
    # when a client posts a request at a point in grid A, form-encoded as the spec says
    response = post_form(
        client,
        f"{V2}/requests.{fmt}",
        {
            "api_key": key,
            "service_code": "0403",
            "lat": "37.905",
            "long": "106.105",
            "description": "垃圾桶满了三天没人清\n在村口",
            "first_name": "小明",
            "last_name": "王",
            "phone": "13911112222",
            "email": "wang@example.org",
            "media_url": "http://example.org/photo.jpg",
        },
    )
    # then the event exists at once, anonymous, through the open311 channel
    assert response.status_code == 200, response.content
    (created,) = rows(response, fmt)
    event = stored(created["service_request_id"])
    # with its id, and (GeoReport v2 gives one or the other) no token: the reporter's tracking code
    # is in the notice the client shows them
    assert "token" not in created or created["token"] in (None, "")
    assert event.tracking_code in created["service_notice"]
    assert event.channel == Channel.OPEN311 and event.reporter is None
    assert event.grid == personas.territory.grid_a and event.category.code == "0403"
    assert event.title == "垃圾桶满了三天没人清"
    assert event.reporter_name == "王小明" and event.reporter_phone == "13911112222"
    entry = AuditEntry.objects.get(action="event_report", object_id=str(event.pk))
    assert entry.actor_id is None and entry.source == "api"
    assert entry.after["via"].startswith("open311 key 测试客户端")  # which integration sent it

    # and anyone reads it back by its id, with nothing personal in it
    response = client.get(f"{V2}/requests/{event.number}.{fmt}")
    assert response.status_code == 200
    (row,) = rows(response, fmt)
    assert row["service_request_id"] == event.number
    assert row["status"] == "open" and row["status_notes"] == str(event.status_label)
    assert row["service_code"] == "0403"
    assert row["description"] == "垃圾桶满了三天没人清\n在村口"
    assert row["agency_responsible"] == personas.territory.station.name
    assert float(row["lat"]) == 37.905 and float(row["long"]) == 106.105
    for when in ("requested_datetime", "updated_datetime"):
        parsed = dt.datetime.fromisoformat(row[when])
        assert parsed.utcoffset() == dt.timedelta(hours=8), row[when]
    text = response.content.decode()
    assert "13911112222" not in text and "王小明" not in text and event.tracking_code not in text

    # and the token leads to the id
    response = client.get(f"{V2}/tokens/{event.tracking_code}.{fmt}")
    assert response.status_code == 200
    assert rows(response, fmt) == [{"service_request_id": event.number, "token": event.tracking_code}]


def test_create_accepts_a_json_body_and_a_registry_address(client, personas, categories, key):
    address = make_address(personas.territory.grid_b)
    body = {"api_key": key, "service_code": "0502", "address_id": address.code, "description": "求助"}
    response = client.post(f"{V2}/requests.json", body, content_type="application/json")
    assert response.status_code == 200, response.content
    event = stored(response.json()[0]["service_request_id"])
    assert event.address == address and event.grid == personas.territory.grid_b
    # the exact text of an address places it too
    body = {"api_key": key, "service_code": "0502", "address_string": address.full_text}
    response = post_form(client, f"{V2}/requests.json", body)
    assert response.status_code == 200, response.content
    assert stored(response.json()[0]["service_request_id"]).address == address


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("changes", "code", "says"),
    [
        ({"api_key": None}, 403, "api_key"),
        ({"api_key": "o311_not-a-key"}, 403, "api_key"),
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": "9999"}, 404, "9999"),
        ({"service_code": "0101"}, 404, "0101"),  # not open to the public
        ({"lat": None, "long": None}, 400, "lat and long, address_string or address_id"),
        ({"long": None}, 400, "lat, long"),
        ({"lat": "north"}, 400, "lat:"),
        ({"long": "181"}, 400, "long:"),
        ({"lat": "30.0", "long": "100.0"}, 400, "lat, long: "),  # outside the territory
        ({"lat": None, "long": None, "address_id": "000"}, 400, "address_id"),
        ({"lat": None, "long": None, "address_string": "火星路1号"}, 400, "address_string"),
    ],
)
def test_bad_posts_get_the_specs_errors_and_keep_nothing(client, categories, key, fmt, changes, code, says):
    data = {"api_key": key, "service_code": "0401", "lat": "37.905", "long": "106.105", "description": "x"}
    for name, value in changes.items():
        if value is None:
            data.pop(name)
        else:
            data[name] = value
    response = post_form(client, f"{V2}/requests.{fmt}", data)
    assert response.status_code == code
    ((error_code, description),) = errors(response, fmt)
    assert error_code == code and says in description, description
    assert not Event.objects.unscoped(reason="test").exists()


def test_a_revoked_key_is_refused(client, personas, categories, key):
    open311_keys.revoke_key(Open311Key.objects.get(), actor=personas.admin)
    data = {"api_key": key, "service_code": "0401", "lat": "37.905", "long": "106.105"}
    response = post_form(client, f"{V2}/requests.json", data)
    assert response.status_code == 403 and errors(response, "json")[0][0] == 403


def test_a_post_needs_no_csrf_token(personas, categories, key):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(personas.grid_a)  # a browser session comes along; it changes nothing
    data = {"api_key": key, "service_code": "0401", "lat": "37.905", "long": "106.105"}
    response = post_form(strict, f"{V2}/requests.json", data)
    assert response.status_code == 200, response.content
    event = stored(response.json()[0]["service_request_id"])
    assert AuditEntry.objects.get(action="event_report", object_id=str(event.pk)).actor_id is None


# --- GET requests -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_list_is_public_only_public_categories_and_nothing_personal(client, personas, report, fmt):
    hazard = report("0401", reporter_name="周九", reporter_phone="13900001111", description="张三家门口")
    incident = report("0102", actor=personas.officer, title="打架")  # a police incident: never public
    response = client.get(f"{V2}/requests.{fmt}")
    assert response.status_code == 200
    listed = rows(response, fmt)
    assert [r["service_request_id"] for r in listed] == [hazard.number]
    text = response.content.decode()
    assert incident.number not in text
    for personal in ("周九", "13900001111", "张三家门口", hazard.tracking_code):
        assert personal not in text  # a staff-written description stays inside
    assert client.get(f"{V2}/requests/{incident.number}.{fmt}").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_list_filters(client, personas, report, fmt):
    now = timezone.now()
    old = report("0401", at=now - dt.timedelta(days=200))
    week = report("0403", at=now - dt.timedelta(days=7))
    today = report("0401")
    move(today, "reject", actor=personas.grid_a, version=1, note="非本辖区")

    def ids(**params):
        response = client.get(f"{V2}/requests.{fmt}", params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in rows(response, fmt)]

    assert ids() == [today.number, week.number]  # the last 90 days by default, newest first
    assert ids(service_request_id=f"{old.number},{week.number}") == [week.number, old.number]
    assert ids(service_request_id=old.number, status="open", service_code="0403") == [old.number]  # ids win
    assert ids(service_code="0403") == [week.number]
    assert ids(service_code="0401,0403") == [today.number, week.number]
    assert ids(status="closed") == [today.number]
    assert ids(status="open") == [week.number]
    assert ids(status="open,closed") == [today.number, week.number]
    start = (now - dt.timedelta(days=365)).isoformat(timespec="seconds")
    end = (now - dt.timedelta(days=3)).isoformat(timespec="seconds")
    assert ids(start_date=start, end_date=end) == [week.number, old.number]
    assert ids(start_date=(now - dt.timedelta(days=365)).date().isoformat()) == [
        today.number,
        week.number,
        old.number,
    ]
    closed = rows(client.get(f"{V2}/requests/{today.number}.{fmt}"), fmt)[0]
    assert closed["status"] == "closed" and closed["status_notes"] == str(stored(today.number).status_label)


def test_an_offset_whose_plus_came_through_as_a_space_still_parses(client, report):
    event = report("0401")
    start = (timezone.localtime() - dt.timedelta(days=1)).isoformat(timespec="seconds")
    response = client.get(f"{V2}/requests.json?start_date={start.replace('+', ' ')}")  # the + unescaped
    assert response.status_code == 200, response.content
    assert [r["service_request_id"] for r in response.json()] == [event.number]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"status": "pending"}, "status"),
        ({"start_date": "last week"}, "start_date"),
        ({"end_date": "2026-13-01"}, "end_date"),
    ],
)
def test_bad_list_parameters_are_400(client, db, fmt, params, says):
    response = client.get(f"{V2}/requests.{fmt}", params)
    assert response.status_code == 400
    ((code, description),) = errors(response, fmt)
    assert code == 400 and description.startswith(says)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_ids_and_tokens_are_404(client, report, fmt):
    hidden = report("02", title="案情")  # case information: not public, its token unknown to Open311
    for url in (
        f"{V2}/requests/E-640302-20260101-9999.{fmt}",
        f"{V2}/tokens/NOSUCHTOKEN.{fmt}",
        f"{V2}/tokens/{hidden.tracking_code}.{fmt}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert errors(response, fmt)[0][0] == 404


@pytest.mark.parametrize(
    ("path", "fmt"), [("/open311/v2/nothing.json", "json"), ("/open311/v2/services.csv", "xml")]
)
def test_unknown_resources_are_404_in_the_specs_format(client, db, path, fmt):
    response = client.get(path)
    assert response.status_code == 404
    assert errors(response, fmt)[0][0] == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_wrong_method_is_405_in_the_specs_format(client, db, fmt):
    response = client.delete(f"{V2}/requests.{fmt}")
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
    assert errors(response, fmt)[0][0] == 405
    assert client.post(f"{V2}/services.{fmt}").status_code == 405


# --- keys -------------------------------------------------------------------------------------


def test_the_key_command_creates_lists_and_revokes(personas, capsys):
    # the hyphenated name works through call_command as through the CLI
    call_command("open311-key", "create", "合作单位")
    raw = capsys.readouterr().out.strip()
    key = Open311Key.objects.get(name="合作单位")
    assert raw.startswith(key.prefix) and key.digest == Open311Key.digest_of(raw)
    assert raw not in str(list(Open311Key.objects.values()))  # only the digest is stored
    assert open311_keys.live_key(raw) == key
    call_command("open311-key", "list")
    listed = capsys.readouterr().out
    assert "合作单位" in listed and "live" in listed and raw not in listed
    call_command("open311-key", "revoke", key.prefix)
    assert "revoked 合作单位" in capsys.readouterr().out
    assert open311_keys.live_key(raw) is None
    assert AuditEntry.objects.filter(action__in=["open311_key_create", "open311_key_revoke"]).count() == 2


def test_key_command_errors(personas):
    from django.core.management.base import CommandError

    # in the working language, as the command line speaks it (not whatever an earlier test's
    # request left active in the thread)
    with translation.override(settings.LANGUAGE_CODE):
        call_command("open311-key", "create", "甲")
        with pytest.raises(CommandError, match="名为 甲 的密钥已存在"):
            call_command("open311-key", "create", "甲")
        with pytest.raises(CommandError, match="没有名为 o311_ 或以此为前缀的密钥"):
            call_command("open311-key", "revoke", "o311_")  # too short a prefix to pick a key
        with pytest.raises(CommandError, match="no active user"):
            call_command("open311-key", "create", "乙", actor="nobody")


def test_only_the_city_command_manages_keys(personas):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        open311_keys.create_key("x", actor=personas.station)
    _, raw = open311_keys.create_key("x", actor=personas.city)
    with pytest.raises(PermissionDenied):
        open311_keys.revoke_key(Open311Key.objects.get(), actor=personas.officer)


# --- privacy of the public list ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_tips_may_be_sent_but_never_read_publicly(client, personas, categories, key, fmt):
    # given: a resident's tip (举报) about a neighbour, sent with the exact room and point
    data = {
        "api_key": key,
        "service_code": "0504",
        "lat": "37.905678",
        "long": "106.105123",
        "address_string": "利民巷12号3单元502室",
        "description": "502室有人聚众赌博",
    }
    created = post_form(client, f"{V2}/requests.json", data)
    assert created.status_code == 200, created.content
    tip = stored(created.json()[0]["service_request_id"])
    # then: the service is offered for submission (GeoReport's services are what may be reported) …
    assert "0504" in {r["service_code"] for r in rows(client.get(f"{V2}/services.{fmt}"), fmt)}
    # … but no list and no detail shows the request, with or without its code
    for params in ({"service_code": "0504"}, {}, {"service_request_id": tip.number}):
        response = client.get(f"{V2}/requests.{fmt}", params)
        assert response.status_code == 200 and rows(response, fmt) == []
        assert "502" not in response.content.decode() and tip.number not in response.content.decode()
    assert client.get(f"{V2}/requests/{tip.number}.{fmt}").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_public_requests_show_the_street_not_the_door(client, personas, report, fmt):
    grid = personas.territory.grid_a
    address = make_address(grid, street="利民巷", door_plate="12")
    lamp = report("0403", lon=106.105123, lat=37.905678, address=address, address_text=address.full_text)
    (row,) = rows(client.get(f"{V2}/requests.{fmt}", {"service_code": "0403"}), fmt)
    assert row["service_request_id"] == lamp.number
    assert float(row["lat"]) == 37.906 and float(row["long"]) == 106.105
    community = grid.community
    assert row["address"] == f"{community.parent.name}{community.name}"
    assert row["address_id"] == "" and "利民巷" not in client.get(f"{V2}/requests.{fmt}").content.decode()
    (detail,) = rows(client.get(f"{V2}/requests/{lamp.number}.{fmt}"), fmt)
    assert float(detail["lat"]) == 37.906 and detail["address"] == row["address"]
