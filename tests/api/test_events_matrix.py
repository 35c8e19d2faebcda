"""The events API in the scoping matrix: every persona against an event in grid A, B and C, by
every route — list, filters, detail, board, inbox, moves, intake, and the data of a move that
names another event or place (merge into, dispatch to). Out of scope is always 404 (or, for a
place or an event named inside a body, 422 naming the field), and nothing changes."""

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.core.models import TimelineEntry
from fengqiao.events.models import Event
from tests.fixtures.matrix import PERSONAS, VISIBLE, Door

EVENTS = "/api/v1/events"
POINTS = {"A": (106.105, 37.905), "B": (106.115, 37.905), "C": (106.005, 38.005)}
# What is each persona's to do: a fresh event is held by its grid.
INBOX = {"grid_a": {"A"}, "grid_b": {"B"}}


def unscoped():
    return Event.objects.unscoped(reason="test: what is in the database")


@pytest.fixture
def events(personas, report):
    """One event in each grid, reported ten days ago, so each is past its first limit (on the board)."""
    at = timezone.now() - dt.timedelta(days=10)
    return {
        place: report(lon=lon, lat=lat, actor=personas.city, at=at, title=f"事件{place}")
        for place, (lon, lat) in POINTS.items()
    }


@pytest.fixture
def door(client, personas):
    return lambda persona: Door(client, getattr(personas, persona), "api")


def shown(response, events) -> set[str]:
    assert response.status_code == 200, response.content[:300]
    body = response.content.decode()
    return {place for place, event in events.items() if event.number in body}


def post(at: Door, url, data, **headers):
    return at.client.post(url, data, content_type="application/json", headers={**at.headers, **headers})


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_and_the_board_show_exactly_what_is_in_scope(persona, events, door, personas):
    at = door(persona)
    assert shown(at.get(f"{EVENTS}?limit=100"), events) == VISIBLE[persona]
    assert shown(at.get(f"{EVENTS}/board?limit=100"), events) == VISIBLE[persona]
    # A filter naming another place narrows the scope; it never widens it.
    for place, grid in (("A", "grid_a"), ("B", "grid_b"), ("C", "grid_c")):
        code = getattr(personas.territory, grid).code
        assert shown(at.get(f"{EVENTS}?grid={code}"), events) == VISIBLE[persona] & {place}
    city_path = personas.territory.city.path
    assert shown(at.get(f"{EVENTS}?unit={city_path}"), events) == VISIBLE[persona]
    assert shown(at.get(f"{EVENTS}?q=事件"), events) == VISIBLE[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_inbox_holds_only_what_is_in_scope(persona, events, door):
    assert shown(door(persona).get("/api/v1/inbox?limit=100"), events) == INBOX.get(persona, set())


@pytest.mark.parametrize("persona", PERSONAS)
def test_detail_is_404_outside_scope(persona, events, door):
    at = door(persona)
    for place, event in events.items():
        response = at.get(f"{EVENTS}/{event.number}")
        expected = 200 if place in VISIBLE[persona] else 404
        assert response.status_code == expected, f"{persona} / {place}"
        if expected == 404:
            assert event.number not in response.content.decode() and "ETag" not in response


@pytest.mark.parametrize("persona", PERSONAS)
def test_moves_are_404_outside_scope_and_change_nothing(persona, events, door):
    at = door(persona)
    for place, event in events.items():
        url = f"{EVENTS}/{event.number}/transitions"
        # with the right version, without a version, with a stale one: always the same 404
        answers = [
            post(at, url, {"transition": "escalate", "note": "越级"}, **{"If-Match": '"1"'}),
            post(at, url, {"transition": "escalate", "note": "越级"}),
            post(at, url, {"transition": "escalate", "note": "越级", "version": 7}),
        ]
        after = unscoped().get(pk=event.pk)
        if place in VISIBLE[persona]:
            assert [r.status_code for r in answers] == [200, 428, 412], f"{persona} / {place}"
            assert after.version == 2 and after.level == 1
        else:
            assert [r.status_code for r in answers] == [404, 404, 404], f"{persona} / {place}"
            assert (after.version, after.level, after.holder_path) == (1, 0, event.holder_path)
            assert not TimelineEntry.objects.filter(case_id=event.pk, transition="escalate").exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_nobody_takes_in_an_event_outside_their_scope(persona, door, categories, personas):
    at = door(persona)
    user = getattr(personas, persona)
    staff = user.role != "resident"
    for place, (lon, lat) in POINTS.items():
        title = f"新事件{place}"
        response = at.create(EVENTS, {"category": "0401", "title": title, "lon": lon, "lat": lat})
        made = unscoped().filter(title=title).exists()
        if place in VISIBLE[persona] and staff:
            assert response.status_code == 201 and made, f"{persona} / {place}: {response.content[:300]}"
        else:
            assert not made, f"{persona} / {place}"
            assert response.status_code in (403, 422), f"{persona} / {place}: {response.status_code}"


def test_a_move_cannot_reach_another_grids_event_through_its_data(events, door, personas):
    at = door("grid_a")
    duplicate = events["A"]
    # merge A's event into B's: B is as unknown to grid A's worker as a missing event
    response = post(
        at,
        f"{EVENTS}/{duplicate.number}/transitions",
        {"transition": "merge", "data": {"into": events["B"].number}},
        **{"If-Match": '"1"'},
    )
    assert response.status_code == 422 and {e["field"] for e in response.json()["errors"]} == {"into"}
    assert unscoped().get(pk=duplicate.pk).duplicate_of_id is None
    # dispatch A's event to grid B: no such place in grid A's worker's area
    post(at, f"{EVENTS}/{duplicate.number}/transitions", {"transition": "file"}, **{"If-Match": '"1"'})
    response = post(
        at,
        f"{EVENTS}/{duplicate.number}/transitions",
        {"transition": "dispatch", "data": {"holder_path": personas.territory.grid_b.scope_path}},
        **{"If-Match": '"2"'},
    )
    assert response.status_code == 422 and {e["field"] for e in response.json()["errors"]} == {"holder_path"}
    assert unscoped().get(pk=duplicate.pk).holder_path == personas.territory.grid_a.scope_path
