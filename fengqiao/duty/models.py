"""Shift templates, the rules of a unit's rosters (as data), leave, and a month's roster.

Templates, rules, leave and rosters live in their unit (a station or a police district); a
roster's assignments are read through their roster."""

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import Q
from django.urls import reverse
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _

from fengqiao.core.casework import Case
from fengqiao.core.scoping import ScopedModel, ScopedQuerySet, scope_prefixes, scope_q
from fengqiao.duty.choices import ProposalStatus, RosterStatus, RuleKind, ShiftKind
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

    @property
    def weekdays_label(self) -> str:
        """``[0, 2]`` → "Mon, Wed" in the reader's language; empty: every day."""
        return ", ".join(str(WEEKDAYS_ABBR[d]) for d in self.weekdays or ())


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
    # The solver runs in the worker: where its latest proposal stands, and what it said
    # (shifts, seconds, the rules in conflict when none meets them).
    proposal_status = models.CharField(
        _("proposal"), max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.NONE, blank=True
    )
    proposal = models.JSONField(_("the solver's answer"), default=dict, blank=True)

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


UNSCOPED_PARTIES = "duty: the two parties of a swap request see it wherever they are posted"


class SwapQuerySet(ScopedQuerySet):
    def visible_to(self, user):
        """Under the user's postings, as every scoped row; and to its two parties, who may be
        posted below the roster's unit (a community officer on the station's roster)."""
        prefixes = scope_prefixes(user)
        if prefixes is None:
            return super().visible_to(user)
        if user is None or not user.is_authenticated:
            return self.none().unscoped(reason=UNSCOPED_PARTIES)
        mine = Q(requester_id=user.pk) | Q(partner_id=user.pk)
        if prefixes:
            mine |= scope_q(prefixes, vendor=connections[self.db].vendor)
        return self.unscoped(reason=UNSCOPED_PARTIES).filter(mine)


class SwapRequest(Case):
    """Staff A asks to swap one of their shifts with colleague B's shift (or to hand it to B): a
    case on the casework kernel. B agrees, the chief approves (the two assignments are exchanged,
    the rules checked again) or refuses. Lives in the roster's unit; what was asked is kept as
    day and shift, so a roster proposed again in between is judged as it then stands."""

    roster = models.ForeignKey(
        Roster, on_delete=models.PROTECT, related_name="swaps", verbose_name=_("roster")
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by")
    )
    day = models.DateField(_("date"))
    shift = models.ForeignKey(
        ShiftTemplate, on_delete=models.PROTECT, related_name="+", verbose_name=_("shift")
    )
    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("colleague")
    )
    # Empty: the shift is handed to the colleague, who gives none back.
    partner_day = models.DateField(_("colleague's date"), null=True, blank=True)
    partner_shift = models.ForeignKey(
        ShiftTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("colleague's shift"),
    )
    title = models.CharField(_("title"), max_length=200)

    objects = SwapQuerySet.as_manager()

    class Meta:
        verbose_name = _("shift swap request")
        verbose_name_plural = _("shift swap requests")
        ordering = ["-opened_at"]

    def get_absolute_url(self) -> str:
        return reverse("swap_detail", args=[self.number])

    @property
    def is_handover(self) -> bool:
        return self.partner_day is None

    def get_category_display(self) -> str:
        """What the inbox's category column shows."""
        return str(_("shift handed over") if self.is_handover else _("shift swap"))

    def is_visible_to(self, user) -> bool:
        parties = getattr(user, "pk", None) in (self.requester_id, self.partner_id)
        return parties or super().is_visible_to(user)
