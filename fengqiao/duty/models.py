"""Shift templates, the rules of a unit's rosters (as data), leave, and a month's roster.

Templates, rules, leave and rosters live in their unit (a station or a police district); a
roster's assignments are read through their roster."""

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.core.scoping import ScopedModel
from fengqiao.duty.choices import RosterStatus, RuleKind, ShiftKind
from fengqiao.geo.models import PoliceUnit

WEEKDAYS = [0, 1, 2, 3, 4, 5, 6]  # Monday first, as Python counts them


class ShiftTemplate(ScopedModel):
    """A shift a unit works: when it starts and how long it lasts (past midnight allowed)."""

    unit = models.ForeignKey(
        PoliceUnit, on_delete=models.PROTECT, related_name="shift_templates", verbose_name=_("unit")
    )
    code = models.CharField(_("short name"), max_length=8)
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=ShiftKind.choices, default=ShiftKind.REGULAR)
    start = models.TimeField(_("starts"))
    hours = models.PositiveSmallIntegerField(
        _("hours"), validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("shift template")
        verbose_name_plural = _("shift templates")
        ordering = ["unit", "start", "code"]
        constraints = [models.UniqueConstraint(fields=["unit", "code"], name="duty_shift_code_unique")]

    def __str__(self):
        return f"{self.code} {self.start:%H:%M}+{self.hours}h"

    def save(self, *args, **kwargs):
        self.scope_path = self.unit.path
        super().save(*args, **kwargs)

    @property
    def start_hour(self) -> int:
        return self.start.hour

    @property
    def is_night(self) -> bool:
        """Works any hour between 00:00 and 06:00."""
        return any((self.start.hour + i) % 24 < 6 for i in range(self.hours))


class DutyRule(ScopedModel):
    """One rule of a unit's rosters, as data: what it asks (``kind``), where (``area``), on which
    weekdays and hours, how many people or how many hours/days (``value``)."""

    unit = models.ForeignKey(
        PoliceUnit, on_delete=models.PROTECT, related_name="duty_rules", verbose_name=_("unit")
    )
    kind = models.CharField(_("rule"), max_length=16, choices=RuleKind.choices)
    area = models.ForeignKey(
        PoliceUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("area"),
        help_text=_("Where people must be on duty (coverage, reception hours)."),
    )
    weekdays = models.JSONField(
        _("weekdays"), default=list, blank=True, help_text=_("0 = Monday … 6 = Sunday; empty: every day.")
    )
    start_hour = models.PositiveSmallIntegerField(
        _("from hour"), default=0, validators=[MaxValueValidator(23)]
    )
    end_hour = models.PositiveSmallIntegerField(
        _("until hour"), default=24, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    value = models.PositiveSmallIntegerField(
        _("value"),
        help_text=_("People (coverage, reception), hours (rest, hours per week) or days (district days)."),
    )
    active = models.BooleanField(_("in force"), default=True)

    class Meta:
        verbose_name = _("duty rule")
        verbose_name_plural = _("duty rules")
        ordering = ["unit", "kind", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.value}"

    def save(self, *args, **kwargs):
        self.scope_path = self.unit.path
        super().save(*args, **kwargs)

    def applies_on(self, day: dt.date) -> bool:
        return not self.weekdays or day.weekday() in self.weekdays


class Leave(ScopedModel):
    """A staff member's leave: no shift on these days."""

    unit = models.ForeignKey(PoliceUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leaves", verbose_name=_("staff")
    )
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("leave")
        verbose_name_plural = _("leave")
        ordering = ["first_day"]

    def __str__(self):
        return f"{self.user} {self.first_day}–{self.last_day}"

    def save(self, *args, **kwargs):
        self.scope_path = self.unit.path
        super().save(*args, **kwargs)


class Roster(ScopedModel):
    """A unit's roster for one month."""

    unit = models.ForeignKey(
        PoliceUnit, on_delete=models.PROTECT, related_name="rosters", verbose_name=_("unit")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    status = models.CharField(
        _("status"), max_length=16, choices=RosterStatus.choices, default=RosterStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("roster")
        verbose_name_plural = _("rosters")
        ordering = ["-month", "unit"]
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="duty_roster_unit_month")]

    def __str__(self):
        return f"{self.unit} {self.month:%Y-%m}"

    def save(self, *args, **kwargs):
        self.scope_path = self.unit.path
        super().save(*args, **kwargs)


class Assignment(models.Model):
    """One person on one shift on one day, in one area (their district or the station)."""

    roster = models.ForeignKey(
        Roster, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("roster")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("staff")
    )
    day = models.DateField(_("date"))
    shift = models.ForeignKey(
        ShiftTemplate, on_delete=models.PROTECT, related_name="+", verbose_name=_("shift")
    )
    area = models.ForeignKey(PoliceUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["day", "shift__start", "user"]
        constraints = [models.UniqueConstraint(fields=["roster", "user", "day"], name="duty_one_shift_a_day")]

    def __str__(self):
        return f"{self.user} {self.day} {self.shift.code}"
