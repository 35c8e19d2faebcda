"""Reads of self-service, always scoped (or unscoped with a greppable reason)."""

import datetime as dt

from django.db import connections
from django.db.models import Count, Exists, OuterRef, Q

from fengqiao.core.params import start_of
from fengqiao.core.roles import Role
from fengqiao.core.scoping import is_staff, scope_q
from fengqiao.selfservice.choices import Status
from fengqiao.selfservice.models import Certificate, CriminalRecord, Office, Verification

UNSCOPED_REGISTER = (
    "selfservice: a decision searches the whole register of judgements by the ID number's hash"
)
UNSCOPED_COUNT = "selfservice: a person's applications this year, wherever they applied, for the proof rule"
UNSCOPED_PUBLIC = "selfservice: an applicant or verifier finds one certificate by its number or serial"

# Who works on certificates: the stations that decide them and the bureaus above.
CERTIFICATE_ROLES = (Role.STATION, Role.COUNTY_BUREAU, Role.CITY_COMMAND)


# Who keeps the offices' day lists: the community officers and auxiliaries posted there, and above.
BOOKING_ROLES = (Role.COMMUNITY_OFFICER, Role.AUXILIARY, *CERTIFICATE_ROLES)


def may_see_bookings(user) -> bool:
    return is_staff(user) and (user.is_superuser or user.role in BOOKING_ROLES)


def may_work_on_certificates(user) -> bool:
    return is_staff(user) and (user.is_superuser or user.role in CERTIFICATE_ROLES)


def final_records_of(id_number_hash: str):
    """Final judgements on record for a person: the only ones that count."""
    return CriminalRecord.objects.unscoped(reason=UNSCOPED_REGISTER).filter(
        id_number_hash=id_number_hash, final=True
    )


def records_of(id_number_hash: str):
    """Every judgement on file for a person, final or not (the decider sees both, told apart)."""
    return CriminalRecord.objects.unscoped(reason=UNSCOPED_REGISTER).filter(id_number_hash=id_number_hash)


def applications_in_year(id_number_hash: str | None, year: int) -> int:
    if not id_number_hash:
        return 0
    start = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    return (
        Certificate.objects.unscoped(reason=UNSCOPED_COUNT)
        .filter(
            id_number_hash=id_number_hash, opened_at__gte=start, opened_at__lt=start.replace(year=year + 1)
        )
        .count()
    )


def certificates_for(user, params: dict | None = None):
    params = params or {}
    qs = Certificate.objects.visible_to(user).select_related("station")
    unit = params.get("unit", "")
    if unit:
        qs = qs.filter(scope_q([unit], vendor=connections[qs.db].vendor))
    for name, lookup in (("opened_from", "opened_at__gte"), ("opened_to", "opened_at__lt")):
        day = _day(params.get(name, ""))
        if day is not None:
            qs = qs.filter(**{lookup: start_of(day + dt.timedelta(days=1 if name == "opened_to" else 0))})
    decided = params.get("decided", "")
    if decided == "issued":
        qs = qs.filter(serial__isnull=False)
    elif decided == "refused":
        qs = qs.filter(status__in=[Status.REFUSED, Status.IN_REVIEW])
    elif decided == "verified":
        qs = qs.filter(Exists(Verification.objects.filter(certificate=OuterRef("pk"))))
    status = params.get("status", "")
    if status == "open":
        qs = qs.filter(status__in=[Status.SUBMITTED, Status.IN_REVIEW])
    elif status in Status.values:
        qs = qs.filter(status=status)
    return qs


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def by_number(number: str) -> Certificate | None:
    return (
        Certificate.objects.unscoped(reason=UNSCOPED_PUBLIC)
        .select_related("station")
        .filter(number=number)
        .first()
    )


def by_serial(serial: str) -> Certificate | None:
    return (
        Certificate.objects.unscoped(reason=UNSCOPED_PUBLIC)
        .select_related("station")
        .filter(serial=serial)
        .annotate(verified=Count("verifications"))
        .first()
    )


def offices_for(user):
    return (
        Office.objects.visible_to(user)
        .select_related("unit")
        .annotate(kiosk_count=Count("kiosks", filter=Q(kiosks__is_active=True)))
    )
