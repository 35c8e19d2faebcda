"""一标三实: standard addresses, actual population, actual houses, actual units, and how they relate.

Every record here is scoped by the grid it lies in (``scope_path`` = its grid's path): addresses and
houses by their own grid, people by their current address's grid (or one given for a person
without an address), relations by the house's or organisation's grid, care tags by their person's.
``refresh_derived()`` sets the derived columns (scope path, search keys, full address text); the
actions call it through ``save()`` and the bulk importer calls it before ``bulk_create``.

Nothing is deleted: a record is retired (``retired_at``) and keeps its history (RecordHistory).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.core import crypto
from fengqiao.core.scoping import ScopedModel, unscoped_block
from fengqiao.geo.models import Division, Grid
from fengqiao.registry import addressing, reads, text
from fengqiao.registry.choices import (
    AddressElement,
    AddressStatus,
    CareTagKind,
    FileFormat,
    HistoryAction,
    HouseOwnership,
    HouseUse,
    ImportStatus,
    OrganisationType,
    ReadPurpose,
    RecordKind,
    ResidenceType,
    ResidentType,
    Sex,
    SpecialTrade,
)
from fengqiao.registry.code_tables import Education, Ethnicity, MaritalStatus

UNSCOPED_DERIVED = "registry: derived state of a record the caller already holds"

# Suffixes added to bare numbers when an address is written out as one string.
_ADDRESS_SUFFIXES = {"door_plate": "号", "building": "栋", "unit": "单元", "room": "室"}


def _with_suffix(value: str, suffix: str) -> str:
    value = (value or "").strip()
    if value and value[-1].isascii() and value[-1].isalnum():
        return value + suffix
    return value


class RegistryRecord(ScopedModel):
    """What every registry record has: its grid, when it was collected and by whom, retirement."""

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+", verbose_name=_("grid"))
    collected_at = models.DateField(_("collected on"), default=timezone.localdate, db_index=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("collected by"),
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # The kind under which a read of this record is put on the record (registry.reads): people,
    # houses and organisations carry personal data; addresses do not.
    READ_KIND = ""

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        # Every record loaded while a request collects its reads is noted, however it was reached
        # (a page, the API, a search, a related record): the one place read auditing cannot miss.
        instance = super().from_db(db, field_names, values)
        if cls.READ_KIND:
            reads.note(cls.READ_KIND, instance.pk)
        return instance

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def refresh_derived(self) -> None:
        if self.grid_id:
            self.scope_path = self.grid.scope_path

    def save(self, *args, **kwargs):
        self.refresh_derived()
        super().save(*args, **kwargs)


class Address(RegistryRecord):
    """A standard address (标准地址): division, street or compound, door plate, building, unit, room."""

    code = models.CharField(
        _("address code"),
        max_length=64,
        unique=True,
        error_messages={"unique": _("This address code is already registered.")},
        help_text=_("The standard address code; generated from the grid code when not given."),
    )
    element_type = models.CharField(
        _("element type"), max_length=2, choices=AddressElement.choices, default=AddressElement.ROOM
    )
    community = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("village / community")
    )
    street = models.CharField(_("street / lane"), max_length=100, blank=True)
    compound = models.CharField(_("compound"), max_length=100, blank=True)
    door_plate = models.CharField(_("door plate"), max_length=50, blank=True)
    building = models.CharField(_("building"), max_length=50, blank=True)
    unit = models.CharField(pgettext_lazy("address part", "unit"), max_length=20, blank=True)
    room = models.CharField(_("room"), max_length=20, blank=True)
    full_text = models.CharField(_("address"), max_length=400, db_index=True, editable=False)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    in_use = models.BooleanField(_("in use"), default=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AddressStatus.choices,
        default=AddressStatus.STANDARD,
        db_index=True,
    )
    # The full text reduced by registry.addressing, for matching the way stations write addresses.
    match_key = models.CharField(_("match key"), max_length=400, db_index=True, editable=False, default="")
    source_text = models.CharField(
        _("address as written"),
        max_length=400,
        blank=True,
        help_text=_("The text a pending address was made from, as the spreadsheet wrote it."),
    )

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(lon__isnull=True) & Q(lat__isnull=True))
                | (Q(lon__gte=-180) & Q(lon__lte=180) & Q(lat__gte=-90) & Q(lat__lte=90)),
                name="address_point_complete_and_in_range",
            ),
        ]

    def __str__(self):
        return self.full_text or self.code

    def compose_full_text(self) -> str:
        """The whole address as one string: township, community, street, compound, number, rooms."""
        community = self.community if self.community_id else None
        parts = []
        if community is not None:
            parent = community.parent if community.parent_id else None
            if parent is not None:
                parts.append(parent.name)
            parts.append(community.name)
        parts += [self.street, self.compound]
        for name, suffix in _ADDRESS_SUFFIXES.items():
            parts.append(_with_suffix(getattr(self, name), suffix))
        return "".join(p.strip() for p in parts if p and p.strip())[:400]

    def refresh_derived(self) -> None:
        super().refresh_derived()
        self.full_text = self.compose_full_text()
        community = self.community if self.community_id else None
        township = community.parent.name if community is not None and community.parent_id else ""
        self.match_key = addressing.stored_key(self.full_text, township)

    def clean(self):
        if (self.lon is None) != (self.lat is None):
            raise ValidationError(
                {"lat" if self.lat is None else "lon": _("A point needs both coordinates.")}
            )


class Person(RegistryRecord):
    """One member of the actual population (实有人口)."""

    READ_KIND = reads.PERSON

    # Encrypted at rest, found and kept unique by its keyed hash (core.crypto, docs/adr/0010).
    id_number = crypto.EncryptedCharField(
        _("ID number"),
        max_length=18,
        error_messages={"unique": _("This ID number is already registered.")},
        null=True,
        blank=True,
        help_text=_("Citizen ID number (GB 11643); empty only for overseas people, who have a document."),
        indexed_by="id_number_hash",
    )
    id_number_hash = crypto.BlindIndexField(source="id_number", label="id_number", null=True, unique=True)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    former_name = models.CharField(_("former name"), max_length=64, blank=True)
    name_pinyin = models.CharField(_("name in pinyin"), max_length=255, editable=False)
    name_initials = models.CharField(_("initials"), max_length=64, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    # The three national code tables keep their code (GB/T 3304, 2261.2, 4658): see code_tables.
    ethnicity = models.CharField(_("ethnicity"), max_length=32, blank=True, choices=Ethnicity.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    native_place = models.CharField(_("native place"), max_length=100, blank=True)
    marital_status = models.CharField(
        _("marital status"), max_length=20, blank=True, choices=MaritalStatus.choices
    )
    education = models.CharField(_("education"), max_length=32, blank=True, choices=Education.choices)
    occupation = models.CharField(_("occupation"), max_length=64, blank=True)
    workplace = models.CharField(_("workplace"), max_length=200, blank=True)
    phone = crypto.EncryptedCharField(_("phone"), max_length=20, blank=True, indexed_by="phone_hash")
    phone_hash = crypto.BlindIndexField(source="phone", label="phone", blank=True, db_index=True)
    hukou_address = models.CharField(_("household registration address"), max_length=400, blank=True)
    current_address = models.ForeignKey(
        Address,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("current address"),
    )
    resident_type = models.CharField(
        _("resident type"),
        max_length=16,
        choices=ResidentType.choices,
        default=ResidentType.REGISTERED,
        db_index=True,
    )
    # floating population
    reason_for_coming = models.CharField(_("reason for coming"), max_length=100, blank=True)
    residence_permit_number = models.CharField(_("residence permit number"), max_length=32, blank=True)
    residence_permit_expires = models.DateField(_("residence permit expires"), null=True, blank=True)
    registered_on = models.DateField(_("registered with the police on"), null=True, blank=True)
    # overseas
    nationality = models.CharField(_("nationality"), max_length=64, blank=True)
    document_type = models.CharField(_("document type"), max_length=32, blank=True)
    document_number = models.CharField(_("document number"), max_length=32, blank=True)
    entry_date = models.DateField(_("entry date"), null=True, blank=True)
    planned_exit_date = models.DateField(_("planned exit date"), null=True, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name_pinyin", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(sex__in=["M", "F"]), name="person_sex_valid"),
            models.CheckConstraint(
                condition=~Q(resident_type=ResidentType.OVERSEAS) | ~Q(document_number=""),
                name="person_overseas_has_document",
            ),
            models.CheckConstraint(
                condition=Q(resident_type=ResidentType.OVERSEAS) | Q(id_number__isnull=False),
                name="person_id_number_unless_overseas",
            ),
            models.UniqueConstraint(
                fields=["nationality", "document_type", "document_number"],
                condition=~Q(document_number=""),
                name="person_document_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["resident_type", "residence_permit_expires"], name="person_permit_idx"),
            # Name searches are prefix searches ordered by (key, id): these serve the filter and
            # the order together. varchar_pattern_ops lets PostgreSQL use the index for LIKE 'x%'
            # under any collation; other backends ignore opclasses.
            models.Index(fields=["name_pinyin", "id"], name="person_pinyin_idx"),
            models.Index(fields=["name_initials", "id"], name="person_initials_idx"),
            models.Index(
                fields=["name", "id"], name="person_name_idx", opclasses=["varchar_pattern_ops", "int8_ops"]
            ),
        ]

    def __str__(self):
        return self.name

    def validate_unique(self, exclude=None):
        # The ID number is unique by its keyed hash (the ciphertext differs every time): the
        # refusal names the number's field, in its own words, as a unique field's would.
        super().validate_unique(exclude={*(exclude or ()), "id_number_hash"})
        if self.id_number and "id_number" not in (exclude or ()):
            with unscoped_block("uniqueness validation"):
                taken = Person.objects.filter(id_number=self.id_number).exclude(pk=self.pk).exists()
            if taken:
                field = self._meta.get_field("id_number")
                raise ValidationError({"id_number": [field.error_messages["unique"]]})

    def refresh_derived(self) -> None:
        super().refresh_derived()
        self.name_pinyin, self.name_initials = text.pinyin_keys(self.name)
        self.name_pinyin = self.name_pinyin[:255]
        self.name_initials = self.name_initials[:64]

    @property
    def hukou_consistent(self) -> bool | None:
        """人户一致: the person lives where they are registered. True when a current 户籍 relation
        points at the house of their current address, False when they are registered elsewhere
        (or at a house they no longer live in), None when it cannot be told (no registration
        relation and no registered address on record)."""
        hukou = [r for r in self._current_residences() if r.kind == ResidenceType.HUKOU]
        if hukou:
            if self.current_address_id is None:
                return False
            return any(r.house.address_id == self.current_address_id for r in hukou)
        if not self.hukou_address or self.current_address_id is None:
            return None
        return _same_address(self.hukou_address, self.current_address.full_text)

    def _current_residences(self):
        cache = getattr(self, "_prefetched_objects_cache", {})
        if "residences" in cache:
            return [r for r in cache["residences"] if r.end_date is None]
        return list(
            Residence.objects.unscoped(reason=UNSCOPED_DERIVED)
            .filter(person=self, end_date__isnull=True)
            .select_related("house")
        )

    @property
    def special_group(self) -> bool:
        """Whether the person is floating or overseas (the groups with registration duties)."""
        return self.resident_type in (ResidentType.FLOATING, ResidentType.OVERSEAS)


def _same_address(a: str, b: str) -> bool:
    norm = lambda s: "".join((s or "").split())  # noqa: E731
    return bool(norm(a)) and (norm(a) == norm(b) or norm(a).endswith(norm(b)) or norm(b).endswith(norm(a)))


class House(RegistryRecord):
    """One actual house (实有房屋) at one standard address."""

    READ_KIND = reads.HOUSE

    address = models.OneToOneField(
        Address, on_delete=models.PROTECT, related_name="house", verbose_name=_("address")
    )
    use = models.CharField(_("use"), max_length=16, choices=HouseUse.choices, default=HouseUse.RESIDENTIAL)
    ownership = models.CharField(_("ownership"), max_length=16, choices=HouseOwnership.choices, blank=True)
    owner = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="houses_owned",
        verbose_name=_("owner"),
    )
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=9, decimal_places=2, null=True, blank=True)
    rooms = models.PositiveSmallIntegerField(_("rooms"), null=True, blank=True)
    is_rented = models.BooleanField(_("rented out"), default=False, db_index=True)
    landlord = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="houses_let",
        verbose_name=_("landlord"),
    )
    occupant_count = models.PositiveIntegerField(
        _("occupants"), default=0, editable=False, help_text=_("People with a current relation to the house.")
    )

    class Meta:
        verbose_name = _("house")
        verbose_name_plural = _("houses")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(area_m2__isnull=True) | Q(area_m2__gt=0), name="house_area_positive"
            )
        ]

    def __str__(self):
        return str(self.address) if self.address_id else _("house %(id)s") % {"id": self.pk}


class Organisation(RegistryRecord):
    """One actual unit (实有单位): a business or organisation with its staff."""

    READ_KIND = reads.ORGANISATION

    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        error_messages={"unique": _("This unified social credit code is already registered.")},
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    org_type = models.CharField(
        _("type"), max_length=32, choices=OrganisationType.choices, default=OrganisationType.ENTERPRISE
    )
    legal_representative = models.CharField(_("legal representative"), max_length=64, blank=True)
    legal_representative_id = crypto.EncryptedCharField(
        _("legal representative's ID number"), max_length=18, null=True, blank=True
    )
    address = models.ForeignKey(
        Address,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("address"),
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    hotel = models.BooleanField(SpecialTrade.HOTEL.label, default=False)
    internet_cafe = models.BooleanField(SpecialTrade.INTERNET_CAFE.label, default=False)
    logistics = models.BooleanField(SpecialTrade.LOGISTICS.label, default=False)
    hazardous_goods = models.BooleanField(SpecialTrade.HAZARDOUS_GOODS.label, default=False)
    phone = crypto.EncryptedCharField(_("phone"), max_length=20, blank=True, indexed_by="phone_hash")
    phone_hash = crypto.BlindIndexField(source="phone", label="phone", blank=True, db_index=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    @property
    def special_trades(self) -> list[str]:
        """The special-control trades this unit is in (SpecialTrade values)."""
        return [trade.value for trade in SpecialTrade if getattr(self, trade.value)]


class Residence(ScopedModel):
    """A person ↔ house relation with its type and dates (户籍, 自住, 租住, 借住, dormitory, other).
    Lives in the house's grid."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="residences", verbose_name=_("person")
    )
    house = models.ForeignKey(
        House, on_delete=models.PROTECT, related_name="residences", verbose_name=_("house")
    )
    kind = models.CharField(_("relation"), max_length=16, choices=ResidenceType.choices)
    start_date = models.DateField(_("from"), null=True, blank=True)
    end_date = models.DateField(_("until"), null=True, blank=True)
    registered_on = models.DateField(
        _("reported to the police on"),
        null=True,
        blank=True,
        help_text=_("For tenants: when the landlord reported the move-in (due within 3 working days)."),
    )
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+", verbose_name=_("grid"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("residence")
        verbose_name_plural = _("residences")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="residence_dates_ordered",
            ),
            models.UniqueConstraint(
                fields=["person", "house"],
                condition=Q(end_date__isnull=True),
                name="residence_one_current_per_person_house",
            ),
        ]
        indexes = [models.Index(fields=["kind", "start_date"], name="residence_kind_start_idx")]

    def __str__(self):
        return f"{self.person} — {self.get_kind_display()} — {self.house}"

    @property
    def is_current(self) -> bool:
        return self.end_date is None or self.end_date >= timezone.localdate()

    def refresh_derived(self) -> None:
        if self.house_id:
            self.grid_id = self.house.grid_id
            self.scope_path = self.house.scope_path

    def save(self, *args, **kwargs):
        self.refresh_derived()
        super().save(*args, **kwargs)


