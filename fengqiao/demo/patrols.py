"""Demo data of patrol and prevention (issue 17 §7), at the registry's scale of the seed city:
561 volunteer teams with 4,898 members at 1.0, each team with a plan of checkpoints and its
patrols of the last four weeks (tracks walked inside the team's grid, the checkpoints scanned in
their windows, the grids passed worked out through the spatial index), cameras in every grid and
the model compounds' at their entrances, each station's video wall and a month of its video-patrol
log, the demo's criminal cases solved by video linked to their cameras, and the community officers'
household visits of the last four weeks.

The ``volunteer`` demo account is a member (the leader) of the first team, which serves in the
showcase grid of the ``grid`` account and walks its patrols, so the volunteer's pages show a
team, its plan's checkpoints and a record of their own.

Rows go in with the import path's ``copy_in`` under ``bulk_load``; nothing here is a case type of
the kernel (the cases solved by video are the events generator's, already solved by video).
Deterministic for a seed and a day.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape

from fengqiao.accounts.models import Posting, User
from fengqiao.core import audit
from fengqiao.core.importing import bulk_load, copy_in
from fengqiao.core.roles import Role
from fengqiao.demo import names
from fengqiao.events.choices import Offence, SolveMethod
from fengqiao.events.models import Event
from fengqiao.geo.models import Grid, PoliceUnit
from fengqiao.patrols import tracks
from fengqiao.patrols.choices import TeamKind, VisitTarget
from fengqiao.patrols.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Checkpoint,
    Member,
    Passage,
    Patrol,
    Plan,
    Scan,
    Team,
    TrackPoint,
    Visit,
)
from fengqiao.registry.models import House
from fengqiao.registry.validators import make_id_number
from fengqiao.video.choices import CameraKind, CameraStatus
from fengqiao.video.models import Camera, Compound, PatrolLog, SolvedByVideo, VideoWall

DEMO_PATROLS = audit.register("demo_patrols", "generated the demo patrols, cameras and visits")
UNSCOPED = "demo: the generator fills and clears patrol and prevention"
TEAMS, MEMBERS, MODEL_COMPOUNDS = 561, 4_898, 100  # the article's city at scale 1.0
WEEKS = 4
PATROLS_PER_TEAM_WEEK = 2
POINT_EVERY_S = 60
SKYNET_PER_GRID = 2
VISITS_PER_OFFICER_WEEK = 10
FUGITIVE_SHARE = 0.15
WINDOWS = [["08:00", "10:00"], ["19:00", "21:00"]]
KIND_WEIGHTS = {
    TeamKind.RED_ARMBAND: 40,
    TeamKind.WARM_HEARTED: 25,
    TeamKind.VOLUNTEER_POLICE: 10,
    TeamKind.JOINT_DEFENCE: 15,
    TeamKind.ACTIVISTS: 10,
}
TEAM_NAMES = {
    TeamKind.RED_ARMBAND: "{village}红袖标巡逻队",
    TeamKind.WARM_HEARTED: "{surname}{given}热心小组",
    TeamKind.VOLUNTEER_POLICE: "{village}义警队",
    TeamKind.JOINT_DEFENCE: "{village}保安联防队",
    TeamKind.ACTIVISTS: "{village}治安积极分子队",
}
CHECKPOINTS = ("村委会大门", "小学门口", "卫生室", "文化广场", "集市路口")
COMPOUND_NAMES = ("幸福家园", "阳光小区", "金色港湾", "滨河花园", "朝阳新村", "康居苑")
SIGHTINGS = ("路口车辆通行正常", "夜市人员聚集，秩序良好", "小区门口有人徘徊，已通知网格员留意", "未见异常")


def _pick(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _share(total: int, scale: float, floor: int = 1) -> int:
    return max(floor, round(total * scale))


def _code(rng: random.Random, taken: set) -> str:
    while (code := "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))) in taken:
        pass
    taken.add(code)
    return code


def _next_pk(model) -> int:
    return (
        model.objects.unscoped(reason=UNSCOPED) if hasattr(model.objects, "unscoped") else model.objects
    ).aggregate(x=Max("pk"))["x"] or 0


def _inside(rng: random.Random, outline, n: int) -> list[tuple[float, float]]:
    """``n`` random points inside a grid's outline (rejection in its bounds)."""
    minx, miny, maxx, maxy = outline.bounds
    out: list[tuple[float, float]] = []
    for _try in range(n * 50):
        if len(out) == n:
            break
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if outline.contains(Point(x, y)):
            out.append((round(x, 6), round(y, 6)))
    while len(out) < n:  # a sliver: its representative point
        p = outline.representative_point()
        out.append((round(p.x, 6), round(p.y, 6)))
    return out


