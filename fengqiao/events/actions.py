"""Every change to events: intake from any channel, moves round the loop, attachments.

Intake places the event in its grid (a point through the locator, else the address's grid), gives
it to that grid (or straight to the station, per category), numbers it per county and day and
writes its first timeline entry; a move goes through the casework engine
(:func:`fengqiao.core.casework.apply`), which checks, records and notifies.
"""

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from fengqiao.core import audit, casework, context, ratelimit
from fengqiao.core.refcache import Reference
from fengqiao.core.scoping import is_staff, path_within, scope_prefixes
from fengqiao.core.uploads import check_upload
from fengqiao.events import routing, rules
from fengqiao.events.choices import Channel, CrimeClass, EventKind, Offence, SolveMethod
from fengqiao.events.models import DEFAULT_LIMITS, Attachment, Category, Event
from fengqiao.events.workflow import OPEN
from fengqiao.registry.addressing import match_address
from fengqiao.registry.models import Address

REPORT = audit.register("event_report", "reported an event", needs_actor=False)  # residents may be anonymous
ATTACH = audit.register("event_attach", "attached a file to an event", needs_actor=False)  # portal photos

UNSCOPED_PUBLIC = "events: a resident follows their own report by its tracking code"
UNSCOPED_EXTERNAL = "events: an external number is taken in once per channel, whoever holds it"
UNSCOPED_ADDRESS = "events: the public place a report by any registry address"

# Anyone may report through these, even without an account; every other channel is staff's.
PUBLIC_CHANNELS = (Channel.PORTAL, Channel.OPEN311)
TITLE_FROM_TEXT = 60
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")

DUPLICATE_RADIUS_M = 100
DUPLICATE_DAYS = 7
DUPLICATE_SUGGESTIONS = 10  # the nearest; a busy corner may hold many more

# Every intake reads the category tree: kept per process until a category changes.
CATEGORIES = Reference(
    "event_categories",
    lambda: {c.code: c for c in Category.objects.select_related("parent")},
    models=("events.Category",),
)


class AlreadyTakenIn(Exception):
    """The channel's external number (a 110 incident's, another system's) is on file already:
    the event that holds it is ``event``."""

    def __init__(self, event: "Event"):
        super().__init__(event.number)
        self.event = event


def _holding(channel: str, external_id: str) -> "Event | None":
    events = Event.objects.unscoped(reason=UNSCOPED_EXTERNAL)
    return events.filter(channel=channel, external_id=external_id).first()


def may_take_in(user) -> bool:
    return is_staff(user)


@dataclass(frozen=True)
class Report:
    """What a report says, from whichever channel it came."""

    category: Category
    title: str
    description: str = ""
    lon: float | None = None
    lat: float | None = None
    address: object | None = None
    address_text: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    external_id: str = ""
    via: str = ""  # which integration brought it (an Open311 key), for the audit
    crime_class: str = ""  # named by the door (a 110 row's words), else the category's
    fraud_type: str = ""


def category_for_report(code, *, public_only: bool) -> Category:
    category = CATEGORIES.get().get(str(getattr(code, "code", code)).strip())
    if category is None or not category.active or (public_only and not category.public):
        raise ValidationError({"category": [_("Unknown category: %(code)s.") % {"code": code}]})
    return category


def first_line(text: str, limit: int = TITLE_FROM_TEXT) -> str:
    """What stands for a title when a reporter writes none: the first line of what they wrote."""
    lines = (text or "").strip().splitlines()
    line = lines[0].strip() if lines else ""
    return line[:limit] + "…" if len(line) > limit else line


def address_by_code(code: str, *, actor, public: bool) -> Address:
    """A registry address by its code: within the actor's area, or anywhere for a public report
    (the public place it by the address they know)."""
    addresses = (
        Address.objects.unscoped(reason=UNSCOPED_ADDRESS) if public else Address.objects.visible_to(actor)
    )
    address = addresses.filter(code=code, retired_at__isnull=True).first()
    if address is None:
        raise ValidationError(
            {"address": [_("No address with the code %(code)s in your area.") % {"code": code}]}
        )
    return address


