"""The mediation ledger (矛盾纠纷排查化解): disputes as cases, their parties, sessions, agreement,
follow-up visits, and the community officers' monthly screening returns.

A dispute lives (``scope_path``) in the grid where it arose and is held (``holder_path``) by that
grid's police district, whose community officer leads mediation. Its parts (parties, sessions,
the agreement, visits) are reached only through the dispute, which is read through the scope.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.core import crypto
from fengqiao.core.casework import Case
from fengqiao.core.scoping import ScopedModel
from fengqiao.disputes import conf
from fengqiao.disputes.choices import (
    AgreementForm,
    Category,
    MediationKind,
    Outcome,
    PartyRole,
    Performance,
    ReferredTo,
    Source,
    VisitMethod,
)
from fengqiao.geo.models import Grid, PoliceUnit


class Dispute(Case):
    """One dispute on the ledger, from registration to the archive."""

    title = models.CharField(_("title"), max_length=200)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, db_index=True)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices, db_index=True)
    grade = models.CharField(
        _("risk grade"), max_length=16, db_index=True, help_text=_("One of FENGQIAO_DISPUTE_GRADES.")
    )
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("grid"))
    kind = models.CharField(
        _("kind of mediation"),
        max_length=16,
        choices=MediationKind.choices,
        default=MediationKind.PEOPLE,
        db_index=True,
    )
    committee = models.CharField(
        _("people's mediation committee"),
        max_length=100,
        blank=True,
        help_text=_("The committee that mediates (people's and joint mediation), e.g. 金积村人民调解委员会."),
    )
    place = models.CharField(_("place"), max_length=400, blank=True)
    people_count = models.PositiveIntegerField(_("people involved"), default=2)
    amount = models.DecimalField(_("amount involved (yuan)"), max_digits=14, decimal_places=2, default=0)
    facts = models.TextField(_("facts"))
    points = models.TextField(_("points in dispute"))
    mediators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="mediated_disputes", verbose_name=_("mediators")
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registered by"),
    )
    origin_event = models.ForeignKey(
        "events.Event",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disputes",
        verbose_name=_("from event"),
    )
    kept_from_criminal = models.BooleanField(
        _("kept from turning criminal"),
        default=False,
        help_text=_("Mediation stopped the dispute from turning into a criminal case (防止民转刑)."),
    )
    repeated = models.BooleanField(_("repeated between the same parties"), default=False, db_index=True)
    repeat_count = models.PositiveSmallIntegerField(
        _("disputes between these parties in 12 months"), default=1
    )
    flagged = models.BooleanField(_("flagged to the station"), default=False)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, blank=True, db_index=True
    )
    outcome_at = models.DateTimeField(_("outcome recorded"), null=True, blank=True, db_index=True)
    to_punishment = models.BooleanField(
        _("handed over for punishment"),
        default=False,
        help_text=_(
            "A public-order mediation failed or was not performed: the punishment procedure goes on."
        ),
    )
    referred_to = models.CharField(_("referred to"), max_length=16, choices=ReferredTo.choices, blank=True)
    extension_days = models.PositiveSmallIntegerField(_("extension requested (days)"), null=True, blank=True)
    extended_days = models.PositiveSmallIntegerField(_("extension granted (days)"), default=0)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="dispute_open_due_idx"),
            models.Index(fields=["category", "opened_at"], name="dispute_category_time_idx"),
            models.Index(fields=["assignee", "outcome", "outcome_at"], name="dispute_quota_idx"),
        ]

    def get_absolute_url(self):
        return reverse("dispute_detail", args=[self.number])

    @property
    def grade_label(self) -> str:
        return conf.grade_label(self.grade)

    @property
    def is_red(self) -> bool:
        return self.grade == conf.top_grade()


class DisputeParty(models.Model):
    """A party: a person of the registry, or one entered freely with a checked ID number."""

    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="parties", verbose_name=_("dispute")
    )
    role = models.CharField(pgettext_lazy("dispute party", "role"), max_length=16, choices=PartyRole.choices)
    person = models.ForeignKey(
        "registry.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dispute_parties",
        verbose_name=_("person in the registry"),
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    # Encrypted at rest and found by their keyed hashes, as the registry's (docs/adr/0010).
    id_number = crypto.EncryptedCharField(
        _("ID number"), max_length=18, blank=True, indexed_by="id_number_hash"
    )
    id_number_hash = crypto.BlindIndexField(source="id_number", label="id_number", blank=True, db_index=True)
    phone = crypto.EncryptedCharField(_("phone"), max_length=20, blank=True, indexed_by="phone_hash")
    phone_hash = crypto.BlindIndexField(source="phone", label="phone", blank=True, db_index=True)
    address = models.CharField(_("address"), max_length=400, blank=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["dispute", "role", "id"]

    def __str__(self):
        return f"{self.name} ({self.get_role_display()})"


class MediationSession(models.Model):
    """One mediation session and its minutes."""

    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("dispute")
    )
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200)
    participants = models.TextField(
        _("participants"),
        help_text=_("Who took part and in which role: officer, grid worker, village cadre, lawyer …"),
    )
    minutes = models.TextField(_("minutes"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["dispute", "held_on", "id"]

    def __str__(self):
        return f"{self.dispute} {self.held_on}"


def _signed_copy_path(instance, filename):
    # The stored name is ours, never the uploader's.
    return f"disputes/{instance.created_at:%Y/%m}/{secrets.token_hex(12)}{instance.signed_copy_extension}"


class Agreement(models.Model):
    """The mediation agreement: what the parties agreed, how and by when it is performed."""

    dispute = models.OneToOneField(
        Dispute, on_delete=models.CASCADE, related_name="agreement", verbose_name=_("dispute")
    )
    serial = models.CharField(_("serial number"), max_length=40, unique=True)
    form = models.CharField(
        _("form"), max_length=8, choices=AgreementForm.choices, default=AgreementForm.WRITTEN
    )
    terms = models.TextField(_("agreed terms"))
    performance_method = models.TextField(_("how it is performed"))
    perform_by = models.DateField(_("performed by"))
    signed_on = models.DateField(_("agreed on"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("mediator")
    )
    content_hash = models.CharField(_("fingerprint"), max_length=64)
    performance = models.CharField(
        _("performance"),
        max_length=16,
        choices=Performance.choices,
        default=Performance.PENDING,
        db_index=True,
    )
    performance_note = models.TextField(_("performance note"), blank=True)
    performance_updated_at = models.DateTimeField(_("performance updated"), null=True, blank=True)
    signed_copy = models.FileField(_("signed copy"), upload_to=_signed_copy_path, blank=True)
    signed_copy_name = models.CharField(_("file name"), max_length=200, blank=True)
    signed_copy_type = models.CharField(_("type"), max_length=64, blank=True)
    signed_copy_extension = models.CharField(max_length=8, blank=True)
    signed_copy_uploaded_at = models.DateTimeField(_("signed copy uploaded"), null=True, blank=True)
    judicial_applied_on = models.DateField(_("judicial confirmation applied for on"), null=True, blank=True)
    judicial_confirmed_on = models.DateField(_("judicially confirmed on"), null=True, blank=True)
    judicial_court = models.CharField(_("court"), max_length=100, blank=True)
    judicial_reminded_at = models.DateTimeField(_("reminded of the judicial window"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("mediation agreement")
        verbose_name_plural = _("mediation agreements")

    def __str__(self):
        return self.serial

    @property
    def judicial_window_closes(self):
        import datetime as dt

        return self.signed_on + dt.timedelta(days=conf.judicial_days())


class FollowUp(models.Model):
    """A return visit to see whether the agreement is performed and the dispute stays settled."""

    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("dispute")
    )
    visited_on = models.DateField(_("visited on"))
    method = models.CharField(_("how"), max_length=8, choices=VisitMethod.choices, default=VisitMethod.VISIT)
    performance = models.CharField(
        _("performance seen"), max_length=16, choices=Performance.choices, blank=True
    )
    note = models.TextField(_("what was found"))
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("visited by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["dispute", "visited_on", "id"]

    def __str__(self):
        return f"{self.dispute} {self.visited_on}"


class ScreeningReturn(ScopedModel):
    """A community officer's monthly screening return for their police district: how many disputes
    screening found, or a nil return when it found none."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="screening_returns",
        verbose_name=_("officer"),
    )
    unit = models.ForeignKey(
        PoliceUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("police district")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month screened."))
    nil_return = models.BooleanField(_("nil return"), default=False)
    found = models.PositiveIntegerField(_("disputes found"), default=0)
    note = models.TextField(_("note"), blank=True)
    filed_at = models.DateTimeField(_("filed at"))

    class Meta:
        verbose_name = _("screening return")
        verbose_name_plural = _("screening returns")
        ordering = ["-month", "scope_path"]
        constraints = [
            models.UniqueConstraint(
                fields=["officer", "unit", "month"], name="screening_return_once_a_month"
            ),
            models.CheckConstraint(
                condition=Q(nil_return=False) | Q(found=0), name="screening_nil_return_found_nothing"
            ),
        ]

    def __str__(self):
        return f"{self.officer} {self.month:%Y-%m}"

    def save(self, *args, **kwargs):
        self.scope_path = self.unit.path
        super().save(*args, **kwargs)
