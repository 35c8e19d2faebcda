"""The event pages join the scoping matrix: every persona on the list, the map's points, the event
page, each of its moves, its files and the intake's suggestions. Another grid's event is a 404
on every page and every action, and nothing about it moves."""

import pytest

from fengqiao.events.actions import attach, move
from fengqiao.events.models import Attachment, Event
from fengqiao.events.workflow import EVENT_WORKFLOW
from tests.fixtures.matrix import PERSONAS, VISIBLE, ScopedRoutes, ScopingMatrix
from tests.web.test_events_pages import png

pytestmark = pytest.mark.django_db

PLACES = ("A", "B", "C")
POINTS = {"A": (106.105, 37.905), "B": (106.115, 37.905), "C": (106.005, 38.005)}
# Who reports in each place (someone who may: the city reaches grid C).
REPORTERS = {"A": "grid_a", "B": "grid_b", "C": "city"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def event_places(personas, report, media):
    """An event with a photo in each of grids A, B and C."""
    t = personas.territory
    t.events = {}
    for place in PLACES:
        lon, lat = POINTS[place]
        event = report(lon=lon, lat=lat, actor=getattr(personas, REPORTERS[place]), title=f"事件{place}")
        attach(event, png(), actor=personas.admin)
        t.events[place] = event
    return t.events


def everything():
    return Event.objects.unscoped(reason="test: did the action go through")


ROUTES = ScopedRoutes(
    name="event pages",
    model=Event,
    door="web",
    objects=lambda t: t.events,
    key=lambda e: e.number,
    list_url="/events/?status=open",
    detail_url=lambda e: f"/events/{e.number}/",
)
MAP_POINTS = ScopedRoutes(
    name="event map points",
    model=Event,
    door="web",
    objects=lambda t: t.events,
    key=lambda e: f'"{e.number}"',
    list_url="/events/map.geojson",
    detail_url=lambda e: f"/events/{e.number}/",
)


def payload(name: str, event: Event, personas) -> dict:
    """What a form of each step would send: enough for it to go through where it is allowed."""
    data = {"version": event.version, "note": "矩阵测试"}
    if name in ("dispatch", "reassign"):
        data["assignee"] = personas.grid_a.pk
    elif name == "request_extension":
        data["hours"] = 8
    elif name == "rate":
        data["rating"] = 5
    elif name == "merge":
        data["into"] = event.number
    elif name == "recategorise":
        data["category"] = "0403"
    return {f"{name}-{key}": value for key, value in data.items()}


class TestEventPages(ScopingMatrix):
    ROUTES = [ROUTES, MAP_POINTS]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_move_of_another_grids_event_is_404_and_moves_nothing(persona, personas, client):
    client.force_login(getattr(personas, persona))
    for place, event in personas.territory.events.items():
        for transition in EVENT_WORKFLOW.transitions:
            event = everything().get(pk=event.pk)
            response = client.post(
                f"/events/{event.number}/move/{transition.name}/", payload(transition.name, event, personas)
            )
            after = everything().get(pk=event.pk)
            if place in VISIBLE[persona]:
                assert response.status_code != 404, f"{persona} / {place} / {transition.name}"
            else:
                assert response.status_code == 404, f"{persona} / {place} / {transition.name}"
                assert after.version == event.version and after.status == event.status


@pytest.mark.parametrize("persona", PERSONAS)
def test_files_of_another_grids_event_are_404(persona, personas, client):
    client.force_login(getattr(personas, persona))
    for place, event in personas.territory.events.items():
        attachment = Attachment.objects.get(event=event)
        shown = client.get(f"/events/{event.number}/files/{attachment.pk}/")
        added = client.post(f"/events/{event.number}/attach/", {"photos": [png()]})
        count = Attachment.objects.filter(event=event).count()
        if place in VISIBLE[persona]:
            assert shown.status_code == 200, f"{persona} / {place}"
            assert added.status_code in (302, 403), f"{persona} / {place}"
        else:
            assert shown.status_code == 404 and added.status_code == 404, f"{persona} / {place}"
            assert count == 1


@pytest.mark.parametrize("persona", PERSONAS)
def test_duplicate_suggestions_name_only_events_in_scope(persona, personas, client):
    client.force_login(getattr(personas, persona))
    for place, event in personas.territory.events.items():
        lon, lat = POINTS[place]
        body = client.get("/events/new/duplicates/", {"category": "0401", "lon": lon, "lat": lat}).content
        assert (event.number in body.decode()) == (place in VISIBLE[persona]), f"{persona} / {place}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_inbox_and_the_board_stay_in_scope(persona, personas, client):
    client.force_login(getattr(personas, persona))
    for event in personas.territory.events.values():
        # escalated by the admin, so every one of them is on a board
        move(event, "escalate", actor=personas.admin, version=event.version, note="督办")
    board = client.get("/events/board/").content.decode()
    inbox = client.get("/inbox/").content.decode()
    for place, event in personas.territory.events.items():
        assert (event.number in board) == (place in VISIBLE[persona]), f"{persona} / {place}"
        if place not in VISIBLE[persona]:
            assert event.number not in inbox, f"{persona} / {place}"
