"""Reads of the camera inventory and the video patrol, always through the user's scope."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q

from fengqiao.core import audit
from fengqiao.core.params import ParamFilter
from fengqiao.core.scoping import get_visible_or_404
from fengqiao.registry.selectors import shown_phone
from fengqiao.video.choices import CameraKind, CameraStatus
from fengqiao.video.models import Camera, Compound, PatrolLog, SolvedByVideo, VideoWall

UNSCOPED_LINKED = "video: the cameras of a wall, log or solved case the user sees (all in its area)"
OWNER_READ = audit.register("camera_owner_read", "read a private camera's owner and contact")


def cameras_for(user, *, kind: str = "", status: str = "", q: str = ""):
    cameras = Camera.objects.visible_to(user).select_related("grid", "compound")
    if kind in CameraKind.values:
        cameras = cameras.filter(kind=kind)
    if status in CameraStatus.values:
        cameras = cameras.filter(status=status)
    if q:
        cameras = cameras.filter(Q(device_code__startswith=q) | Q(name__contains=q) | Q(place__contains=q))
    return cameras


def camera_for(user, pk) -> Camera:
    return get_visible_or_404(Camera.objects.select_related("grid", "compound", "confirmed_by"), user, pk=pk)


def owner_contact(user, camera: Camera) -> dict:
    """A private camera's owner as the user may see them (the phone masked as the registry masks
    it); showing the owner is a read of personal data, on the record."""
    if not camera.owner_name and not camera.owner_phone:
        return {}
    audit.record(OWNER_READ, camera, actor=user, reason="camera inventory")
    return {"name": camera.owner_name, "phone": shown_phone(user, camera.owner_phone)}


@dataclass
class CompoundCoverage:
    compound: Compound
    cameras: int
    entrances_covered: int

    @property
    def share(self) -> float:
        return min(1.0, self.entrances_covered / self.compound.entrances) if self.compound.entrances else 0.0


def compounds_for(user, *, model_only: bool = False) -> list[CompoundCoverage]:
    """Compounds with their cameras in service and the share of entrances those cover."""
    active = Q(cameras__status=CameraStatus.ACTIVE)
    compounds = (
        Compound.objects.visible_to(user)
        .select_related("grid")
        .annotate(
            n_cameras=Count("cameras", filter=active),
            n_entrances=Count("cameras", filter=active & Q(cameras__at_entrance=True)),
        )
    )
    if model_only:
        compounds = compounds.filter(is_model=True)
    return [CompoundCoverage(c, c.n_cameras, c.n_entrances) for c in compounds]


def _linked_cameras() -> Prefetch:
    cameras = Camera.objects.unscoped(reason=UNSCOPED_LINKED).order_by("device_code")
    return Prefetch("cameras", queryset=cameras)


def walls_for(user):
    return VideoWall.objects.visible_to(user).select_related("station").prefetch_related(_linked_cameras())


def wall_for(user, pk) -> VideoWall:
    return get_visible_or_404(
        VideoWall.objects.select_related("station").prefetch_related(_linked_cameras()), user, pk=pk
    )


def patrols_for(user):
    return (
        PatrolLog.objects.visible_to(user)
        .select_related("station", "watcher", "finding")
        .prefetch_related(_linked_cameras())
    )


def patrol_for(user, pk) -> PatrolLog:
    return get_visible_or_404(
        PatrolLog.objects.select_related("station", "watcher", "finding").prefetch_related(_linked_cameras()),
        user,
        pk=pk,
    )


def solved_for(user):
    return SolvedByVideo.objects.visible_to(user).select_related("event").prefetch_related(_linked_cameras())


# --- the lists the command room's figures link to (``video.figures``) -------------------------------


@dataclass
class CameraFilter(ParamFilter):
    """``?unit=<tree path>&status=active&kind=…&q=…``: the camera inventory's list."""

    unit: str = ""
    kind: str = ""
    status: str = ""
    q: str = ""

    def apply(self, qs):
        if self.unit:
            qs = self._under(qs, self.unit)
        if self.kind:
            qs = qs.filter(kind=self._choice("kind", CameraKind.values))
        if self.status:
            qs = qs.filter(status=self._choice("status", CameraStatus.values))
        if self.q:
            qs = qs.filter(
                Q(device_code__startswith=self.q) | Q(name__contains=self.q) | Q(place__contains=self.q)
            )
        return qs


@dataclass
class SolvedFilter(ParamFilter):
    """``?unit=<tree path>&start=…&end=…&fugitive=1``: cases solved by video on those days."""

    unit: str = ""
    start: str = ""
    end: str = ""
    fugitive: str = ""  # "1": a fugitive was caught

    def apply(self, qs):
        if self.unit:
            qs = self._under(qs, self.unit)
        first, last = self._date("start"), self._date("end")
        if first is not None:
            qs = qs.filter(solved_on__gte=first)
        if last is not None:
            qs = qs.filter(solved_on__lte=last)
        if self.fugitive:
            qs = qs.filter(fugitive_caught=self._choice("fugitive", ("1",)) == "1")
        return qs
