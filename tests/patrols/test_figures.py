"""The command room's prevention figures (issue 17 §7): teams, members, patrols, visits, cameras,
cases solved by video, fugitives caught and criminal cases without the officer at the scene in
time. Each is the count of the records its link opens, for a station, a district and the city,
and the page behind each link shows that count."""

import datetime as dt
import re
import uuid

import pytest
from django.utils import timezone

from fengqiao.analytics.dashboard import dashboard
from fengqiao.events.models import Event
from fengqiao.patrols import actions
from fengqiao.patrols.actions import VisitData
from fengqiao.video.actions import CameraData, add_camera, record_solved_by_video, set_camera_status
from tests.fixtures.registry import make_address, make_house, valid_id_number
from tests.patrols.lists import prevention_count

pytestmark = pytest.mark.django_db

FIGURES = (
    "patrols.teams",
    "patrols.members",
    "patrols.patrols",
    "patrols.visits",
    "patrols.late_arrivals",
    "video.cameras",
    "video.solved",
    "video.fugitives",
)
IN_B = {"lon": 106.115, "lat": 37.905}
IN_C = {"lon": 106.005, "lat": 38.005}


@pytest.fixture
def prevention(world, personas, report, settings):
    """Teams in A, B and C (A's second member stood down, team C stood down), patrols in A and B,
    a visit in A, cameras in A, B and C and a faulty one in B, a case in A solved by video with a
    fugitive caught and one in B without, a case in A whose officer never came, one in C."""
    settings.FENGQIAO_ARRIVAL_MINUTES = 60
    p, t = personas, personas.territory
    gone = actions.add_member(world.teams["A"], actor=p.city, name="李四", id_number=valid_id_number())
    actions.set_member_active(gone, False, actor=p.city)
    team_c = world.teams["C"]
    team_c.is_active = False
    team_c.save()
    now = timezone.now()
    for user in (world.vol_a, world.vol_b, p.grid_a):
        actions.start_patrol(actor=user, id=uuid.uuid4(), started_at=now - dt.timedelta(hours=1))
    house = make_house(make_address(t.grid_a))
    actions.record_visit(VisitData(target="household", house=house, met="户主"), actor=p.officer)
    cameras = {}
    for n, (place, grid) in enumerate((("A", t.grid_a), ("B", t.grid_b), ("B2", t.grid_b), ("C", t.grid_c))):
        prefix = "6403810000" if place == "C" else "6403020000"
        cameras[place] = add_camera(
            CameraData(device_code=f"{prefix}1315{n:06d}", name=f"路口{place}", kind="skynet", grid=grid),
            actor=p.city,
        )
    set_camera_status(cameras["B2"], "faulty", actor=p.city)
    solved_a = report("020111", title="入室盗窃案")
    solved_b = report("020112", title="盗窃电动车案", actor=p.grid_b, **IN_B)
    record_solved_by_video(solved_a, actor=p.station, cameras=[cameras["A"]], fugitive_caught=True)
    record_solved_by_video(solved_b, actor=p.station, cameras=[cameras["B"]])
    missing = report("020105", title="抢劫案")
    elsewhere = report("020105", title="抢劫案C", actor=p.city, **IN_C)
    Event.objects.unscoped(reason="test: opened two hours ago").filter(
        pk__in=[missing.pk, elsewhere.pk]
    ).update(opened_at=now - dt.timedelta(hours=2))


def prevention_figures(result) -> dict:
    return {name: f for name, f in result.figures.items() if f.section == "prevention"}


