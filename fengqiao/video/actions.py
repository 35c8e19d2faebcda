"""Every change to the camera inventory and the video patrol: one function per operation, atomic,
with its permission check and its audit entry.

Owners of private cameras register them anonymously (地网工程): the camera waits, unconfirmed, until
staff of its area confirm it. A video patrol's finding enters the closed loop through events' own
intake (``events.actions.report_event``), so it reaches the grid's inbox like any report.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.roles import Role
from fengqiao.core.scoping import OutOfScope, is_staff, is_under, scope_prefixes, unscoped_block
from fengqiao.events import actions as events
from fengqiao.events import routing
from fengqiao.events.choices import Channel, SolveMethod
from fengqiao.events.models import Event
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import Grid, PoliceUnit
from fengqiao.video import rules
from fengqiao.video.choices import CameraKind, CameraStatus
from fengqiao.video.models import Camera, Compound, PatrolLog, SolvedByVideo, VideoWall

CAMERA_REGISTER = audit.register("camera_register", "registered a camera", needs_actor=False)  # owners
CAMERA_CONFIRM = audit.register("camera_confirm", "confirmed a camera")
CAMERA_UPDATE = audit.register("camera_update", "changed a camera")
COMPOUND_SAVE = audit.register("compound_save", "saved a compound")
WALL_SAVE = audit.register("video_wall_save", "saved a video wall")
PATROL_LOG = audit.register("video_patrol_log", "logged a video patrol")
SOLVED_BY_VIDEO = audit.register("solved_by_video", "recorded a case solved by video")

UNSCOPED_SOLVED = "video: a case is recorded as solved by video once, whoever recorded it"
UNSCOPED_DEVICE_CODE = "video: a device code is registered once, whichever area holds it"

CAMERA_MANAGERS = {Role.CITY_COMMAND, Role.COUNTY_BUREAU, Role.STATION, Role.COMMUNITY_OFFICER}
# The station's video-patrol desk: staff of units, not grid workers in the field.
VIDEO_PATROLLERS = CAMERA_MANAGERS | {Role.AUXILIARY}


def may_use_video(user) -> bool:
    return is_staff(user)


def may_manage_cameras(user) -> bool:
    return is_staff(user) and (user.is_superuser or user.role in CAMERA_MANAGERS)


def may_patrol(user) -> bool:
    return is_staff(user) and (user.is_superuser or user.role in VIDEO_PATROLLERS)


@dataclass
class CameraData:
    """What a camera's form, the API or the owner's registration says about it."""

    device_code: str
    name: str
    kind: str
    place: str = ""
    lon: float | None = None
    lat: float | None = None
    direction: int | None = None
    at_entrance: bool = False
    owner_name: str = ""
    owner_phone: str = ""
    stream_url: str = ""
    grid: Grid | None = None
    compound: Compound | None = None


def _checked(data: CameraData, *, public: bool) -> dict:
    """The camera's fields after every rule; one ValidationError naming each bad field."""
    errors: dict[str, list] = {}
    problem = rules.device_code_problem(data.device_code)
    if problem:
        errors["device_code"] = [problem]
    name = (data.name or "").strip()
    if not name:
        errors["name"] = [_("Give the camera a name people recognise (e.g. the gate it watches).")]
    if data.kind not in CameraKind.values:
        errors["kind"] = [_("Unknown value: %(value)s.") % {"value": data.kind}]
    elif public and data.kind == CameraKind.SKYNET:
        errors["kind"] = [_("Public cameras are entered by the police, not registered by owners.")]
    errors.update(
        rules.check_camera(
            kind=data.kind,
            owner_name=data.owner_name,
            owner_phone=data.owner_phone,
            direction=data.direction,
            lon=data.lon,
            lat=data.lat,
        )
    )
    url = (data.stream_url or "").strip()
    if url and not url.lower().startswith(("rtsp://", "http://", "https://")):
        errors["stream_url"] = [_("A stream address begins with rtsp://, http:// or https://.")]
    if errors:
        raise ValidationError(errors)
    return {
        "device_code": data.device_code.strip(),
        "name": name[:100],
        "kind": data.kind,
        "place": (data.place or "").strip()[:200],
        "lon": data.lon,
        "lat": data.lat,
        "direction": data.direction,
        "at_entrance": bool(data.at_entrance),
        "owner_name": (data.owner_name or "").strip()[:64],
        "owner_phone": (data.owner_phone or "").strip()[:20],
        "stream_url": url[:300],
    }


