"""Reads of the registry, always through the reader's scope; and the rules of who may do what.

The rules live here, once: who collects (writes) registry records, who may reveal a whole ID
number or phone, who sees them whole without asking, who reads care tags. The actions enforce
them; pages and the API ask the same functions what to offer.

Care tags are the most sensitive data in the system: every function here that returns them
checks ``registry.view_caretag`` and writes an audit ``view`` entry.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit, workcalendar
from fengqiao.core.roles import STAFF_ROLES, Role
from fengqiao.core.scoping import get_visible_or_404
from fengqiao.registry import history
from fengqiao.registry.choices import AddressStatus, ResidenceType, ResidentType, RevealField
from fengqiao.registry.models import (
    Address,
    CareTag,
    Employment,
    House,
    Organisation,
    Person,
    RecordHistory,
    Residence,
)
from fengqiao.registry.validators import mask_birth_date, mask_id_number, mask_phone

# ---------------------------------------------------------------------------------------------
# the rules

# Who collects and changes registry records (within their scope): staff, never residents or
# volunteers.
COLLECTOR_ROLES = frozenset(STAFF_ROLES)
# Who may reveal a whole ID number or phone, giving a reason (audited): community officers and
# above, within their scope. Grid workers and auxiliaries see masked numbers only.
REVEAL_ROLES = frozenset({Role.COMMUNITY_OFFICER, Role.STATION, Role.COUNTY_BUREAU, Role.CITY_COMMAND})
CARE_TAG_PERMISSION = "registry.view_caretag"

# How many working days a landlord has to report a new tenant; how early a permit is flagged.
TENANT_REPORT_WORKING_DAYS = 3
PERMIT_WARNING_DAYS = 30

REVEALABLE = {RevealField.ID_NUMBER: mask_id_number, RevealField.PHONE: mask_phone}


def _staff(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def may_collect(user) -> bool:
    """Whether the user may create, change and retire registry records (in their scope)."""
    return _staff(user) and (user.is_superuser or user.role in COLLECTOR_ROLES)


def may_reveal(user, record=None) -> bool:
    """Whether the user may reveal whole numbers (of ``record``, when given: it must be in scope)."""
    if not _staff(user) or not (user.is_superuser or user.role in REVEAL_ROLES):
        return False
    return record is None or record.is_visible_to(user)


def whole_number_roles() -> frozenset:
    """Roles shown whole numbers without asking: the setting FENGQIAO_REGISTRY_WHOLE_NUMBER_ROLES,
    none by default (every whole number is then a reveal, with a reason, audited)."""
    return frozenset(getattr(settings, "FENGQIAO_REGISTRY_WHOLE_NUMBER_ROLES", ()) or ())


def sees_whole_numbers(user) -> bool:
    return _staff(user) and user.role in whole_number_roles()


def may_view_care_tags(user) -> bool:
    return _staff(user) and user.has_perm(CARE_TAG_PERMISSION)


def shown_id_number(user, value) -> str:
    """An ID number as this user sees it in lists and pages (masked unless their role sees it whole)."""
    return str(value or "") if sees_whole_numbers(user) else mask_id_number(value)


def shown_phone(user, value) -> str:
    return str(value or "") if sees_whole_numbers(user) else mask_phone(value)


def shown_birth_date(user, value) -> str:
    """A birth date as this user sees it: whole for roles that see whole numbers, else the year
    (the date and a masked ID number together narrow the number down to a few candidates)."""
    if not value:
        return ""
    return value.isoformat() if sees_whole_numbers(user) else mask_birth_date(value)


def birth_year(value) -> int | None:
    return value.year if value else None


# ---------------------------------------------------------------------------------------------
# records


def _current(qs, include_retired: bool):
    return qs if include_retired else qs.filter(retired_at__isnull=True)


def people_visible_to(user, *, include_retired: bool = False):
    return _current(Person.objects.visible_to(user), include_retired).select_related(
        "current_address", "grid"
    )


def person_for(user, pk) -> Person:
    """One person in the user's scope (retired ones too: their page shows them as retired); 404
    otherwise."""
    return get_visible_or_404(
        Person.objects.select_related("current_address", "grid", "collected_by"), user, pk=pk
    )


def person_by_id_number(user, id_number: str) -> Person | None:
    """Exact look-up by (normalised) ID number within the user's scope; None when not found."""
    return (
        Person.objects.visible_to(user).filter(id_number=id_number).select_related("current_address").first()
    )


def addresses_visible_to(user, *, include_retired: bool = False):
    return _current(Address.objects.visible_to(user), include_retired).select_related("community", "grid")