def address_from_text(text: str) -> Address | None:
    """The one standard address a reporter's text names, by the registry's rule for address text
    (full- and half-width, 号/栋 spellings, division prefixes), if it lies in a grid."""
    address = match_address(text)
    return address if address is not None and address.grid_id is not None else None


def build_report(
    *,
    category,
    public_only: bool,
    actor=None,
    title: str = "",
    description: str = "",
    lon=None,
    lat=None,
    address=None,
    address_text: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    external_id: str = "",
    via: str = "",
    crime_class: str = "",
    fraud_type: str = "",
) -> Report:
    """The one way every door (the staff form, the portal, the API, Open311, the 110 import) turns
    what it was sent into a :class:`Report`. ``category`` is a code or a Category, ``address`` a
    registry Address or its code. A public report without a point is placed by its address text.
    Raises one ValidationError naming every bad field by the Report's names."""
    errors: dict[str, list] = {}
    try:
        category = category_for_report(category, public_only=public_only)
    except ValidationError as error:
        errors.update(error.message_dict)
        category = None
    for name, value, bound in (("lon", lon, 180), ("lat", lat, 90)):
        if value is not None and not (math.isfinite(value) and -bound <= value <= bound):
            errors[name] = [_("Give a number from %(low)s to %(high)s.") % {"low": -bound, "high": bound}]
    if (lon is None) != (lat is None):
        errors["lat" if lat is None else "lon"] = [_("Give both longitude and latitude, or neither.")]
    if isinstance(address, str):
        try:
            code = address.strip()
            address = address_by_code(code, actor=actor, public=public_only) if code else None
        except ValidationError as error:
            errors.update(error.message_dict)
    if lon is None and lat is None and address is None and public_only:
        address = address_from_text(address_text)
        if address is None:
            errors["address_text"] = [_("We could not find this address: tap the place on the map instead.")]
    description = (description or "").strip()
    # Open311 may send no description at all: the service's name stands for the title then.
    fallback = category.name if category is not None and public_only else ""
    title = (title or "").strip() or first_line(description) or fallback
    if not title and category is not None:
        errors["title"] = [_("Say in a few words what happened.")]
    errors.update(rules.check_lengths(title=title, description=description))
    reporter_phone = (reporter_phone or "").strip()
    if reporter_phone and not PHONE.match(reporter_phone):
        errors["reporter_phone"] = [_("Give a phone number of digits (spaces and dashes are fine).")]
    if errors:
        raise ValidationError(errors)
    return Report(
        category=category,
        title=title,
        description=description,
        lon=lon,
        lat=lat,
        address=address,
        address_text=(address_text or "").strip(),
        reporter_name=(reporter_name or "").strip(),
        reporter_phone=reporter_phone,
        external_id=(external_id or "").strip(),
        via=via,
        crime_class=crime_class,
        fraud_type=fraud_type,
    )