def _code_taken(code: str) -> bool:
    return Camera.objects.unscoped(reason=UNSCOPED_DEVICE_CODE).filter(device_code=code).exists()


def _taken_error() -> ValidationError:
    return ValidationError({"device_code": [_("A camera with this device code is registered already.")]})


def _save_new(camera: Camera) -> Camera:
    if _code_taken(camera.device_code):
        raise _taken_error()
    try:
        with transaction.atomic():
            camera.save()
    except IntegrityError:  # registered by someone else in between
        raise _taken_error() from None
    return camera


@transaction.atomic
def register_camera(data: CameraData, *, actor=None) -> Camera:
    """An owner registers their private camera (no account needed); it waits for staff to confirm.
    The grid comes from the point, else from the address the owner typed."""
    fields = _checked(data, public=True)
    address = events.address_from_text(fields["place"]) if fields["lon"] is None else None
    if fields["lon"] is None and address is None:
        raise ValidationError({"place": [_("We could not find this address: give the camera's location.")]})
    grid = routing.place(lon=fields["lon"], lat=fields["lat"], address=address)
    camera = _save_new(Camera(grid=grid, status=CameraStatus.PENDING, registered_publicly=True, **fields))
    audit.record(CAMERA_REGISTER, camera, actor=actor, after={"grid": grid.code, "kind": camera.kind})
    return camera


def _grid_in_scope(actor, grid: Grid | None) -> Grid:
    if grid is None or not grid.is_active or not grid.is_visible_to(actor):
        raise ValidationError({"grid": [_("Choose a grid in your area.")]})
    return grid


def _compound_in_grid(compound: Compound | None, grid: Grid) -> Compound | None:
    if compound is not None and compound.grid_id != grid.pk:
        raise ValidationError({"compound": [_("The compound must be in the camera's grid.")]})
    return compound


@transaction.atomic
def add_camera(data: CameraData, *, actor) -> Camera:
    """Staff enter a camera of their area; it is in service at once."""
    if not may_manage_cameras(actor):
        raise PermissionDenied(_("Only officers and their units keep the camera inventory."))
    fields = _checked(data, public=False)
    grid = _grid_in_scope(actor, data.grid)
    compound = _compound_in_grid(data.compound, grid)
    camera = Camera(
        grid=grid,
        compound=compound,
        status=CameraStatus.ACTIVE,
        confirmed_by=actor,
        confirmed_at=timezone.now(),
        **fields,
    )
    _save_new(camera)
    audit.record(audit.CREATE, camera, actor=actor, after={"grid": grid.code, "kind": camera.kind})
    return camera


@transaction.atomic
def confirm_camera(
    camera: Camera, *, actor, compound: Compound | None = None, stream_url: str = ""
) -> Camera:
    """Staff of the camera's area confirm an owner's registration: it joins the inventory."""
    if not camera.is_visible_to(actor):
        raise OutOfScope("camera")  # the same 404 as a missing camera
    if not may_manage_cameras(actor):
        raise PermissionDenied(_("Only officers and their units keep the camera inventory."))
    camera = Camera.objects.select_for_update().visible_to(actor).get(pk=camera.pk)
    if camera.status != CameraStatus.PENDING:
        raise ValidationError(_("This camera is not waiting for confirmation."))
    camera.compound = _compound_in_grid(compound, camera.grid) if compound else camera.compound
    if stream_url:
        camera.stream_url = _checked(
            CameraData(
                **{
                    k: getattr(camera, k)
                    for k in ("device_code", "name", "kind", "owner_name", "owner_phone")
                },
                stream_url=stream_url,
            ),
            public=False,
        )["stream_url"]
    camera.status = CameraStatus.ACTIVE
    camera.confirmed_by, camera.confirmed_at = actor, timezone.now()
    camera.save()
    audit.record(CAMERA_CONFIRM, camera, actor=actor, after={"status": camera.status})
    return camera