def address_for(user, pk) -> Address:
    return get_visible_or_404(Address.objects.select_related("community", "grid"), user, pk=pk)


def houses_visible_to(user, *, include_retired: bool = False):
    return _current(House.objects.visible_to(user), include_retired).select_related(
        "address", "owner", "landlord", "grid"
    )


def house_for(user, pk) -> House:
    return get_visible_or_404(
        House.objects.select_related("address", "owner", "landlord", "grid"), user, pk=pk
    )


def organisations_visible_to(user, *, include_retired: bool = False):
    return _current(Organisation.objects.visible_to(user), include_retired).select_related("address", "grid")


def organisation_for(user, pk) -> Organisation:
    return get_visible_or_404(Organisation.objects.select_related("address", "grid"), user, pk=pk)


def residences_of_person(user, person: Person, *, current_only: bool = False):
    """The person's relations to houses that the user can see (a relation lives in the house's grid)."""
    qs = Residence.objects.visible_to(user).filter(person=person).select_related("house", "house__address")
    return qs.filter(end_date__isnull=True) if current_only else qs


def residents_of_house(user, house: House, *, current_only: bool = True):
    """The people related to a house (owner, tenants, registered residents …)."""
    qs = Residence.objects.visible_to(user).filter(house=house).select_related("person")
    return qs.filter(end_date__isnull=True) if current_only else qs


def tenants_of_house(user, house: House):
    return residents_of_house(user, house).filter(kind=ResidenceType.RENTING)


def employments_of_person(user, person: Person, *, current_only: bool = False):
    qs = Employment.objects.visible_to(user).filter(person=person).select_related("organisation")
    return qs.filter(end_date__isnull=True) if current_only else qs


def staff_of_organisation(user, organisation: Organisation, *, current_only: bool = True):
    qs = Employment.objects.visible_to(user).filter(organisation=organisation).select_related("person")
    return qs.filter(end_date__isnull=True) if current_only else qs


def history_of(record) -> list[RecordHistory]:
    """The change history of a record the caller has fetched through the reader's scope
    (``person_for`` …), oldest first."""
    return list(history.history_of(record))


# ---------------------------------------------------------------------------------------------
# care tags


def _require_care_tags(user) -> None:
    if not may_view_care_tags(user):
        raise PermissionDenied(_("Care and watch tags need their own permission."))


def care_tags_for(user, person: Person, *, include_removed: bool = False) -> list[CareTag]:
    """The care and watch tags of one person. Needs ``registry.view_caretag`` and the person in
    scope; the read is audited (``view``, naming the person)."""
    _require_care_tags(user)
    if not person.is_visible_to(user):
        get_visible_or_404(Person.objects, user, pk=person.pk)  # raises the same 404 as a missing one
    qs = CareTag.objects.visible_to(user).filter(person=person)
    if not include_removed:
        qs = qs.filter(retired_at__isnull=True)
    tags = list(qs.order_by("kind", "-id"))
    audit.record(
        audit.VIEW,
        person,
        actor=user,
        object_type=CareTag._meta.label_lower,
        after={"person": person.pk, "tags": [t.kind for t in tags]},
    )
    return tags


def care_tagged_people(user, *, kind: str | None = None, limit: int = 500) -> list[CareTag]:
    """The active care tags in the user's scope (at most ``limit``), with their people. Needs
    ``registry.view_caretag``; the read is one audit ``view`` entry naming what was listed."""
    _require_care_tags(user)
    qs = (
        CareTag.objects.visible_to(user)
        .filter(retired_at__isnull=True, person__retired_at__isnull=True)
        .select_related("person", "person__current_address")
    )
    if kind:
        qs = qs.filter(kind=kind)
    tags = list(qs.order_by("kind", "person__name_pinyin", "id")[:limit])
    audit.record(
        audit.VIEW,
        actor=user,
        object_type=CareTag._meta.label_lower,
        object_repr=_("care tag list"),
        after={"kind": kind or "", "count": len(tags), "people": [t.person_id for t in tags]},
    )
    return tags