def report_event(
    report: Report, *, actor, channel: str, at: dt.datetime | None = None, imported: bool = False
) -> Event:
    """Take in one event. ``actor`` is the staff member entering it (on a caller's behalf, whose
    name and phone the report carries), the resident reporting, or None for an anonymous portal
    or Open311 report. An ``imported`` past event keeps its time but its limits run from now,
    and a bulk import does not message anyone per event."""
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if channel not in PUBLIC_CHANNELS and not may_take_in(actor):
        raise PermissionDenied(_("Only staff can enter events."))
    category_for_report(report.category, public_only=channel in PUBLIC_CHANNELS)
    title = (report.title or "").strip()
    if not title:
        raise ValidationError({"title": [_("Say in a few words what happened.")]})
    too_long = rules.check_lengths(title=title, description=report.description.strip())
    if too_long:
        raise ValidationError(too_long)
    grid = routing.place(lon=report.lon, lat=report.lat, address=report.address)
    staff = may_take_in(actor)
    # Staff take in events in their own area (a caller elsewhere is passed on, not entered).
    # Checked before anything is written: no number is used up, no lock taken.
    if staff and not path_within(grid.scope_path, scope_prefixes(actor)):
        field = "lon" if report.lon is not None else "address"
        raise ValidationError({field: [_("This place is outside your area.")]})
    resident = actor if actor is not None and not staff else None
    event = Event(
        kind=report.category.kind,
        category=report.category,
        title=title,
        description=report.description.strip(),
        channel=channel,
        grid=grid,
        scope_path=grid.scope_path,
        holder_path=routing.holder_for(report.category, grid),
        address=report.address,
        address_text=(report.address_text or (str(report.address) if report.address else ""))[:400],
        lon=report.lon,
        lat=report.lat,
        reporter=resident,
        reporter_name=report.reporter_name.strip()[:64] or (resident.full_name if resident else ""),
        reporter_phone=report.reporter_phone.strip()[:20] or (resident.phone if resident else ""),
        external_id=report.external_id,
        **rules.classify(report.category, crime_class=report.crime_class, fraud_type=report.fraud_type),
    )
    after = {"channel": channel, "category": report.category.code, "grid": grid.code, "via": report.via}
    if event.external_id and (held := _holding(channel, event.external_id)) is not None:
        raise AlreadyTakenIn(held)
    try:
        return casework.open_case(
            event,
            actor=actor,
            county=grid.scope_path.split("/")[1],
            at=at,
            clock_from=timezone.now() if imported else None,
            quiet=imported,
            record=lambda case: audit.record(REPORT, case, actor=actor, after=after),
        )
    except IntegrityError:
        # Another request took the same number in between the check and the insert.
        if event.external_id and (held := _holding(channel, event.external_id)) is not None:
            raise AlreadyTakenIn(held) from None
        raise


def move(event: Event, transition: str, *, actor, version: int | None, note: str = "", data=None) -> Event:
    """Take one step of the loop (file, dispatch, report back, pass, rework, escalate, ...)."""
    return casework.apply(event, transition, actor=actor, version=version, note=note, data=data)


def find_by_tracking_code(code: str) -> Event | None:
    code = (code or "").strip().upper()
    if not code:
        return None
    return Event.objects.unscoped(reason=UNSCOPED_PUBLIC).filter(tracking_code=code).first()


# A wrong guess of a phone's last four digits: at most this many tries per report a minute,
# whoever makes them, and each wrong one spends this many of the address's public requests.
PHONE_TRIES_PER_MINUTE = 3
WRONG_DIGITS_COST = 10


def phone_digits_needed(event: Event, user=None) -> bool:
    """Whether a rating or reopening of ``event`` by ``user`` (None: nobody logged in) must give
    the last four digits of the phone the reporter gave: unless they are the logged-in reporter,
    whenever there is a phone."""
    if user is not None and user.is_authenticated and event.reporter_id == user.pk:
        return False
    return bool(_last_digits(event.reporter_phone))


def _last_digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")[-4:]


def _prove_reporter(event: Event, phone_digits: str) -> None:
    """The one who holds the tracking code also knows the last four digits of the reporter's
    phone, when one was given; guessing is slowed by ``core.ratelimit``."""
    expected = _last_digits(event.reporter_phone)
    if not expected:
        return
    if not ratelimit.hit(f"reporter-phone:{event.pk}", PHONE_TRIES_PER_MINUTE):
        raise ValidationError(
            {"phone_digits": [_("Too many tries for this report: wait a minute and try again.")]}
        )
    given = re.sub(r"\s", "", phone_digits or "")
    if not constant_time_compare(given, expected):
        ctx = context.current()
        ratelimit.charge_public(ctx.ip if ctx is not None else None, WRONG_DIGITS_COST)
        raise ValidationError(
            {
                "phone_digits": [
                    _("These are not the last four digits of the phone number given with the report.")
                ]
            }
        )


