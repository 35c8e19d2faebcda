"""Mass prevention (群防群治): volunteer teams and their members, patrol plans with checkpoints
(巡更点) and time windows, and patrols: the track a phone recorded (or a GPX file brought), the
checkpoints scanned, photos, findings reported as events, and the grids the track passed through.

A team and a plan live (``scope_path``) where they serve: a grid, or a police district. A patrol
lives where its team or plan serves, else in the patroller's own posting. Members, checkpoints,
points, scans, photos and findings are reached only through their team, plan or patrol, which are
read through the scope. Rows the phone sends carry the phone's own ids, so sending them again
changes nothing.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.core import crypto
from fengqiao.core.scoping import ScopedModel
from fengqiao.events.models import Event
from fengqiao.geo.models import Division, Grid, Served
from fengqiao.patrols.choices import FindingKind, TeamKind, TrackSource, VisitTarget
from fengqiao.registry.models import House, Organisation

# Checkpoint codes: no 0/O or 1/I, so a code typed from a worn label is still right.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def new_checkpoint_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class Team(Served):
    """A volunteer team (群防群治队伍): 红袖标, a 热心小组, 义警, 保安联防 …"""

    name = models.CharField(pgettext_lazy("team", "name"), max_length=100)
    kind = models.CharField(_("kind of team"), max_length=20, choices=TeamKind.choices, db_index=True)
    community = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("village / community"),
    )
    leader = models.ForeignKey(
        "patrols.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("leader"),
    )
    party_branch = models.CharField(
        _("party branch"),
        max_length=100,
        blank=True,
        help_text=_("The party branch the team is tied to, if any, e.g. 金积村党支部."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("volunteer team")
        verbose_name_plural = _("volunteer teams")
        ordering = ["scope_path", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=False) & Q(grid__isnull=True))
                | (Q(unit__isnull=True) & Q(grid__isnull=False)),
                name="team_unit_xor_grid",
            ),
        ]

    def __str__(self):
        return self.name


class Member(models.Model):
    """A team member: a person of the registry where they are there, else entered with a checked
    ID number; their own log-in (a volunteer account) when they have one."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members", verbose_name=_("team"))
    person = models.ForeignKey(
        "registry.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person in the registry"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="team_memberships",
        verbose_name=_("account"),
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    # Encrypted at rest as the registry's are, found by their keyed hash (docs/adr/0010).
    id_number = crypto.EncryptedCharField(
        _("ID number"), max_length=18, blank=True, indexed_by="id_number_hash"
    )
    id_number_hash = crypto.BlindIndexField(source="id_number", label="id_number", blank=True)
    phone = crypto.EncryptedCharField(_("phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    joined_on = models.DateField(_("joined on"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team", "-is_active", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "id_number_hash"],
                condition=~Q(id_number_hash=""),
                name="member_once_per_team",
            ),
            models.UniqueConstraint(
                fields=["team", "user"], condition=Q(user__isnull=False), name="member_account_once_per_team"
            ),
        ]

    def __str__(self):
        return self.name


class Plan(Served):
    """A patrol plan: checkpoints to scan within daily time windows, by a team or named officers."""

    name = models.CharField(pgettext_lazy("plan", "name"), max_length=100)
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="plans", verbose_name=_("team")
    )
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="patrol_plans", verbose_name=_("officers")
    )
    windows = models.JSONField(
        _("time windows"),
        default=list,
        help_text=_("Daily windows as [start, end] pairs of HH:MM, e.g. 08:00–10:00 and 20:00–22:00."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("patrol plan")
        verbose_name_plural = _("patrol plans")
        ordering = ["scope_path", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=False) & Q(grid__isnull=True))
                | (Q(unit__isnull=True) & Q(grid__isnull=False)),
                name="plan_unit_xor_grid",
            ),
        ]

    def __str__(self):
        return self.name


class Checkpoint(models.Model):
    """A 巡更点: a place on a plan with a printed QR code that the patrol scans."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="checkpoints", verbose_name=_("plan")
    )
    code = models.CharField(_("code"), max_length=16, unique=True, default=new_checkpoint_code)
    name = models.CharField(pgettext_lazy("checkpoint", "name"), max_length=100)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["plan", "position", "id"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Patrol(ScopedModel):
    """One patrol, from start to end. Its id is the phone's, so a start sent twice is one patrol."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patroller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="patrols",
        verbose_name=_("patroller"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="patrols", verbose_name=_("team")
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="patrols", verbose_name=_("plan")
    )
    source = models.CharField(
        _("source"), max_length=8, choices=TrackSource.choices, default=TrackSource.PHONE
    )
    started_at = models.DateTimeField(_("started at"), db_index=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    last_point_at = models.DateTimeField(_("last position at"), null=True, blank=True)
    track = models.JSONField(
        _("track (GeoJSON, WGS-84)"),
        null=True,
        blank=True,
        help_text=_("A LineString feature; its properties hold the time of each point."),
    )
    point_count = models.PositiveIntegerField(_("points"), default=0)
    distance_m = models.FloatField(_("distance (m)"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["patroller", "-started_at"], name="patrol_patroller_idx")]

    def __str__(self):
        return f"{self.patroller} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def finished_at(self):
        return self.ended_at or self.last_point_at or self.started_at

    @property
    def km(self) -> float:
        return round(self.distance_m / 1000, 2)

    @property
    def hours(self) -> float:
        return max((self.finished_at - self.started_at).total_seconds(), 0) / 3600


class TrackPoint(models.Model):
    """One position the phone recorded; ``seq`` is the phone's own number for it."""

    patrol = models.ForeignKey(
        Patrol, on_delete=models.CASCADE, related_name="points", verbose_name=_("patrol")
    )
    seq = models.PositiveIntegerField(_("number"))
    at = models.DateTimeField(_("time"))
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    accuracy = models.FloatField(_("accuracy (m)"), null=True, blank=True)

    class Meta:
        verbose_name = _("track point")
        verbose_name_plural = _("track points")
        constraints = [models.UniqueConstraint(fields=["patrol", "seq"], name="track_point_once")]

    def __str__(self):
        return f"{self.patrol_id} #{self.seq}"


class Scan(models.Model):
    """A checkpoint scanned on a patrol (its QR code, or its code typed)."""

    id = models.UUIDField(primary_key=True, editable=False)
    patrol = models.ForeignKey(
        Patrol, on_delete=models.CASCADE, related_name="scans", verbose_name=_("patrol")
    )
    checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.PROTECT, related_name="scans", verbose_name=_("checkpoint")
    )
    at = models.DateTimeField(_("scanned at"))
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    in_window = models.BooleanField(_("within a time window"), default=False)

    class Meta:
        verbose_name = _("checkpoint scan")
        verbose_name_plural = _("checkpoint scans")
        ordering = ["patrol", "at"]
        indexes = [models.Index(fields=["checkpoint", "at"], name="scan_checkpoint_time_idx")]

    def __str__(self):
        return f"{self.checkpoint} {self.at:%Y-%m-%d %H:%M}"