@transaction.atomic
def set_camera_status(camera: Camera, status: str, *, actor) -> Camera:
    if not camera.is_visible_to(actor):
        raise OutOfScope("camera")
    if not may_manage_cameras(actor):
        raise PermissionDenied(_("Only officers and their units keep the camera inventory."))
    if status not in (CameraStatus.ACTIVE, CameraStatus.FAULTY, CameraStatus.RETIRED):
        raise ValidationError({"status": [_("Unknown value: %(value)s.") % {"value": status}]})
    before = {"status": camera.status}
    camera.status = status
    camera.save(update_fields=["status", "updated_at"])
    audit.record(CAMERA_UPDATE, camera, actor=actor, before=before, after={"status": status})
    return camera


@transaction.atomic
def save_compound(
    *,
    actor,
    grid: Grid,
    name: str,
    is_model: bool,
    entrances: int,
    households: int = 0,
    compound: Compound | None = None,
) -> Compound:
    if not may_manage_cameras(actor):
        raise PermissionDenied(_("Only officers and their units keep the camera inventory."))
    grid = _grid_in_scope(actor, grid)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("This field is required.")]})
    if entrances < 1:
        raise ValidationError({"entrances": [_("A compound has at least one entrance.")]})
    compound = compound or Compound()
    compound.grid, compound.name, compound.is_model = grid, name[:100], is_model
    compound.entrances, compound.households = entrances, households
    compound.save()
    audit.record(COMPOUND_SAVE, compound, actor=actor, after={"grid": grid.code, "model": is_model})
    return compound


def _prefixes(actor) -> list:
    prefixes = scope_prefixes(actor)
    return [None] if prefixes is None else prefixes


def _covers(actor, unit: PoliceUnit) -> bool:
    """The actor is posted at the unit or above it."""
    return any(p is None or is_under(unit.path, p) for p in _prefixes(actor))


def _station_in_scope(actor, station: PoliceUnit | None) -> PoliceUnit:
    if station is None or station.kind != UnitKind.STATION or not _covers(actor, station):
        raise ValidationError({"station": [_("Choose a police station in your area.")]})
    return station


def _cameras_in_scope(actor, cameras, *, under: str) -> list[Camera]:
    """The cameras, each in the actor's scope (and under the path ``under``, when given)."""
    cameras = list(cameras)
    if not cameras:
        raise ValidationError({"cameras": [_("Choose at least one camera.")]})
    known = Camera.objects.visible_to(actor).in_bulk([c.pk for c in cameras])
    for camera in cameras:
        if camera.pk not in known:
            raise ValidationError(
                {"cameras": [_("No camera %(code)s in your area.") % {"code": camera.device_code}]}
            )
        if under and not is_under(known[camera.pk].scope_path, under):
            raise ValidationError(
                {
                    "cameras": [
                        _("Camera %(code)s is not in the station's area.") % {"code": camera.device_code}
                    ]
                }
            )
    return [known[c.pk] for c in cameras]


@transaction.atomic
def save_wall(*, actor, station: PoliceUnit, name: str, cameras, wall: VideoWall | None = None) -> VideoWall:
    if not may_manage_cameras(actor):
        raise PermissionDenied(_("Only officers and their units keep the camera inventory."))
    station = _station_in_scope(actor, station)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("This field is required.")]})
    cameras = _cameras_in_scope(actor, cameras, under=station.path)
    wall = wall or VideoWall()
    wall.station, wall.name = station, name[:100]
    wall.save()
    with unscoped_block("video: replacing a wall's cameras, each checked in scope above"):
        wall.cameras.set(cameras)
    audit.record(WALL_SAVE, wall, actor=actor, after={"cameras": [c.device_code for c in cameras]})
    return wall


@dataclass
class Finding:
    """What a video patrol saw that must be handled: it becomes an event."""

    category: object  # an events Category or its code
    title: str
    description: str = ""
    camera: Camera | None = None  # where it was seen; else the first camera watched


@dataclass
class Watch:
    station: PoliceUnit
    started_at: dt.datetime
    ended_at: dt.datetime
    cameras: list = field(default_factory=list)
    observations: str = ""
    finding: Finding | None = None


