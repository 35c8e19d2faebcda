"""Cameras (天网 and the private ones of 地网), model compounds, video walls, the video-patrol log
and the cases solved by video. Cameras and compounds live in their grid; walls and the log in
their station."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.core import crypto
from fengqiao.core.scoping import ScopedModel
from fengqiao.events.models import Event
from fengqiao.geo.models import Grid, PoliceUnit
from fengqiao.video.choices import PRIVATE_KINDS, CameraKind, CameraStatus


class Compound(ScopedModel):
    """A residential compound (小区); a model compound (地网示范小区) covers its entrances with cameras."""

    name = models.CharField(_("name"), max_length=100)
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="compounds", verbose_name=_("grid"))
    is_model = models.BooleanField(_("model compound"), default=False)
    entrances = models.PositiveSmallIntegerField(_("entrances"), default=1)
    households = models.PositiveIntegerField(_("households"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.scope_path = self.grid.scope_path
        super().save(*args, **kwargs)


class Camera(ScopedModel):
    """One camera of the inventory, by its GB/T 28181 device code."""

    device_code = models.CharField(_("device code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=CameraKind.choices, db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=CameraStatus.choices, default=CameraStatus.PENDING, db_index=True
    )
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="cameras", verbose_name=_("grid"))
    compound = models.ForeignKey(
        Compound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cameras",
        verbose_name=_("compound"),
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    direction = models.PositiveSmallIntegerField(
        _("direction (degrees from north)"), null=True, blank=True, validators=[MaxValueValidator(359)]
    )
    at_entrance = models.BooleanField(_("covers an entrance"), default=False)
    owner_name = models.CharField(_("camera owner"), max_length=64, blank=True)
    # Encrypted at rest (docs/adr/0010); no page looks a camera up by it, so no keyed hash.
    owner_phone = crypto.EncryptedCharField(_("owner's phone"), max_length=20, blank=True)
    stream_url = models.CharField(_("stream address"), max_length=300, blank=True)
    registered_publicly = models.BooleanField(_("registered by its owner"), default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        ordering = ["device_code"]

    def __str__(self):
        return f"{self.name} ({self.device_code})"

    def save(self, *args, **kwargs):
        self.scope_path = self.grid.scope_path
        super().save(*args, **kwargs)

    @property
    def is_private(self) -> bool:
        return self.kind in PRIVATE_KINDS


class VideoWall(ScopedModel):
    """The cameras a station's video-patrol desk shows together."""

    station = models.ForeignKey(
        PoliceUnit, on_delete=models.PROTECT, related_name="video_walls", verbose_name=_("police station")
    )
    name = models.CharField(_("name"), max_length=100)
    cameras = models.ManyToManyField(Camera, related_name="walls", blank=True, verbose_name=_("cameras"))

    class Meta:
        verbose_name = _("video wall")
        verbose_name_plural = _("video walls")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.scope_path = self.station.path
        super().save(*args, **kwargs)


class PatrolLog(ScopedModel):
    """One watch of a station's video patrol: who watched which cameras when, what they saw."""

    station = models.ForeignKey(
        PoliceUnit, on_delete=models.PROTECT, related_name="video_patrols", verbose_name=_("police station")
    )
    watcher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("watched by")
    )
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"))
    cameras = models.ManyToManyField(Camera, related_name="patrols", verbose_name=_("cameras"))
    observations = models.TextField(_("what was seen"), max_length=2000)
    finding = models.ForeignKey(
        Event, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("finding")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("video patrol")
        verbose_name_plural = _("video patrols")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.station} {self.started_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        self.scope_path = self.station.path
        super().save(*args, **kwargs)


class SolvedByVideo(ScopedModel):
    """A case solved with video (视频破案), with the cameras that solved it."""

    event = models.OneToOneField(
        Event, on_delete=models.PROTECT, related_name="video_solution", verbose_name=_("case")
    )
    cameras = models.ManyToManyField(Camera, related_name="solved", verbose_name=_("cameras"))
    solved_on = models.DateField(_("solved on"), db_index=True)
    fugitive_caught = models.BooleanField(_("fugitive caught"), default=False)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case solved by video")
        verbose_name_plural = _("video-solved cases")
        ordering = ["-solved_on"]

    def __str__(self):
        return self.event.number

    def save(self, *args, **kwargs):
        self.scope_path = self.event.scope_path
        super().save(*args, **kwargs)
