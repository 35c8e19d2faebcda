"""Events of the closed loop: what residents and officers report, handled case by case."""

import secrets

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fengqiao.core import crypto
from fengqiao.core.casework import Case
from fengqiao.events.choices import (
    Channel,
    CrimeClass,
    EventKind,
    FraudType,
    Offence,
    Responsible,
    SolveMethod,
    Status,
    public_status_label,
)
from fengqiao.events.rules import DESCRIPTION_MAX, REPLY_MAX, TITLE_MAX, TOO_LONG
from fengqiao.geo.models import Grid

# Steps whose time limit a category sets, with the limit when it sets none (hours).
DEFAULT_LIMITS = {
    Status.REPORTED: 2,
    Status.FILED: 2,
    Status.DISPATCHED: 4,
    Status.HANDLING: 40,
    Status.REPORTED_BACK: 16,
}

TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out on the phone


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(10))


class Category(models.Model):
    """A node of the category tree (loaded from ``events/data/categories.json``, edited in the
    admin), with the time limit of each step and who is responsible."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    description = models.TextField(_("description"), blank=True)
    public = models.BooleanField(
        _("open to the public"), default=False, help_text=_("Residents may report it; an Open311 service.")
    )
    shown_publicly = models.BooleanField(
        _("reports shown publicly"),
        default=False,
        help_text=_(
            "Its reports appear in the public Open311 list, the place rounded to about 100 m and the "
            "address reduced to its community. Only for problems of public spaces (roads, lamps, "
            "sanitation, hazards); never for tips, police matters or anything about a person."
        ),
    )
    responsible = models.CharField(
        _("responsible"), max_length=16, choices=Responsible.choices, default=Responsible.GRID
    )
    clock_hours = models.BooleanField(
        _("clock hours"),
        default=False,
        help_text=_("Limits run in clock hours (emergencies), not working hours."),
    )
    limits = models.JSONField(
        _("time limits (hours per step)"),
        default=dict,
        blank=True,
        help_text=_(
            'Hours allowed per step, e.g. {"reported": 2, "handling": 40}; missing steps take the default.'
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    # What its events are, for the figures (events.rules.classify): a criminal or administrative
    # case, and the class of a criminal one.
    offence = models.CharField(_("offence"), max_length=16, choices=Offence.choices, blank=True)
    crime_class = models.CharField(_("crime class"), max_length=24, choices=CrimeClass.choices, blank=True)

    class Meta:
        verbose_name = _("event category")
        verbose_name_plural = _("event categories")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    def limit_hours(self, status: str) -> float | None:
        if status not in DEFAULT_LIMITS:
            return None
        return float(self.limits.get(status, DEFAULT_LIMITS[status]))


class Event(Case):
    """One event on its way round the loop. Lives (``scope_path``) in the grid where it happened;
    held (``holder_path``) by whoever must act next."""

    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices, db_index=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="events", verbose_name=_("category")
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = models.TextField(
        _("description"),
        blank=True,
        max_length=DESCRIPTION_MAX,
        validators=[MaxLengthValidator(DESCRIPTION_MAX, message=TOO_LONG["description"])],
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="events", verbose_name=_("grid"))
    address = models.ForeignKey(
        "registry.Address",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("address"),
    )
    address_text = models.CharField(_("place"), max_length=400, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reported_events",
        verbose_name=_("reporter account"),
    )
    reporter_name = models.CharField(_("reporter"), max_length=64, blank=True)
    # Encrypted at rest (docs/adr/0010); no page looks an event up by it, so no keyed hash.
    reporter_phone = crypto.EncryptedCharField(_("reporter phone"), max_length=20, blank=True)
    tracking_code = models.CharField(
        _("tracking code"), max_length=16, unique=True, default=new_tracking_code
    )
    external_id = models.CharField(_("external number"), max_length=64, blank=True, db_index=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    rework_count = models.PositiveSmallIntegerField(_("reworks"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    extension_hours = models.PositiveIntegerField(_("extension requested (hours)"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    # What the staff tell the reporter (the tracking page, "my reports", the SMS at closing); the
    # notes of the steps stay inside.
    reply = models.TextField(
        _("reply to the reporter"),
        blank=True,
        max_length=REPLY_MAX,
        validators=[MaxLengthValidator(REPLY_MAX, message=TOO_LONG["reply"])],
    )

    # The classification the figures count (issue 16): set from the category at intake, refined
    # by the 110 import's words (events.rules.classify); solved once the case is (events.actions.solve_event).
    offence = models.CharField(_("offence"), max_length=16, choices=Offence.choices, blank=True)
    crime_class = models.CharField(_("crime class"), max_length=24, choices=CrimeClass.choices, blank=True)
    fraud_type = models.CharField(_("kind of fraud"), max_length=24, choices=FraudType.choices, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    solved_by = models.CharField(_("solved by"), max_length=16, choices=SolveMethod.choices, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-opened_at"]
        constraints = [
            # An external system's number (the 110 incident number) is taken in once.
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="event_external_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="event_open_due_idx"),
            models.Index(fields=["category", "opened_at"], name="event_category_time_idx"),
            # A list's page 1 in its scope, newest first: without it SQLite sorts every event the
            # city holds to show twenty.
            models.Index(fields=["scope_path", "opened_at"], name="event_scope_time_idx"),
            # The criminal cases of a period (the share of communities without one).
            models.Index(fields=["offence", "opened_at"], name="event_offence_time_idx"),
        ]

    def get_absolute_url(self):
        return reverse("event_detail", args=[self.number])

    @property
    def public_status_label(self) -> str:
        """The status in the reporter's words."""
        return public_status_label(self.status)

    @property
    def public_reply(self) -> str:
        """The reply the reporter is shown: once the event is done with (closed or not taken up);
        a draft written at report-back may still change at the check."""
        return "" if self.is_open else self.reply


def _upload_to(instance, filename):
    # The stored name is ours, never the uploader's: no path tricks, no collisions.
    return f"events/{instance.event.opened_at:%Y/%m}/{secrets.token_hex(12)}{instance.extension}"


class Attachment(models.Model):
    """A photo or document sent with a report, checked for type and size before it is kept."""

    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("event")
    )
    file = models.FileField(_("file"), upload_to=_upload_to)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=64)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField(_("size"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name