class Employment(ScopedModel):
    """A person working for an organisation. Lives in the organisation's grid."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="employments", verbose_name=_("person")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="employments", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=64, blank=True)
    start_date = models.DateField(_("from"), null=True, blank=True)
    end_date = models.DateField(_("until"), null=True, blank=True)
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+", verbose_name=_("grid"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("employment")
        verbose_name_plural = _("employments")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="employment_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.person} @ {self.organisation}"

    def refresh_derived(self) -> None:
        if self.organisation_id:
            self.grid_id = self.organisation.grid_id
            self.scope_path = self.organisation.scope_path

    def save(self, *args, **kwargs):
        self.refresh_derived()
        super().save(*args, **kwargs)


class CareTag(ScopedModel):
    """A care or watch group a person belongs to. The most sensitive data in the system: reading it
    needs the ``registry.view_caretag`` permission and every read is audited (selectors)."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="care_tags", verbose_name=_("person")
    )
    kind = models.CharField(_("group"), max_length=32, choices=CareTagKind.choices)
    risk_grade = models.PositiveSmallIntegerField(
        _("risk grade"), null=True, blank=True, help_text=_("0–5, for severe mental illness only.")
    )
    since = models.DateField(_("since"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)
    note = crypto.EncryptedTextField(_("note"), blank=True)
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+", verbose_name=_("grid"))
    retired_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("care tag")
        verbose_name_plural = _("care tags")
        ordering = ["kind", "-since", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=CareTagKind.MENTAL_ILLNESS) & Q(risk_grade__isnull=False) & Q(risk_grade__lte=5)
                )
                | (~Q(kind=CareTagKind.MENTAL_ILLNESS) & Q(risk_grade__isnull=True)),
                name="caretag_risk_grade_for_mental_illness_only",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(since__isnull=True) | Q(until__gte=models.F("since")),
                name="caretag_dates_ordered",
            ),
            models.UniqueConstraint(
                fields=["person", "kind"],
                condition=Q(retired_at__isnull=True),
                name="caretag_one_active_per_kind",
            ),
        ]

    def __str__(self):
        return f"{self.person} — {self.get_kind_display()}"

    def refresh_derived(self) -> None:
        if self.person_id:
            self.grid_id = self.person.grid_id
            self.scope_path = self.person.scope_path

    def save(self, *args, **kwargs):
        self.refresh_derived()
        super().save(*args, **kwargs)


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("record history is append-only")

    def delete(self):
        raise PermissionError("record history is append-only")

    def redact(self, fields) -> int:
        """The one change history takes: when the person a record is about is anonymised
        (``registry.actions.anonymise_departed``), the values of ``fields`` (every field when None)
        become None in these rows' before and after. Returns how many rows changed."""
        changed = 0
        for pk, before, after in self.values_list("pk", "before", "after").iterator(chunk_size=500):
            new = [
                {k: None if fields is None or k in fields else v for k, v in d.items()}
                for d in (before, after)
            ]
            if new != [before, after]:
                models.QuerySet.update(self.model.objects.filter(pk=pk), before=new[0], after=new[1])
                changed += 1
        return changed