def test_every_prevention_figure_is_the_count_of_its_list(personas, prevention, client):
    p, t = personas, personas.territory
    today = timezone.localdate()
    start = today.replace(day=1)
    station = dashboard(p.station, unit=t.station.path, start=start, end=today)
    figures = prevention_figures(station)
    assert set(FIGURES) <= set(figures)
    values = {name: figures[name].value for name in FIGURES}
    assert values == {
        "patrols.teams": 2,  # A and B; C is stood down and in another county
        "patrols.members": 2,  # 王兰花 and 马志强, not the one stood down
        "patrols.patrols": 3,
        "patrols.visits": 1,
        "patrols.late_arrivals": 1,  # the robbery in A; the others just opened
        "video.cameras": 2,
        "video.solved": 2,
        "video.fugitives": 1,
    }
    city = prevention_figures(dashboard(p.city, unit=t.city.path, start=start, end=today))
    district = prevention_figures(dashboard(p.station, unit=t.district_a.path, start=start, end=today))
    assert city["patrols.late_arrivals"].value == 2 and city["patrols.teams"].value == 2
    assert district["video.solved"].value == 1 and district["patrols.patrols"].value >= 1
    for user, result in ((p.station, figures), (p.city, city), (p.station, district)):
        for name in FIGURES:
            assert prevention_count(user, result[name].url) == result[name].value, name

    # the pages behind the links say the same counts
    client.force_login(p.station)
    for name in FIGURES:
        html = client.get(figures[name].url).content.decode()
        counted = re.search(r'id="record-count">(\d+)', html)
        if counted:
            assert int(counted.group(1)) == values[name], name
        else:  # the camera list keeps its own count line
            assert f"{values[name]} 个" in html or f">{values[name]}" in html, name


def test_a_bad_filter_on_a_figures_list_is_told_and_lists_nothing(personas, prevention, client):
    client.force_login(personas.station)
    html = client.get("/patrols/teams/", {"active": "maybe"}).content.decode()
    assert 'role="alert"' in html and "active" in html and 'id="record-count">0' in html
    html = client.get("/patrols/list/", {"started_from": "2026-13-01"}).content.decode()
    assert 'role="alert"' in html and "started_from" in html


def test_patrol_hours_add_up_the_finished_patrols_of_the_period_with_their_change(world, personas, client):
    # given finished patrols of known length: in the last week team A walked 1.5 h and team B 1 h,
    # the week before team A walked 2 h, the city's own patrol (outside the station) 4 h, and a
    # patrol still under way, which is not counted
    p, t = personas, personas.territory
    now = timezone.now()

    def walked(user, days_ago, hours, *, plan=None):
        started = now - dt.timedelta(days=days_ago)
        patrol = actions.start_patrol(actor=user, id=uuid.uuid4(), started_at=started, plan=plan)
        return actions.end_patrol(patrol, actor=user, ended_at=started + dt.timedelta(hours=hours))

    walked(world.vol_a, 3, 1.5, plan=world.plan)
    walked(world.vol_b, 2, 1)
    walked(world.vol_a, 10, 2, plan=world.plan)
    walked(p.city, 2, 4)
    actions.start_patrol(actor=p.grid_a, id=uuid.uuid4(), started_at=now - dt.timedelta(hours=3))
    today = timezone.localdate()
    week = {"start": today - dt.timedelta(days=6), "end": today}
    if week["start"].day == 1:  # a period from the 1st compares with the month before's days
        week = {"start": today - dt.timedelta(days=7), "end": today - dt.timedelta(days=1)}

    # when the command room shows the last seven days
    station = dashboard(p.station, unit=t.station.path, **week).figures["patrols.hours"]
    city = dashboard(p.city, unit=t.city.path, **week).figures["patrols.hours"]
    district = dashboard(p.station, unit=t.district_a.path, **week).figures["patrols.hours"]

    # then the hours are the finished patrols' own, with their change against the week before
    assert (station.value, station.previous, station.last_year) == (2.5, 2.0, 0)
    assert station.mom == pytest.approx(0.25) and station.yoy is None
    assert station.section == "prevention" and not station.rate
    assert (city.value, city.previous) == (6.5, 2.0)
    assert (district.value, district.previous) == (1.5, 2.0)
    assert district.mom == pytest.approx(-0.25)
    # and the patrol list behind each figure adds up the same hours, on the page too
    for user, figure in ((p.station, station), (p.city, city), (p.station, district)):
        assert prevention_count(user, figure.url) == figure.value
    client.force_login(p.station)
    html = client.get(station.url).content.decode()
    line = re.search(r'id="record-count">([^<]*)<', html).group(1)
    assert re.findall(r"\d+(?:\.\d+)?", line) == ["2", "2.5"], line  # 2 patrols, 2.5 hours
    assert client.get("/patrols/list/", {"finished": "maybe"}).content.decode().count('role="alert"') == 1
