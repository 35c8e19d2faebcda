"""Cameras and video patrol through the API: the inventory, confirming an owner's registration,
the video-patrol log (a finding becomes an event through events' intake) and cases solved by video
with the indicator per jurisdiction. Every change goes through ``video.actions``; a camera or log
outside the caller's scope is 404, exactly like a missing one."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status

from fengqiao.api.pagination import LimitOffset, paginate
from fengqiao.api.schemas import ERRORS, RowId
from fengqiao.api.video.schemas import (
    CameraIn,
    CameraOut,
    ConfirmIn,
    SolvedIn,
    SolvedRowOut,
    VideoPatrolIn,
    VideoPatrolOut,
)
from fengqiao.events import selectors as event_selectors
from fengqiao.geo.models import Grid, PoliceUnit
from fengqiao.video import actions, indicators, selectors
from fengqiao.video.actions import CameraData, Finding, Watch
from fengqiao.video.models import Camera, Compound

router = Router(tags=["video"])


def _require_staff(user) -> None:
    if not actions.may_use_video(user):
        raise PermissionDenied(_("Cameras are for staff."))


def _camera(camera: Camera) -> dict:
    return {
        "id": camera.pk,
        "device_code": camera.device_code,
        "name": camera.name,
        "kind": camera.kind,
        "status": camera.status,
        "grid": camera.grid.code,
        "compound": camera.compound.name if camera.compound_id else "",
        "place": camera.place,
        "lon": camera.lon,
        "lat": camera.lat,
        "direction": camera.direction,
        "stream_url": camera.stream_url,
    }


def _patrol(log) -> dict:
    return {
        "id": log.pk,
        "station": log.station.path,
        "watcher": str(log.watcher),
        "started_at": log.started_at,
        "ended_at": log.ended_at,
        "cameras": [c.device_code for c in log.cameras.all()],
        "observations": log.observations,
        "finding": log.finding.number if log.finding_id else "",
    }


def _cameras(user, ids: list[int]) -> list[Camera]:
    found = Camera.objects.visible_to(user).in_bulk(ids)
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError(
            {"cameras": [_("No camera %(code)s in your area.") % {"code": ", ".join(missing)}]}
        )
    return [found[i] for i in ids]


@router.get("/cameras", response={200: list[CameraOut], **ERRORS}, summary="The camera inventory")
@paginate(LimitOffset)
def list_cameras(request, kind: str = "", status: str = "", q: str = ""):
    _require_staff(request.auth)
    return [_camera(c) for c in selectors.cameras_for(request.auth, kind=kind, status=status, q=q)]


@router.post("/cameras", response={201: CameraOut, **ERRORS}, summary="Add a camera")
def add_camera(request, body: CameraIn):
    user = request.auth
    grid = Grid.objects.visible_to(user).filter(code=body.grid, is_active=True).first()
    if grid is None:
        raise ValidationError({"grid": [_("Choose a grid in your area.")]})
    compound = Compound.objects.visible_to(user).filter(pk=body.compound).first() if body.compound else None
    if body.compound and compound is None:
        raise ValidationError({"compound": [_("No such compound in your area.")]})
    data = CameraData(**body.dict(exclude={"grid", "compound"}), grid=grid, compound=compound)
    camera = actions.add_camera(data, actor=user)
    return Status(201, _camera(selectors.camera_for(user, camera.pk)))


@router.get("/cameras/{camera_id}", response={200: CameraOut, **ERRORS}, summary="One camera")
def camera(request, camera_id: RowId):
    # out of scope (a resident's is empty) is 404 before any role check
    return _camera(selectors.camera_for(request.auth, camera_id))


@router.post(
    "/cameras/{camera_id}/confirm", response={200: CameraOut, **ERRORS}, summary="Confirm an owner's camera"
)
def confirm(request, camera_id: RowId, body: ConfirmIn):
    user = request.auth
    camera = selectors.camera_for(user, camera_id)
    compound = Compound.objects.visible_to(user).filter(pk=body.compound).first() if body.compound else None
    actions.confirm_camera(camera, actor=user, compound=compound, stream_url=body.stream_url)
    return _camera(selectors.camera_for(user, camera_id))


@router.get("/patrols", response={200: list[VideoPatrolOut], **ERRORS}, summary="The video-patrol log")
@paginate(LimitOffset)
def list_patrols(request):
    _require_staff(request.auth)
    return [_patrol(log) for log in selectors.patrols_for(request.auth)]


@router.post("/patrols", response={201: VideoPatrolOut, **ERRORS}, summary="Log a video patrol")
def log_patrol(request, body: VideoPatrolIn):
    user = request.auth
    station = PoliceUnit.objects.filter(path=body.station).first()
    cameras = _cameras(user, body.cameras)
    finding = None
    if body.finding is not None:
        at = _cameras(user, [body.finding.camera])[0] if body.finding.camera else None
        finding = Finding(
            category=body.finding.category,
            title=body.finding.title,
            description=body.finding.description,
            camera=at,
        )
    watch = Watch(
        station=station,
        started_at=body.started_at,
        ended_at=body.ended_at,
        cameras=cameras,
        observations=body.observations,
        finding=finding,
    )
    log = actions.log_video_patrol(watch, actor=user)
    return Status(201, _patrol(selectors.patrol_for(user, log.pk)))


@router.get("/patrols/{log_id}", response={200: VideoPatrolOut, **ERRORS}, summary="One video patrol")
def patrol(request, log_id: RowId):
    # out of scope (a resident's is empty) is 404 before any role check
    return _patrol(selectors.patrol_for(request.auth, log_id))


@router.post("/solved", response={201: dict, **ERRORS}, summary="Record a case solved by video")
def solved(request, body: SolvedIn):
    user = request.auth
    _require_staff(user)
    event = event_selectors.event_for(user, body.event)
    record = actions.record_solved_by_video(
        event,
        actor=user,
        cameras=_cameras(user, body.cameras),
        solved_on=body.solved_on,
        fugitive_caught=body.fugitive_caught,
        note=body.note,
    )
    return Status(201, {"event": event.number, "solved_on": record.solved_on.isoformat()})


@router.get(
    "/solved", response={200: list[SolvedRowOut], **ERRORS}, summary="Cases solved by video per jurisdiction"
)
def solved_figures(request, start: dt.date | None = None, end: dt.date | None = None):
    _require_staff(request.auth)
    today = timezone.localdate()
    rows = indicators.solved_by_video(request.auth, start or today.replace(month=1, day=1), end or today)
    return [row.__dict__ for row in rows]