class ImportBatch(models.Model):
    """One bulk import of one file: its progress (a checkpoint to resume from) and its summary."""

    kind = models.CharField(_("kind"), max_length=16, choices=RecordKind.choices)
    file_name = models.CharField(_("file"), max_length=255)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    file_format = models.CharField(_("format"), max_length=8, choices=FileFormat.choices)
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED, db_index=True
    )
    rows_read = models.PositiveIntegerField(_("read"), default=0)
    inserted = models.PositiveIntegerField(_("inserted"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    last_line = models.PositiveIntegerField(
        _("last line done"), default=0, help_text=_("Checkpoint: the import resumes after this line.")
    )
    errors_file = models.CharField(_("errors file"), max_length=500, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "file_sha256"],
                condition=Q(status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]),
                name="importbatch_one_in_progress_per_file",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.file_name} ({self.get_status_display()})"

    def counts(self) -> dict:
        """The five counts of the summary, by their report names."""
        return {
            "read": self.rows_read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }

    def address_counts(self) -> dict:
        """Rows whose address text matched a standard address, rows that went to an address to
        standardise (待规范地址), and how many of those the import made."""
        options = self.options or {}
        return {name: int(options.get(name, 0)) for name in ("matched", "pending", "new_pending")}


# The fields of the records above that are encrypted, by name, as a change of them is kept.
SEALED_IN_HISTORY = ("id_number", "phone", "legal_representative_id", "note")


