"""The video patrol: a finding becomes an event in the grid's inbox in one step; a case solved by
video is counted per jurisdiction."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fengqiao.core import casework
from fengqiao.events.models import Event
from fengqiao.video import actions, indicators
from fengqiao.video.actions import Finding, Watch
from fengqiao.video.models import Camera


def watch(t, cameras, **extra):
    now = timezone.now()
    return Watch(
        station=t.station,
        started_at=now - dt.timedelta(hours=1),
        ended_at=now,
        cameras=[cameras["A"], cameras["B"]],
        observations="路口有人翻越护栏",
        **extra,
    )


def test_a_finding_becomes_an_event_in_the_grids_inbox(personas, cameras, categories):
    t = personas.territory
    log = actions.log_video_patrol(
        watch(t, cameras, finding=Finding(category="0401", title="护栏被破坏", camera=cameras["A"])),
        actor=personas.station,
    )
    event = log.finding
    assert event is not None and event.grid == t.grid_a and event.channel == "staff"
    assert event.pk in {case.pk for case in casework.inbox(personas.grid_a) if isinstance(case, Event)}
    watched = Camera.objects.unscoped(reason="test: the log's cameras").filter(patrols=log)
    assert set(watched) == {cameras["A"], cameras["B"]}


def test_a_watch_without_a_finding_leaves_no_event_and_a_bad_one_leaves_nothing(
    personas, cameras, categories
):
    t = personas.territory
    actions.log_video_patrol(watch(t, cameras), actor=personas.station)
    assert not Event.objects.unscoped(reason="test").exists()
    with pytest.raises(ValidationError) as error:
        actions.log_video_patrol(
            watch(t, {"A": cameras["A"], "B": cameras["C"]}, finding=Finding(category="0401", title="x")),
            actor=personas.station,
        )
    assert "cameras" in error.value.message_dict  # camera C is not the station's
    assert not Event.objects.unscoped(reason="test").exists()


def test_a_case_solved_by_video_is_counted_per_jurisdiction(personas, cameras, report):
    event = report("0101", actor=personas.station, title="盗窃电动车")  # a criminal incident
    with pytest.raises(PermissionDenied):  # the district's officer does not record a case solved
        actions.record_solved_by_video(event, actor=personas.officer, cameras=[cameras["A"]])
    actions.record_solved_by_video(
        event, actor=personas.station, cameras=[cameras["A"]], fugitive_caught=True
    )
    event.refresh_from_db()
    assert event.solved_by == "video" and event.solved_at is not None  # through events' own solve_event
    today = timezone.localdate()
    rows = indicators.solved_by_video(personas.city, today.replace(day=1), today)
    assert [(r.name, r.cases, r.fugitives) for r in rows] == [("金积派出所", 1, 1)]
    assert indicators.solved_by_video(personas.grid_b, today.replace(day=1), today) == []
    with pytest.raises(ValidationError):  # once per case
        actions.record_solved_by_video(event, actor=personas.station, cameras=[cameras["B"]])


def test_the_desk_logs_a_watch_and_a_solved_case_through_the_pages(
    client, personas, cameras, categories, report
):
    t = personas.territory
    client.force_login(personas.station)
    now = timezone.localtime().replace(second=0, microsecond=0)
    response = client.post(
        "/video/patrols/new/",
        {
            "station": t.station.pk,
            "started_at": f"{now - dt.timedelta(hours=1):%Y-%m-%dT%H:%M}",
            "ended_at": f"{now:%Y-%m-%dT%H:%M}",
            "cameras": [cameras["A"].pk],
            "observations": "有人在路口焚烧垃圾",
            "report": "on",
            "category": categories["0401"].pk,
            "title": "路口焚烧垃圾",
        },
    )
    assert response.status_code == 302, response.content.decode()[:800]
    event = Event.objects.unscoped(reason="test").get(title="路口焚烧垃圾")
    assert event.grid == t.grid_a
    case = report("0101", actor=personas.station, title="入室盗窃")
    response = client.post(
        "/video/solved/new/",
        {"event": case.number, "cameras": [cameras["A"].pk], "solved_on": f"{timezone.localdate():%Y-%m-%d}"},
    )
    assert response.status_code == 302, response.content.decode()[:800]
    page = client.get("/video/solved/").content.decode()
    assert case.number in page and "金积派出所" in page