def move_by_tracking_code(
    code: str, transition: str, *, note: str = "", data=None, actor=None, phone_digits: str = ""
) -> Event:
    """The reporter rates or reopens their own event with its tracking code and, when they gave a
    phone, its last four digits (``phone_digits``); a logged-in reporter acts as themselves. Staff
    never rate or reopen: the rating is the reporter's word on the staff's work."""
    event = find_by_tracking_code(code)
    if event is None:
        raise ValidationError({"tracking_code": [_("No report has this tracking code.")]})
    if transition not in ("rate", "reopen"):
        raise PermissionDenied(_("Only rating and reopening are open to reporters."))
    if actor is not None and is_staff(actor):
        raise PermissionDenied(_("Only the reporter may rate or reopen a report, not staff."))
    mover = actor if actor is not None and actor.is_authenticated and event.reporter_id == actor.pk else None
    if phone_digits_needed(event, mover):
        _prove_reporter(event, phone_digits)
    return casework.apply(event, transition, actor=mover, version=None, note=note, data=data)


def attach(event: Event, upload, *, actor) -> Attachment:
    """Keep an uploaded photo or PDF after checking what it really is and how big it is: what is
    kept is the checked copy (an image encoded again without its metadata), never the upload."""
    checked = check_upload(upload)
    attachment = Attachment(
        event=event,
        original_name=checked.name[-200:],
        content_type=checked.content_type,
        extension=checked.extension,
        size=checked.size,
    )
    attachment.file.save("upload", checked.file, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            audit.record(
                ATTACH, event, actor=actor, after={"file": attachment.original_name, "size": attachment.size}
            )
    except BaseException:
        attachment.file.delete(save=False)  # no file without its row
        raise
    return attachment


def attach_all(event, files, *, actor) -> list:
    """Attach every file or none: a rejected file removes the ones stored before it."""
    kept = []
    try:
        with transaction.atomic():
            for upload in files:
                kept.append(attach(event, upload, actor=actor))
    except BaseException:
        for attachment in kept:
            attachment.file.delete(save=False)
        raise
    return kept


def report_with_files(report: Report, files, *, actor, channel: str) -> Event:
    """Take in a report with its files in one transaction: a rejected file rejects the report,
    so the reporter fixes it and sends again, and nothing half-made is left behind. A report
    carries at most ``rules.max_photos()`` files of ``rules.max_report_bytes()`` in all."""
    files = list(files)
    rules.check_files(files)
    with transaction.atomic():
        event = report_event(report, actor=actor, channel=channel)
        attach_all(event, files, actor=actor)
    return event


def distance_m(lon1, lat1, lon2, lat2) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_000
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def duplicate_candidates(category: Category, lon, lat, *, user, at=None, exclude=None) -> list[Event]:
    """The nearest open events of the same category within 100 m and 7 days that ``user`` may
    see, nearest first, at most DUPLICATE_SUGGESTIONS."""
    ids = [pk for pk, _number in _nearest_open(category, lon, lat, user=user, at=at, exclude=exclude)]
    events = Event.objects.visible_to(user).in_bulk(ids)
    return [events[pk] for pk in ids if pk in events]


def duplicate_numbers(category: Category, lon, lat, *, user, exclude=None) -> list[str]:
    """The numbers of ``duplicate_candidates``, without loading the events (intake's answer)."""
    return [number for _pk, number in _nearest_open(category, lon, lat, user=user, exclude=exclude)]


def _nearest_open(category, lon, lat, *, user, at=None, exclude=None) -> list[tuple[int, str]]:
    """(id, number) of the suggestions, ranked on the events' places alone."""
    if lon is None or lat is None or user is None:
        return []
    at = at or timezone.now()
    dlat = DUPLICATE_RADIUS_M / 111_000
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    near = Event.objects.visible_to(user).filter(
        category=category,
        status__in=OPEN,
        opened_at__gte=at - dt.timedelta(days=DUPLICATE_DAYS),
        lon__range=(lon - dlon, lon + dlon),
        lat__range=(lat - dlat, lat + dlat),
    )
    if exclude is not None:
        near = near.exclude(pk=exclude.pk)
    ranked = sorted(
        (distance_m(lon, lat, e_lon, e_lat), pk, number)
        for pk, number, e_lon, e_lat in near.values_list("pk", "number", "lon", "lat")
    )
    within = [(pk, number) for distance, pk, number in ranked if distance <= DUPLICATE_RADIUS_M]
    return within[:DUPLICATE_SUGGESTIONS]


CATEGORIES_FILE = Path(__file__).parent / "data" / "categories.json"
LOAD_CATEGORIES = audit.register("event_categories", "loaded the event categories")
CATEGORY_FIELDS = (
    "name",
    "name_en",
    "kind",
    "description",
    "public",
    "shown_publicly",
    "responsible",
    "clock_hours",
    "limits",
    "offence",
    "crime_class",
)


def load_categories(rows: list[dict], *, actor) -> dict:
    """Create or update the category tree from a list of dicts (parents before children).
    Every row is checked before anything is written; an error names the row."""
    known = set(Category.objects.values_list("code", flat=True))
    for number, row in enumerate(rows, start=1):
        code = str(row.get("code") or "").strip()
        if not code or not row.get("name") or row.get("kind") not in EventKind.values:
            raise ValidationError(
                _("Category row %(n)s: code, name and a known kind are required.") % {"n": number}
            )
        parent = row.get("parent")
        if parent and parent not in known:
            raise ValidationError(
                _("Category row %(n)s: unknown parent %(parent)s.") % {"n": number, "parent": parent}
            )
        if row.get("offence", "") not in ("", *Offence.values) or row.get("crime_class", "") not in (
            "",
            *CrimeClass.values,
        ):
            raise ValidationError(_("Category row %(n)s: unknown offence or crime class.") % {"n": number})
        for status, hours in (row.get("limits") or {}).items():
            if status not in DEFAULT_LIMITS or not isinstance(hours, (int, float)) or hours <= 0:
                raise ValidationError(
                    _("Category row %(n)s: bad time limit for %(step)s.") % {"n": number, "step": status}
                )
        known.add(code)
    created = updated = 0
    with transaction.atomic():
        for row in rows:
            values = {f: row[f] for f in CATEGORY_FIELDS if f in row}
            parent = row.get("parent")
            values["parent"] = Category.objects.get(code=parent) if parent else None
            _category, new = Category.objects.update_or_create(code=str(row["code"]).strip(), defaults=values)
            created, updated = created + new, updated + (not new)
        audit.record(
            LOAD_CATEGORIES,
            None,
            actor=actor,
            object_type="events.category",
            after={"created": created, "updated": updated},
        )
    return {"created": created, "updated": updated}


SOLVE = audit.register("event_solve", "recorded a case as solved")


def may_solve(user) -> bool:
    """Who records a case as solved: staff posted at a station or above (the case handlers)."""
    if not is_staff(user):
        return False
    if user.is_superuser:
        return True
    return any(path.count("/") + 1 <= 3 for path in user.scope_paths())


@transaction.atomic
def solve_event(event: Event, *, actor, method: str, at: dt.datetime | None = None) -> Event:
    """Record a criminal case as solved (破案), when and how (视频破案 among the ways)."""
    if not may_solve(actor):
        raise PermissionDenied(_("Only a station or a bureau records a case as solved."))
    event = Event.objects.visible_to(actor).select_for_update().get(pk=event.pk)
    if event.offence != Offence.CRIMINAL:
        raise ValidationError({"solved_by": [_("Only a criminal case is solved.")]})
    if method not in SolveMethod.values:
        raise ValidationError({"solved_by": [_("Choose how the case was solved.")]})
    at = at or timezone.now()
    if at < event.opened_at:
        raise ValidationError({"solved_at": [_("A case is solved after it happened.")]})
    before = {
        "solved_at": event.solved_at.isoformat() if event.solved_at else "",
        "solved_by": event.solved_by,
    }
    event.solved_at, event.solved_by = at, method
    event.save(update_fields=["solved_at", "solved_by"])
    audit.record(
        SOLVE, event, actor=actor, before=before, after={"solved_at": at.isoformat(), "solved_by": method}
    )
    return event