class RecordHistory(models.Model):
    """One change of one registry record: who, when, through which door, the changed fields before
    and after. Append-only; versions count from 1 per record."""

    record_kind = models.CharField(_("record kind"), max_length=16, choices=RecordKind.choices)
    record_id = models.BigIntegerField(_("record id"))
    record_model = models.CharField(
        _("record type"),
        max_length=32,
        blank=True,
        help_text=_("The model, for relations: residence, employment."),
    )
    version = models.PositiveIntegerField(_("version"))
    action = models.CharField(_("action"), max_length=16, choices=HistoryAction.choices)
    # The actor and the batch are references the log keeps, like record_id, not constraints the
    # database checks again on every row: only history.py and the importer write them, with the
    # acting user and the running batch, and Django's PROTECT still refuses to delete either. A
    # check locks the user's and the batch's row once per history row, which made them a third
    # of the cost of an imported person's history. Nothing reads the log by them: no index.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        db_constraint=False,
        db_index=False,
    )
    source = models.CharField(_("source"), max_length=16, blank=True)
    # Whole numbers and care notes are the record's own data, kept here encrypted as in the record.
    before = crypto.SealedJSONField(_("before"), default=dict, blank=True, sealed=SEALED_IN_HISTORY)
    after = crypto.SealedJSONField(_("after"), default=dict, blank=True, sealed=SEALED_IN_HISTORY)
    reason = models.TextField(_("reason"), blank=True)
    batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="history",
        verbose_name=_("import batch"),
        db_constraint=False,
        db_index=False,
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("record history")
        verbose_name_plural = _("record history")
        ordering = ["record_kind", "record_model", "record_id", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["record_kind", "record_model", "record_id", "version"], name="history_version_unique"
            )
        ]

    def __str__(self):
        return f"{self.record_kind} {self.record_id} v{self.version} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("record history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("record history is append-only")

    @property
    def changed_fields(self) -> list[str]:
        return list(dict.fromkeys([*self.before, *self.after]))


