"""The demo's patrol and prevention (issue 17 §7): teams and members in the article's proportions,
tracks walked inside their grids with the checkpoints scanned and the grids passed, cameras in every
grid and at the model compounds' gates, the stations' video-patrol log, the demo's cases solved by
video linked to cameras, the officers' visits; the command room's prevention figures are all
non-zero; a second run changes nothing, and clearing leaves nothing. The ``volunteer`` account
logs in to its team's patrol tasks and its own record."""

import datetime as dt
from collections import defaultdict

import pytest
from django.utils import timezone, translation
from shapely.geometry import Point, shape

from fengqiao.accounts.models import Posting
from fengqiao.analytics.dashboard import dashboard
from fengqiao.demo import patrols as demo
from fengqiao.demo.actions import DEMO_PASSWORD, generate_demo_events, generate_demo_registry
from fengqiao.events.choices import Offence, SolveMethod
from fengqiao.events.models import Event
from fengqiao.geo.models import Grid, PoliceUnit
from fengqiao.patrols.models import Member, Passage, Patrol, Plan, Scan, Team, TrackPoint, Visit
from fengqiao.video.models import Camera, Compound, PatrolLog, SolvedByVideo
from fengqiao.video.rules import check_device_code
from tests.demo.conftest import SEED

pytestmark = pytest.mark.django_db
SCALE = 0.01  # 6 teams, 49 members
ALL = "test: inspect the demo's patrol and prevention"


@pytest.fixture
def prevention(small_city, runner):
    generate_demo_registry(actor=runner, scale=0.002, seed=SEED)
    generate_demo_events(actor=runner, scale=0.05, seed=SEED)
    with translation.override("en"):  # the labels of the counts in their English source
        return demo.generate_demo_patrols(actor=runner, scale=SCALE, seed=SEED)


def rows(model):
    return model.objects.unscoped(reason=ALL)


def test_the_demo_fills_patrol_and_prevention_and_its_figures(prevention, runner):
    counts = {str(k): v for k, v in prevention.items()}
    # teams and members in the article's proportions (561 / 4,898 at 1.0)
    assert rows(Team).count() == counts["volunteer teams"] == round(561 * SCALE)
    assert Member.objects.count() == counts["team members"] == round(4898 * SCALE)
    assert all(team.leader_id for team in rows(Team))
    # four weeks of patrols, every point inside its team's grid, every checkpoint scanned
    patrols = list(rows(Patrol).select_related("team__grid"))
    assert len(patrols) == counts["patrols"] > 0
    first = min(p.started_at for p in patrols)
    assert first >= timezone.now() - dt.timedelta(weeks=4, days=1) and first < timezone.now() - dt.timedelta(
        days=14
    )
    outlines = {g.pk: shape(g.geometry).buffer(1e-6) for g in Grid.objects.unscoped(reason=ALL)}
    grid_of = {p.pk: p.team.grid_id for p in patrols}
    for patrol_id, lon, lat in TrackPoint.objects.values_list("patrol_id", "lon", "lat"):
        assert outlines[grid_of[patrol_id]].contains(Point(lon, lat))
    scanned = defaultdict(set)
    for patrol_id, checkpoint in Scan.objects.values_list("patrol_id", "checkpoint_id"):
        scanned[patrol_id].add(checkpoint)
    for patrol in patrols:
        assert patrol.point_count > 10 and patrol.distance_m > 0
        assert patrol.track["geometry"]["type"] == "LineString"
        assert scanned[patrol.pk] == set(patrol.plan.checkpoints.values_list("pk", flat=True))
        assert Passage.objects.filter(patrol=patrol, grid_id=grid_of[patrol.pk]).exists()
    # cameras in every grid, valid codes, the model compounds' gates covered
    grids = Grid.objects.unscoped(reason=ALL).count()
    cameras = list(rows(Camera))
    assert len({c.grid_id for c in cameras}) == grids and len(cameras) == counts["cameras"]
    for camera in cameras:
        check_device_code(camera.device_code)
    compounds = rows(Compound).filter(is_model=True)
    assert compounds.count() == counts["model compounds"] >= 1
    assert all(rows(Camera).filter(compound=c, at_entrance=True).count() == c.entrances for c in compounds)
    # each station watched its cameras every night, the cases solved by video have their cameras
    stations = set(rows(PatrolLog).values_list("scope_path", flat=True))
    assert len(stations) == PoliceUnit.objects.filter(kind="station").count()
    by_video = Event.objects.unscoped(reason=ALL).filter(
        offence=Offence.CRIMINAL, solved_by=SolveMethod.VIDEO
    )
    assert rows(SolvedByVideo).count() == by_video.count() == counts["video-solved cases"] > 0
    assert all(rows(Camera).filter(solved=s).exists() for s in rows(SolvedByVideo))
    assert rows(Visit).count() == counts["household visits"] > 0

    # the command room's prevention figures for the city over the year are all non-zero (but the
    # fugitives caught, a share of few cases at this scale)
    city = PoliceUnit.objects.get(parent=None)
    today = timezone.localdate()
    result = dashboard(runner, unit=city.path, start=today - dt.timedelta(days=364), end=today)
    figures = {n: f.value for n, f in result.figures.items() if n.startswith(("patrols.", "video."))}
    assert set(figures) >= {
        "patrols.teams",
        "patrols.members",
        "patrols.patrols",
        "video.cameras",
        "video.solved",
    }
    zero = {n for n, v in figures.items() if not v and n != "video.fugitives"}
    assert zero == set()

    # a second run changes nothing; clearing leaves nothing
    assert demo.generate_demo_patrols(actor=runner, scale=SCALE, seed=SEED) is None
    demo.clear_demo_patrols()
    assert not rows(Team).exists() and not rows(Camera).exists() and not rows(Patrol).exists()
    assert not TrackPoint.objects.exists() and not rows(SolvedByVideo).exists()