# ---------------------------------------------------------------------------------------------
# floating-population duties


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start``, on the working calendar."""
    return workcalendar.calendar().add_working_days(start, days)


@dataclass(frozen=True)
class TenantDuty:
    """A tenant whose move-in was not reported to the police within 3 working days."""

    residence: Residence
    due: dt.date
    registered_on: dt.date | None
    as_of: dt.date  # the day the duties were computed for

    @property
    def person(self) -> Person:
        return self.residence.person

    @property
    def house(self) -> House:
        return self.residence.house

    @property
    def days_late(self) -> int:
        """Working or not, the calendar days past the due date (until the report, or until today)."""
        return ((self.registered_on or self.as_of) - self.due).days


@dataclass(frozen=True)
class PermitDuty:
    """A residence permit expiring within 30 days, or expired."""

    person: Person
    expires: dt.date
    days_left: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0


@dataclass
class FloatingDuties:
    tenants: list[TenantDuty] = field(default_factory=list)
    permits: list[PermitDuty] = field(default_factory=list)

    def __len__(self):
        return len(self.tenants) + len(self.permits)


def floating_duties(user, *, today: dt.date | None = None) -> FloatingDuties:
    """What the floating-population rules flag in the user's scope:

    - tenants (current ``renting`` relations with a move-in date) whose move-in was reported later
      than 3 working days after it, or not reported although the 3 working days have passed;
    - floating residents whose residence permit expires within 30 days or has expired.
    """
    today = today or timezone.localdate()
    calendar = workcalendar.calendar()
    duties = FloatingDuties()
    # Three working days are at least three calendar days: the database narrows, Python decides.
    rentals = (
        Residence.objects.visible_to(user)
        .filter(kind=ResidenceType.RENTING, start_date__isnull=False, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .filter(person__retired_at__isnull=True)
        .filter(
            Q(
                registered_on__isnull=True,
                start_date__lt=today - dt.timedelta(days=TENANT_REPORT_WORKING_DAYS),
            )
            | Q(registered_on__gt=F("start_date") + dt.timedelta(days=TENANT_REPORT_WORKING_DAYS))
        )
        .select_related("person", "house", "house__address")
        .order_by("start_date", "id")
    )
    for residence in rentals:
        due = calendar.add_working_days(residence.start_date, TENANT_REPORT_WORKING_DAYS)
        reported = residence.registered_on
        if (reported is None and today > due) or (reported is not None and reported > due):
            duties.tenants.append(TenantDuty(residence, due, reported, today))
    permits = (
        Person.objects.visible_to(user)
        .filter(
            retired_at__isnull=True,
            resident_type=ResidentType.FLOATING,
            residence_permit_expires__isnull=False,
            residence_permit_expires__lte=today + dt.timedelta(days=PERMIT_WARNING_DAYS),
        )
        .select_related("current_address")
        .order_by("residence_permit_expires", "id")
    )
    for person in permits:
        expires = person.residence_permit_expires
        duties.permits.append(PermitDuty(person, expires, (expires - today).days))
    return duties


# ---------------------------------------------------------------------------------------------
# addresses to standardise (待规范地址)

# Who merges an address to standardise into a standard one, or confirms it as one: community
# officers and above, within their scope.
STANDARDISER_ROLES = frozenset({Role.COMMUNITY_OFFICER, Role.STATION, Role.COUNTY_BUREAU, Role.CITY_COMMAND})


def may_standardise_addresses(user) -> bool:
    return _staff(user) and (user.is_superuser or user.role in STANDARDISER_ROLES)


def pending_addresses(user):
    """The addresses to standardise in the user's scope, by police district, with how many
    people, houses and organisations are at each (none for who may not settle them)."""
    qs = Address.objects.visible_to(user)
    if not may_standardise_addresses(user):
        return qs.none()
    return (
        qs.filter(status=AddressStatus.PENDING, retired_at__isnull=True)
        .select_related("grid__district", "community")
        .annotate(
            people_count=Count("people", filter=Q(people__retired_at__isnull=True), distinct=True),
            organisation_count=Count(
                "organisations", filter=Q(organisations__retired_at__isnull=True), distinct=True
            ),
            house_count=Count("house", filter=Q(house__retired_at__isnull=True), distinct=True),
        )
        .order_by("grid__district__path", "grid__code", "code")
    )


def pending_address(user, pk: int) -> Address:
    """One address to standardise, 404 when it is not the user's to settle."""
    return get_visible_or_404(pending_addresses(user), user, pk=pk)


def merge_candidates(user, address: Address, limit: int = 10) -> list[Address]:
    """The standard addresses in the user's scope a pending address may be: those reading the
    same, else those along the same street or group."""
    from fengqiao.registry import addressing

    found = addressing.candidate_addresses(address.source_text or address.full_text, limit=limit * 2)
    if not found:
        found = addressing.candidate_addresses(address.full_text, limit=limit * 2)
    return [a for a in found if a.pk != address.pk and a.is_visible_to(user)][:limit]