class ReadLog(models.Model):
    """One request's reads of registry personal data, beside the audit entry that lists them: who,
    when, in which role and unit, why, and how many exact-number look-ups it made. The access
    history, the look-up limit and the read alerts query this table, not the audit log."""

    # References the log keeps, each written once per read: no index of their own beyond those
    # below (every index is one more page written by every read).
    entry = models.ForeignKey(
        "core.AuditEntry",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("audit entry"),
        db_index=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
        db_index=False,
    )
    at = models.DateTimeField(_("time"), db_index=True)  # the alerts' scan of the last hour
    role = models.CharField(_("role"), max_length=32, blank=True)
    unit = models.CharField(
        _("police unit"), max_length=255, blank=True, help_text=_("The path of the reader's posting.")
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=ReadPurpose.choices, blank=True)
    note = models.CharField(_("purpose note"), max_length=200, blank=True)
    people = models.PositiveIntegerField(_("people read"), default=0)
    lookups = models.PositiveSmallIntegerField(_("exact-number look-ups"), default=0)

    class Meta:
        verbose_name = _("registry read")
        verbose_name_plural = _("registry reads")
        indexes = [
            models.Index(fields=["actor", "at"], name="registry_read_actor_at"),
            # The hourly look-up count reads only the reads that made look-ups.
            models.Index(fields=["actor", "at"], condition=Q(lookups__gt=0), name="registry_read_lookups"),
        ]

    def __str__(self):
        return f"{self.actor_id} @ {self.at:%Y-%m-%d %H:%M} {self.purpose}"


class PersonRead(models.Model):
    """One person named by one read: a person's access history is found through this."""

    log = models.ForeignKey(ReadLog, on_delete=models.PROTECT, related_name="person_reads")
    # A reference the log keeps, not a constraint checked on every read.
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )

    class Meta:
        verbose_name = _("person read")
        verbose_name_plural = _("person reads")
        indexes = [models.Index(fields=["person", "log"], name="registry_person_read_idx")]

    def __str__(self):
        return f"{self.person_id} in {self.log_id}"


class ResidentLink(models.Model):
    """A resident's portal account and their own person record, linked by staff who saw the
    resident's ID card: what the portal's "who read my record" page reads (PIPL's right to know)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="registry_link",
        verbose_name=_("user"),
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("verified by")
    )
    verified_at = models.DateTimeField(_("verified at"), default=timezone.now)

    class Meta:
        verbose_name = _("resident link")
        verbose_name_plural = _("resident links")

    def __str__(self):
        return f"{self.user_id} → {self.person_id}"