@transaction.atomic
def log_video_patrol(watch: Watch, *, actor) -> PatrolLog:
    """Record one watch of the station's video patrol; a finding enters the closed loop as an event
    at the camera's place (its grid's inbox), in the same transaction."""
    if not may_patrol(actor):
        raise PermissionDenied(_("Video patrol is the station desk's work."))
    errors: dict[str, list] = {}
    _station_in_scope(actor, watch.station)
    if watch.ended_at <= watch.started_at:
        errors["ended_at"] = [_("The watch ends after it starts.")]
    elif watch.ended_at > timezone.now() + dt.timedelta(minutes=5):
        errors["ended_at"] = [_("A watch is logged once it has happened.")]
    observations = (watch.observations or "").strip()
    if not observations:
        errors["observations"] = [_("Say what was seen, even if nothing happened.")]
    if errors:
        raise ValidationError(errors)
    cameras = _cameras_in_scope(actor, watch.cameras, under=watch.station.path)
    event = None
    if watch.finding is not None:
        at = watch.finding.camera or cameras[0]
        if at.pk not in {c.pk for c in cameras}:
            raise ValidationError({"cameras": [_("The finding's camera must be one of those watched.")]})
        lon, lat = (at.lon, at.lat) if at.lon is not None else (at.grid.centroid_lon, at.grid.centroid_lat)
        report = events.build_report(
            category=watch.finding.category,
            public_only=False,
            actor=actor,
            title=watch.finding.title,
            description=watch.finding.description or observations,
            lon=lon,
            lat=lat,
            address_text=at.place or at.name,
            via="video_patrol",
        )
        event = events.report_event(report, actor=actor, channel=Channel.STAFF)
    log = PatrolLog.objects.create(
        station=watch.station,
        watcher=actor,
        started_at=watch.started_at,
        ended_at=watch.ended_at,
        observations=observations[:2000],
        finding=event,
    )
    log.cameras.add(*cameras)
    audit.record(
        PATROL_LOG,
        log,
        actor=actor,
        after={"cameras": len(cameras), "finding": event.number if event else ""},
    )
    return log


def may_record_solved(user) -> bool:
    """Who records a case as solved, by video as by any way: events' rule (station and above)."""
    return events.may_solve(user)


@transaction.atomic
def record_solved_by_video(
    event: Event,
    *,
    actor,
    cameras,
    solved_on: dt.date | None = None,
    fugitive_caught: bool = False,
    note: str = "",
) -> SolvedByVideo:
    """A criminal case was solved with video (视频破案), through these cameras: the case is marked
    solved by video through events' own ``solve_event`` (its rule, its audit entry), and the
    cameras that solved it are kept here, for the indicator and the cameras' record."""
    if not event.is_visible_to(actor):
        raise OutOfScope("event")
    if not may_record_solved(actor):
        raise PermissionDenied(_("Only a station or a bureau records a case as solved."))
    if SolvedByVideo.objects.unscoped(reason=UNSCOPED_SOLVED).filter(event=event).exists():
        raise ValidationError({"event": [_("This case is already recorded as solved by video.")]})
    cameras = _cameras_in_scope(actor, cameras, under="")
    today = timezone.localdate()
    solved_on = solved_on or today
    if solved_on < timezone.localtime(event.opened_at).date() or solved_on > today:
        raise ValidationError({"solved_on": [_("A case is solved between its report and today.")]})
    noon = timezone.make_aware(dt.datetime.combine(solved_on, dt.time(12)))
    at = timezone.now() if solved_on == today else max(event.opened_at, noon)
    events.solve_event(event, actor=actor, method=SolveMethod.VIDEO, at=at)
    solved = SolvedByVideo.objects.create(
        event=event,
        solved_on=solved_on,
        fugitive_caught=fugitive_caught,
        note=(note or "").strip()[:2000],
        recorded_by=actor,
    )
    solved.cameras.add(*cameras)
    audit.record(
        SOLVED_BY_VIDEO,
        solved,
        actor=actor,
        after={"cameras": [c.device_code for c in cameras], "fugitive": fugitive_caught},
    )
    return solved