def _photo_path(instance, filename):
    # The stored name is ours, never the uploader's.
    return f"patrols/{instance.patrol.started_at:%Y/%m}/{secrets.token_hex(12)}{instance.extension}"


class Photo(models.Model):
    """A photo taken on a patrol, as kept after checking: encoded again, without its metadata."""

    id = models.UUIDField(primary_key=True, editable=False)
    patrol = models.ForeignKey(
        Patrol, on_delete=models.CASCADE, related_name="photos", verbose_name=_("patrol")
    )
    file = models.FileField(_("file"), upload_to=_photo_path)
    content_type = models.CharField(_("type"), max_length=64)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField(_("size"))
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("patrol photo")
        verbose_name_plural = _("patrol photos")
        ordering = ["patrol", "created_at"]

    def __str__(self):
        return str(self.id)


class Finding(models.Model):
    """A hazard or something suspicious reported on a patrol: an event of the closed loop."""

    id = models.UUIDField(primary_key=True, editable=False)
    patrol = models.ForeignKey(
        Patrol, on_delete=models.CASCADE, related_name="findings", verbose_name=_("patrol")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=FindingKind.choices)
    event = models.ForeignKey(
        "events.Event", on_delete=models.PROTECT, related_name="+", verbose_name=_("event")
    )
    at = models.DateTimeField(_("reported at"))

    class Meta:
        verbose_name = _("patrol finding")
        verbose_name_plural = _("patrol findings")
        ordering = ["patrol", "at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.event_id}"


class Passage(models.Model):
    """A grid a patrol's track passed through, and when (the coverage)."""

    patrol = models.ForeignKey(
        Patrol, on_delete=models.CASCADE, related_name="passages", verbose_name=_("patrol")
    )
    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="+", verbose_name=_("grid"))
    first_at = models.DateTimeField(_("entered at"))
    last_at = models.DateTimeField(_("left at"), db_index=True)

    class Meta:
        verbose_name = _("grid passed")
        verbose_name_plural = _("grids passed")
        constraints = [models.UniqueConstraint(fields=["patrol", "grid"], name="passage_once")]
        indexes = [models.Index(fields=["grid", "last_at"], name="passage_grid_time_idx")]

    def __str__(self):
        return f"{self.patrol_id} {self.grid_id}"


class Visit(ScopedModel):
    """One household or business visit (百万警进千万家): who went where, whom they met, what they
    found (an event, entered through events' intake) and whether they left a contact card. Lives
    in the grid of the house or business visited."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("visiting officer"),
    )
    target = models.CharField(_("visited"), max_length=16, choices=VisitTarget.choices)
    house = models.ForeignKey(
        House, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("house")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("business"),
    )
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+", verbose_name=_("grid"))
    visited_at = models.DateTimeField(_("visited at"), db_index=True)
    met = models.CharField(_("who was met"), max_length=200)
    notes = models.TextField(_("findings of the visit"), max_length=2000, blank=True)
    card_given = models.BooleanField(_("contact card given"), default=False)
    finding = models.ForeignKey(
        Event, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("finding")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("household visit")
        verbose_name_plural = _("household visits")
        ordering = ["-visited_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(target="household", house__isnull=False, organisation__isnull=True))
                | (Q(target="business", organisation__isnull=False, house__isnull=True)),
                name="visit_one_place_of_its_kind",
            )
        ]
        indexes = [models.Index(fields=["officer", "visited_at"], name="visit_officer_time_idx")]

    def __str__(self):
        return f"{self.get_target_display()} {self.visited_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        self.scope_path = self.grid.scope_path
        super().save(*args, **kwargs)


class Arrival(ScopedModel):
    """The community officer at the scene of a criminal case (发案必到现场): when they arrived and
    where the phone placed them. Lives with its case."""

    event = models.OneToOneField(
        Event, on_delete=models.PROTECT, related_name="arrival", verbose_name=_("case")
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("officer")
    )
    arrived_at = models.DateTimeField(_("arrived at"))
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("arrival at the scene")
        verbose_name_plural = _("arrivals at the scene")
        ordering = ["-arrived_at"]

    def __str__(self):
        return f"{self.event_id} {self.arrived_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        self.scope_path = self.event.scope_path
        super().save(*args, **kwargs)
