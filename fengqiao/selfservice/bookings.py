"""Bookings for services done at an office (临时身份证, 港澳台通行证签注, 交通违法处理): slots of
``SLOT_MINUTES`` in the working hours of working days (core.workcalendar), ``FENGQIAO_BOOKING_SLOT_SIZE``
residents per slot and office, up to ``DAYS_AHEAD`` days ahead; the phone confirmed by its SMS
code, the booking confirmed by SMS; the officer's list of the day."""

import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit, workcalendar
from fengqiao.core.notifications.actions import text_phone
from fengqiao.registry.validators import InvalidValue, parse_phone
from fengqiao.selfservice.actions import _spend_code, check_phone_code
from fengqiao.selfservice.choices import Channel, Service
from fengqiao.selfservice.models import Booking, Office

BOOK = audit.register("booking_make", "booked a service at a police office", needs_actor=False)
SLOT_MINUTES = 30
DAYS_AHEAD = 7
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def slot_size() -> int:
    return int(getattr(settings, "FENGQIAO_BOOKING_SLOT_SIZE", 2))


def slots(day: dt.date) -> list[dt.datetime]:
    """The slot starts of a working day (none on a day off)."""
    if not workcalendar.calendar().is_working_day(day):
        return []
    starts = []
    for begin, end in workcalendar.working_periods():
        at = timezone.make_aware(dt.datetime.combine(day, begin))
        stop = timezone.make_aware(dt.datetime.combine(day, end))
        while at + dt.timedelta(minutes=SLOT_MINUTES) <= stop:
            starts.append(at)
            at += dt.timedelta(minutes=SLOT_MINUTES)
    return starts


def free_slots(office: Office, now: dt.datetime | None = None) -> list[tuple[dt.datetime, int]]:
    """The coming slots of the office that have room, with how many places are left."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    starts = [s for d in range(DAYS_AHEAD + 1) for s in slots(today + dt.timedelta(days=d)) if s > now]
    if not starts:
        return []
    taken = dict(
        Booking.objects.unscoped(reason="bookings: places taken in an office's slots")
        .filter(office=office, starts_at__gte=starts[0], starts_at__lte=starts[-1])
        .values("starts_at")
        .annotate(n=Count("id"))
        .values_list("starts_at", "n")
    )
    size = slot_size()
    return [(s, size - taken.get(s, 0)) for s in starts if taken.get(s, 0) < size]


def book(
    office: Office,
    *,
    service: str,
    starts_at: dt.datetime,
    name: str,
    phone: str,
    code: str,
    channel: str = Channel.PORTAL,
    now: dt.datetime | None = None,
) -> Booking:
    """Book a place, all or nothing: a real slot of the office with room left, the phone
    confirmed by its code; the resident gets the booking code by SMS."""
    now = now or timezone.now()
    errors: dict[str, list] = {}
    name = (name or "").strip()
    if not name or len(name) > 64:
        errors["name"] = [_("Give your name as on your ID card.")]
    try:
        phone = parse_phone(phone)
    except InvalidValue as exc:
        errors["phone"] = [_("Phone: %(reason)s.") % {"reason": exc.reason}]
    if service not in Service.values:
        errors["service"] = [_("Choose the service.")]
    day = timezone.localdate(starts_at) if starts_at else None
    if (
        starts_at is None
        or starts_at <= now
        or starts_at not in slots(day)
        or (day - timezone.localdate(now)).days > DAYS_AHEAD
    ):
        errors["starts_at"] = [_("Choose one of the times offered.")]
    if errors:
        raise ValidationError(errors)
    code_id = check_phone_code(phone, code)
    with transaction.atomic():
        # One booking at a time per office: the count and the insert cannot interleave.
        Office.objects.unscoped(
            reason="bookings: the office row serialises its slots"
        ).select_for_update().get(pk=office.pk)
        if (
            Booking.objects.unscoped(reason="bookings: places taken")
            .filter(office=office, starts_at=starts_at)
            .count()
            >= slot_size()
        ):
            raise ValidationError({"starts_at": [_("That time has just been taken: choose another.")]})
        _spend_code(code_id)
        booking = Booking.objects.create(
            office=office,
            service=service,
            starts_at=starts_at,
            code="".join(secrets.choice(CODE_ALPHABET) for _ in range(8)),
            name=name,
            phone=phone,
            channel=channel,
        )
        audit.record(
            BOOK, booking, after={"office": office.code, "service": service, "slot": starts_at.isoformat()}
        )
        text_phone(
            phone,
            kind="booking_made",
            title=_("Booked: %(service)s at %(office)s, %(when)s. Booking code %(code)s.")
            % {
                "service": booking.get_service_display(),
                "office": office.name,
                "when": timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M"),
                "code": booking.code,
            },
            scope_path=office.scope_path,
        )
    return booking


def day_list(user, day: dt.date):
    """The officer's list of the day: the bookings at the offices in their scope."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    return (
        Booking.objects.visible_to(user)
        .filter(starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1))
        .select_related("office")
        .order_by("starts_at", "office__name", "id")
    )