def test_the_volunteer_account_sees_its_teams_patrol_tasks_and_its_own_record(small_city, runner, client):
    # given the demo's patrols on the small city (no registry needed)
    demo.generate_demo_patrols(actor=runner, scale=SCALE, seed=SEED)
    member = Member.objects.select_related("team", "user").get(user__username="volunteer")
    team, grid = member.team, Posting.objects.get(user__username="grid").grid
    # the volunteer leads a team of the grid account's grid, whose plan's checkpoints are in it
    assert member.is_active and member.name == member.user.full_name and team.leader_id == member.pk
    assert team.grid_id == grid.pk and team.is_active
    plan = rows(Plan).get(team=team)
    outline = shape(grid.geometry).buffer(1e-6)
    assert plan.checkpoints.count() >= 2
    assert all(outline.contains(Point(c.lon, c.lat)) for c in plan.checkpoints.all())
    walked = rows(Patrol).filter(patroller=member.user)
    assert walked.count() > 0 and set(walked.values_list("team", flat=True)) == {team.pk}

    # when they log in with the demo password
    assert client.post("/login/", {"username": "volunteer", "password": DEMO_PASSWORD}).status_code == 302
    home = client.get("/").content.decode()
    assert 'data-module="patrol_go"' in home and 'data-module="patrol_record"' in home
    # then their record shows their team, its plan (their patrol tasks) and their own patrols
    record = client.get("/patrols/me/").content.decode()
    assert team.name in record and plan.name in record
    assert f"<dd>{walked.count()}</dd>" in record
    assert f'<option value="{plan.pk}">' in client.get("/patrols/go/").content.decode()
    assert client.get(f"/patrols/plans/{plan.pk}/").status_code == 200
    # and no other team's
    other = rows(Team).exclude(pk=team.pk).first()
    assert client.get(f"/patrols/teams/{other.pk}/").status_code == 404

    # running the demo again reuses it: still one membership
    assert demo.generate_demo_patrols(actor=runner, scale=SCALE, seed=SEED) is None
    assert Member.objects.filter(user=member.user).count() == 1