def _walk(stops: list[tuple[float, float]], steps: int) -> list[tuple[float, float]]:
    """Positions along the loop through ``stops``, ``steps`` of them in all (straight legs stay
    inside a convex stretch; the stops were drawn inside the outline)."""
    loop = [*stops, stops[0]]
    per_leg = max(1, steps // (len(loop) - 1))
    out = []
    for (x0, y0), (x1, y1) in zip(loop, loop[1:], strict=False):
        for i in range(per_leg):
            f = i / per_leg
            out.append((round(x0 + (x1 - x0) * f, 6), round(y0 + (y1 - y0) * f, 6)))
    out.append(loop[-1])
    return out


def _staff():
    """{grid id: grid worker id}, {district path: community officer id}, {station path: user id}."""
    workers, officers, stations = {}, {}, {}
    for unit_path, grid_id, user_id, role in (
        Posting.objects.filter(user__is_active=True)
        .order_by("user_id")
        .values_list("unit__path", "grid_id", "user_id", "user__role")
    ):
        if grid_id and role == Role.GRID_WORKER:
            workers.setdefault(grid_id, user_id)
        elif unit_path and role == Role.COMMUNITY_OFFICER:
            officers.setdefault(unit_path, user_id)
        elif unit_path and role == Role.STATION:
            stations.setdefault(unit_path, user_id)
    return workers, officers, stations


def _showcase():
    """The grid of the ``grid`` demo account and the ``volunteer`` account, where they exist."""
    grid_id = (
        Posting.objects.filter(user__username=names.DemoAccount.GRID, grid__isnull=False)
        .values_list("grid_id", flat=True)
        .first()
    )
    volunteer = User.objects.filter(
        username=names.DemoAccount.VOLUNTEER, role=Role.VOLUNTEER, is_active=True
    ).first()
    return grid_id, volunteer


def clear_demo_patrols() -> None:
    """Remove every row of patrol and prevention (before the city they refer to goes)."""
    with transaction.atomic():
        SolvedByVideo.objects.unscoped(reason=UNSCOPED).delete()
        PatrolLog.objects.unscoped(reason=UNSCOPED).delete()
        VideoWall.objects.unscoped(reason=UNSCOPED).delete()
        Camera.objects.unscoped(reason=UNSCOPED).delete()
        Compound.objects.unscoped(reason=UNSCOPED).delete()
        Visit.objects.unscoped(reason=UNSCOPED).delete()
        Patrol.objects.unscoped(reason=UNSCOPED).delete()  # points, scans, passages go with them
        Plan.objects.unscoped(reason=UNSCOPED).delete()  # and checkpoints
        Team.objects.unscoped(reason=UNSCOPED).update(leader=None)
        Team.objects.unscoped(reason=UNSCOPED).delete()  # and members


@transaction.atomic
def generate_demo_patrols(
    *, actor, scale: float = 1.0, seed: int = 1, today: dt.date | None = None
) -> dict[str, int] | None:
    """Fill patrol and prevention for the demo city; None when there is data already (or no
    city). One transaction, one audit entry."""
    if actor is None or not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser may generate the demo city."))
    if Team.objects.unscoped(reason=UNSCOPED).exists() or Camera.objects.unscoped(reason=UNSCOPED).exists():
        return None
    grids = list(
        Grid.objects.unscoped(reason=UNSCOPED)
        .filter(is_active=True)
        .order_by("code")
        .values_list("pk", "scope_path", "geometry", "community_id", "community__name")
    )
    if not grids:
        return None
    today = today or timezone.localdate()
    rng = random.Random(f"{seed}:patrols:{today}")
    tz = timezone.get_current_timezone()
    now = timezone.now()
    workers, officers, stations = _staff()
    showcase_grid, volunteer = _showcase()
    showcase = next((row for row in grids if row[0] == showcase_grid), None)
    outlines = {pk: shape(geometry) for pk, _path, geometry, _c, _n in grids}
    path_of = {pk: path for pk, path, *_rest in grids}
    rows: dict[type, list] = defaultdict(list)

    # --- teams, members, plans with checkpoints --------------------------------------------------
    n_teams = _share(TEAMS, scale)
    n_members = max(n_teams * 3, round(MEMBERS * scale))
    team_pk, member_pk, plan_pk, cp_pk = (_next_pk(m) for m in (Team, Member, Plan, Checkpoint))
    teams, plans, codes = [], {}, set(Checkpoint.objects.values_list("code", flat=True))
    for i in range(n_teams):
        grid_id, path, _geometry, community_id, village = grids[rng.randrange(len(grids))]
        kind = _pick(rng, KIND_WEIGHTS)
        if i == 0 and showcase is not None:  # the volunteer's team, in the grid worker's grid
            grid_id, path, _geometry, community_id, village = showcase
            kind = TeamKind.RED_ARMBAND
        surname = names.surname(rng)
        name = TEAM_NAMES[kind].format(
            village=village or "", surname=surname, given=names.person_name(rng)[-1]
        )
        team = Team(
            pk=team_pk + i + 1,
            scope_path=path,
            grid_id=grid_id,
            name=name[:100],
            kind=kind,
            community_id=community_id,
            party_branch=f"{village}党支部" if kind == TeamKind.RED_ARMBAND and village else "",
            created_by_id=actor.pk,
        )
        teams.append(team)
        plan = Plan(
            pk=plan_pk + i + 1,
            scope_path=path,
            grid_id=grid_id,
            name=f"{name[:80]}日常巡逻",
            team=team,
            windows=WINDOWS,
            created_by_id=actor.pk,
        )
        plans[team.pk] = plan
        stops = _inside(rng, outlines[grid_id], 4)
        for pos, (lon, lat) in enumerate(stops):
            cp_pk += 1
            rows[Checkpoint].append(
                Checkpoint(
                    pk=cp_pk,
                    plan=plan,
                    code=_code(rng, codes),
                    name=CHECKPOINTS[pos % len(CHECKPOINTS)],
                    lon=lon,
                    lat=lat,
                    position=pos,
                )
            )
    rows[Team], rows[Plan] = teams, list(plans.values())
    county_of = {team.pk: team.scope_path.split("/")[1] for team in teams}
    for j in range(n_members):
        team = teams[j % n_teams]
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 50))
        rows[Member].append(
            Member(
                pk=member_pk + j + 1,
                team=team,
                name=names.person_name(rng),
                id_number=make_id_number(county_of[team.pk], born, rng.choice("MF"), j % 1000),
                phone=f"139{rng.randrange(10**8):08d}",
                joined_on=today - dt.timedelta(days=rng.randrange(30, 2000)),
                is_active=rng.random() > 0.05,
            )
        )
    if volunteer is not None and rows[Member]:  # the first member of the first team logs in
        first = rows[Member][0]
        first.user_id, first.name, first.is_active = volunteer.pk, volunteer.full_name, True
    leaders = {m.team_id: m.pk for m in reversed(rows[Member])}

    # --- patrols of the last weeks: tracks, scans, grids passed -----------------------------------
    walks = []
    checkpoints_of = defaultdict(list)
    for cp in rows[Checkpoint]:
        checkpoints_of[cp.plan.team_id].append(cp)
    for n, team in enumerate(teams):
        patroller = workers.get(team.grid_id) or actor.pk
        if n == 0 and volunteer is not None:
            patroller = volunteer.pk
        cps = checkpoints_of[team.pk]
        for week in range(WEEKS):
            for k in range(PATROLS_PER_TEAM_WEEK):
                day = today - dt.timedelta(days=7 * week + rng.randrange(7))
                start_h, start_m = map(int, WINDOWS[k % 2][0].split(":"))
                start = dt.datetime.combine(day, dt.time(start_h, start_m), tzinfo=tz) + dt.timedelta(
                    minutes=rng.randrange(30)
                )
                minutes = rng.randrange(45, 100)
                if start + dt.timedelta(minutes=minutes) > now:
                    continue
                positions = _walk([(cp.lon, cp.lat) for cp in cps], minutes * 60 // POINT_EVERY_S)
                times = [start + dt.timedelta(seconds=POINT_EVERY_S * s) for s in range(len(positions))]
                patrol = Patrol(
                    id=uuid.UUID(int=rng.getrandbits(128)),
                    scope_path=team.scope_path,
                    patroller_id=patroller,
                    team=team,
                    plan=plans[team.pk],
                    started_at=start,
                    ended_at=times[-1],
                )
                walks.append(
                    (patrol, tracks.Track.of([(t, x, y) for t, (x, y) in zip(times, positions, strict=True)]))
                )
                rows[TrackPoint] += [
                    TrackPoint(patrol=patrol, seq=s, at=t, lon=x, lat=y, accuracy=8.0)
                    for s, (t, (x, y)) in enumerate(zip(times, positions, strict=True))
                ]
                leg = max(1, len(positions) // len(cps))
                rows[Scan] += [
                    Scan(
                        id=uuid.UUID(int=rng.getrandbits(128)),
                        patrol=patrol,
                        checkpoint=cp,
                        at=times[min(n * leg, len(times) - 1)],
                        lon=cp.lon,
                        lat=cp.lat,
                        in_window=True,
                    )
                    for n, cp in enumerate(cps)
                ]
    for (patrol, track), passed in zip(walks, tracks.passages_many([t for _p, t in walks]), strict=True):
        patrol.track = tracks.geojson(track)
        patrol.point_count = len(track)
        patrol.distance_m = round(tracks.length_m(track), 1)
        patrol.last_point_at = patrol.ended_at
        rows[Patrol].append(patrol)
        rows[Passage] += [
            Passage(patrol=patrol, grid_id=g, first_at=tracks.from_micros(a), last_at=tracks.from_micros(b))
            for g, (a, b) in passed.items()
        ]

    # --- compounds and cameras ---------------------------------------------------------------------
    compound_pk, camera_pk = _next_pk(Compound), _next_pk(Camera)
    serials: dict[str, int] = defaultdict(int)
    cameras_in = defaultdict(list)

    def camera(grid_id, kind, lon, lat, **extra) -> Camera:
        nonlocal camera_pk
        county = path_of[grid_id].split("/")[1]
        serials[county] += 1
        camera_pk += 1
        cam = Camera(
            pk=camera_pk,
            scope_path=path_of[grid_id],
            device_code=f"{county}0000{131}5{serials[county]:06d}",
            kind=kind,
            status=CameraStatus.ACTIVE if rng.random() > 0.04 else CameraStatus.FAULTY,
            grid_id=grid_id,
            lon=lon,
            lat=lat,
            direction=rng.randrange(360),
            confirmed_by_id=actor.pk,
            confirmed_at=now,
            **extra,
        )
        rows[Camera].append(cam)
        cameras_in[grid_id].append(cam)
        return cam

    for grid_id, _path, _g, _c, village in grids:
        for n, (lon, lat) in enumerate(_inside(rng, outlines[grid_id], SKYNET_PER_GRID)):
            camera(
                grid_id, CameraKind.SKYNET, lon, lat, name=f"{village or ''}路口{n + 1}号"[:100], place="路口"
            )
    for c in range(_share(MODEL_COMPOUNDS, scale)):
        grid_id = grids[rng.randrange(len(grids))][0]
        compound_pk += 1
        compound = Compound(
            pk=compound_pk,
            scope_path=path_of[grid_id],
            name=f"{COMPOUND_NAMES[c % len(COMPOUND_NAMES)]}{c // len(COMPOUND_NAMES) + 1}期",
            grid_id=grid_id,
            is_model=True,
            entrances=2,
            households=rng.randrange(200, 900),
        )
        rows[Compound].append(compound)
        for door, (lon, lat) in enumerate(_inside(rng, outlines[grid_id], 2)):
            camera(
                grid_id,
                CameraKind.COMPOUND,
                lon,
                lat,
                name=f"{compound.name}{door + 1}号门",
                compound=compound,
                at_entrance=True,
                owner_name=f"{compound.name}物业",
                registered_publicly=True,
            )

    # --- the stations' video walls and their video-patrol log ---------------------------------------
    wall_pk, log_pk = _next_pk(VideoWall), _next_pk(PatrolLog)
    station_paths = sorted({"/".join(p.split("/")[:3]) for p in path_of.values()})
    station_ids = dict(PoliceUnit.objects.filter(path__in=station_paths).values_list("path", "pk"))
    for station_path in station_paths:
        if station_path not in station_ids:
            continue
        station_cams = [
            c for g, cams in cameras_in.items() if path_of[g].startswith(station_path + "/") for c in cams
        ]
        if not station_cams:
            continue
        wall_pk += 1
        wall = VideoWall(
            pk=wall_pk, scope_path=station_path, station_id=station_ids[station_path], name="值班视频墙"
        )
        rows[VideoWall].append(wall)
        rows[VideoWall.cameras.through] += [
            VideoWall.cameras.through(videowall=wall, camera=c) for c in station_cams[:16]
        ]
        watcher = stations.get(station_path) or actor.pk
        for day in range(7 * WEEKS):
            start = dt.datetime.combine(today - dt.timedelta(days=day + 1), dt.time(20), tzinfo=tz)
            log_pk += 1
            log = PatrolLog(
                pk=log_pk,
                scope_path=station_path,
                station_id=station_ids[station_path],
                watcher_id=watcher,
                started_at=start,
                ended_at=start + dt.timedelta(hours=2),
                observations=rng.choice(SIGHTINGS),
            )
            rows[PatrolLog].append(log)
            rows[PatrolLog.cameras.through] += [
                PatrolLog.cameras.through(patrollog=log, camera=c)
                for c in rng.sample(station_cams, min(4, len(station_cams)))
            ]

    # --- the demo's criminal cases solved by video, with their cameras ------------------------------
    solved_pk = _next_pk(SolvedByVideo)
    solved = Event.objects.unscoped(reason=UNSCOPED).filter(
        offence=Offence.CRIMINAL, solved_by=SolveMethod.VIDEO, solved_at__isnull=False
    )
    for event_id, path, grid_id, solved_at in solved.values_list("pk", "scope_path", "grid_id", "solved_at"):
        cams = cameras_in.get(grid_id)
        if not cams:
            continue
        solved_pk += 1
        case = SolvedByVideo(
            pk=solved_pk,
            scope_path=path,
            event_id=event_id,
            solved_on=timezone.localtime(solved_at, tz).date(),
            fugitive_caught=rng.random() < FUGITIVE_SHARE,
            note="调取周边监控，锁定嫌疑人行动轨迹。",
            recorded_by_id=stations.get("/".join(path.split("/")[:3])) or actor.pk,
        )
        rows[SolvedByVideo].append(case)
        rows[SolvedByVideo.cameras.through] += [
            SolvedByVideo.cameras.through(solvedbyvideo=case, camera=c) for c in cams[:2]
        ]

    # --- the community officers' household visits -----------------------------------------------------
    visit_pk = _next_pk(Visit)
    houses = defaultdict(list)
    for pk, grid_id in (
        House.objects.unscoped(reason=UNSCOPED)
        .filter(retired_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "grid_id")
    ):
        houses[grid_id].append(pk)
    by_district = defaultdict(list)
    for grid_id, path in path_of.items():
        if houses.get(grid_id):
            by_district[path.rsplit("/", 1)[0]].append(grid_id)
    for district, grid_ids in sorted(by_district.items()):
        officer = officers.get(district)
        if officer is None:
            continue
        for week in range(WEEKS):
            for _n in range(VISITS_PER_OFFICER_WEEK):
                grid_id = rng.choice(grid_ids)
                at = dt.datetime.combine(
                    today - dt.timedelta(days=7 * week + rng.randrange(7)),
                    dt.time(rng.randrange(9, 18)),
                    tzinfo=tz,
                )
                if at > now:
                    continue
                visit_pk += 1
                rows[Visit].append(
                    Visit(
                        pk=visit_pk,
                        scope_path=path_of[grid_id],
                        officer_id=officer,
                        target=VisitTarget.HOUSEHOLD,
                        house_id=rng.choice(houses[grid_id]),
                        grid_id=grid_id,
                        visited_at=at,
                        met="户主",
                        notes="宣传防诈骗知识，了解家庭情况。",
                        card_given=rng.random() < 0.8,
                    )
                )

    order = [
        Team, Member, Plan, Checkpoint, Patrol, TrackPoint, Scan, Passage, Compound, Camera, VideoWall,
        VideoWall.cameras.through, PatrolLog, PatrolLog.cameras.through, SolvedByVideo,
        SolvedByVideo.cameras.through, Visit,
    ]  # fmt: skip
    with bulk_load(order):
        for model in order:
            copy_in(rows[model])
    for team in teams:
        team.leader_id = leaders.get(team.pk)
    Team.objects.unscoped(reason=UNSCOPED).bulk_update(teams, ["leader"], batch_size=500)
    counts = {
        _("volunteer teams"): len(teams),
        _("team members"): len(rows[Member]),
        _("patrols"): len(rows[Patrol]),
        _("cameras"): len(rows[Camera]),
        _("model compounds"): len(rows[Compound]),
        _("video patrols"): len(rows[PatrolLog]),
        _("video-solved cases"): len(rows[SolvedByVideo]),
        _("household visits"): len(rows[Visit]),
    }
    audit.record(
        DEMO_PATROLS,
        None,
        actor=actor,
        object_type="patrols.team",
        object_repr=_("demo patrols"),
        after={
            "scale": scale,
            "seed": seed,
            "today": today,
            "counts": {str(k): v for k, v in counts.items()},
        },
    )
    return counts
