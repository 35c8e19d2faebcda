"""Self-service (issue 19): the smart police offices and their kiosks, the register of final
court judgements, and the no-criminal-record certificate (a case on the casework kernel)."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.core import crypto
from fengqiao.core.casework import Case
from fengqiao.core.scoping import ScopedModel
from fengqiao.selfservice.choices import Channel, OfficeKind, Purpose, Service, Validity


class Office(ScopedModel):
    """A police office (警务室) or workstation (警务工作站): a record of the territory, under the
    police district or station it belongs to (``scope_path`` is that unit's path)."""

    kind = models.CharField(_("kind"), max_length=16, choices=OfficeKind.choices)
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(pgettext_lazy("office", "name"), max_length=100)
    unit = models.ForeignKey(
        "geo.PoliceUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("police unit")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("police office")
        verbose_name_plural = _("police offices")
        ordering = ["scope_path", "code"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.scope_path = self.unit.path
        super().save(*args, **kwargs)


class Kiosk(ScopedModel):
    """A self-service terminal of an office."""

    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="kiosks", verbose_name=_("office")
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("kiosk")
        verbose_name_plural = _("kiosks")
        ordering = ["code"]

    def __str__(self):
        return self.code

    def save(self, *args, **kwargs):
        self.scope_path = self.office.scope_path
        super().save(*args, **kwargs)


def _seal_path(instance, filename):
    return f"selfservice/seals/{secrets.token_hex(12)}.png"


class Seal(models.Model):
    """A station's seal image, printed on its certificates and refusal notices (a PNG, checked
    and re-encoded as every upload is)."""

    station = models.OneToOneField(
        "geo.PoliceUnit", on_delete=models.CASCADE, related_name="+", verbose_name=_("police station")
    )
    image = models.FileField(_("seal image"), upload_to=_seal_path)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("seal")
        verbose_name_plural = _("seals")

    def __str__(self):
        return str(self.station)


class CriminalRecord(ScopedModel):
    """One court judgement from the judicial data file, read-only here (imported, never edited).
    Only a final judgement (生效判决) counts as a record. Lives at the bureau that imported it."""

    judgement_number = models.CharField(_("judgement number"), max_length=64, unique=True)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    id_number = crypto.EncryptedCharField(_("ID number"), max_length=18, indexed_by="id_number_hash")
    id_number_hash = crypto.BlindIndexField(source="id_number", label="id_number", db_index=True)
    court = models.CharField(_("court"), max_length=100)
    offence = models.CharField(_("offence"), max_length=100)
    judged_on = models.DateField(_("judged on"))
    final = models.BooleanField(_("final"), default=False)
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)

    class Meta:
        verbose_name = _("criminal record")
        verbose_name_plural = _("criminal records")
        ordering = ["-judged_on", "judgement_number"]

    def __str__(self):
        return self.judgement_number


class EmployerAuthorisation(ScopedModel):
    """A station's authorisation of an employer to query its staff in posts that the law bars
    people with records from (e.g. teachers, security guards); lives at the station."""

    station = models.ForeignKey(
        "geo.PoliceUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("police station")
    )
    employer = models.CharField(_("employer"), max_length=100)
    credit_code = models.CharField(_("unified social credit code"), max_length=18)
    post = models.CharField(_("post"), max_length=100)
    legal_basis = models.CharField(_("legal basis"), max_length=200)
    valid_until = models.DateField(_("valid until"))
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("authorised by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("employer authorisation")
        verbose_name_plural = _("employer authorisations")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.employer} · {self.post}"

    def save(self, *args, **kwargs):
        self.scope_path = self.station.path
        super().save(*args, **kwargs)


def _proof_path(instance, filename):
    # The stored name is ours, never the uploader's.
    return f"selfservice/{timezone.now():%Y/%m}/{secrets.token_hex(12)}{instance.extension}"


class Certificate(Case):
    """An application for a no-criminal-record certificate and, once decided, the certificate
    or the refusal notice. Lives (and is held) at the station that decides it; a review
    (复查) is held one rung up."""

    station = models.ForeignKey(
        "geo.PoliceUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("police station")
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    kiosk = models.ForeignKey(
        Kiosk, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("kiosk")
    )
    applicant_name = models.CharField(_("applicant"), max_length=64)
    id_number = crypto.EncryptedCharField(_("ID number"), max_length=18, indexed_by="id_number_hash")
    id_number_hash = crypto.BlindIndexField(source="id_number", label="id_number", db_index=True)
    phone = crypto.EncryptedCharField(_("phone"), max_length=20, indexed_by="phone_hash")
    phone_hash = crypto.BlindIndexField(source="phone", label="phone", db_index=True)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    purpose_detail = models.CharField(_("what it is for"), max_length=200, blank=True)
    employer = models.ForeignKey(
        EmployerAuthorisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="queries",
        verbose_name=_("employer"),
    )
    record = models.ForeignKey(
        CriminalRecord,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("record found"),
    )
    jurisdiction = models.CharField(_("jurisdiction searched"), max_length=100, blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    reviewed = models.BooleanField(_("reviewed"), default=False)
    serial = models.CharField(_("serial number"), max_length=32, unique=True, null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoke_reason = models.TextField(_("reason for revoking"), blank=True)

    class Meta:
        verbose_name = _("no-criminal-record certificate")
        verbose_name_plural = _("no-criminal-record certificates")
        indexes = [models.Index(fields=["scope_path", "opened_at"], name="certificate_scope_opened_idx")]

    def get_absolute_url(self) -> str:
        return reverse("certificate_detail", args=[self.number])

    def get_category_display(self) -> str:
        """What the inbox's category column shows: the purpose."""
        return str(self.get_purpose_display())

    def validity(self, today=None) -> str:
        """What a verifier is told: valid, expired or revoked (a refusal is never verified)."""
        if self.revoked_at is not None:
            return Validity.REVOKED
        today = today or timezone.localdate()
        if self.valid_until is None or self.valid_until < today:
            return Validity.EXPIRED
        return Validity.VALID


class Proof(models.Model):
    """The proof of purpose an application past the yearly three carries (checked, re-encoded)."""

    certificate = models.OneToOneField(
        Certificate, on_delete=models.CASCADE, related_name="proof", verbose_name=_("certificate")
    )
    file = models.FileField(_("file"), upload_to=_proof_path)
    content_type = models.CharField(max_length=64)
    extension = models.CharField(max_length=8)

    class Meta:
        verbose_name = _("proof of purpose")
        verbose_name_plural = _("proofs of purpose")

    def __str__(self):
        return f"{self.certificate_id}{self.extension}"


class Verification(models.Model):
    """One opening of a certificate's verification page: who asked is not known, only when and
    from which address, and what they were told."""

    certificate = models.ForeignKey(
        Certificate, on_delete=models.CASCADE, related_name="verifications", verbose_name=_("certificate")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    answer = models.CharField(_("answer"), max_length=8, choices=Validity.choices)

    class Meta:
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.certificate_id} {self.at:%Y-%m-%d %H:%M}"


class PhoneCode(models.Model):
    """A one-time code sent by SMS to confirm an applicant's phone: kept as a keyed hash of the
    phone and of the code, never either in clear; a few tries, a short life."""

    phone_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    used = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("phone code")
        verbose_name_plural = _("phone codes")

    def __str__(self):
        return f"{self.phone_hash[:8]} {self.created_at:%Y-%m-%d %H:%M}"


class Booking(ScopedModel):
    """A resident's slot at an office for a service; lives where the office does."""

    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("office")
    )
    service = models.CharField(_("service"), max_length=16, choices=Service.choices)
    starts_at = models.DateTimeField(_("slot"), db_index=True)
    code = models.CharField(_("booking code"), max_length=12, unique=True)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    phone = crypto.EncryptedCharField(_("phone"), max_length=20, indexed_by="phone_hash")
    phone_hash = crypto.BlindIndexField(source="phone", label="phone", db_index=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["office", "starts_at"], name="booking_office_slot_idx")]

    def __str__(self):
        return self.code

    def save(self, *args, **kwargs):
        self.scope_path = self.office.scope_path
        super().save(*args, **kwargs)
