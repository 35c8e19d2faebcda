"""Every change to events: intake from any channel, moves round the loop, attachments.

Intake places the event in its grid (a point through the locator, else the address's grid), gives
it to that grid (or straight to the station, per category), numbers it per county and day and
writes its first timeline entry; a move goes through the casework engine
(:func:`fengqiao.core.casework.apply`), which checks, records and notifies.
"""

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit, casework
from fengqiao.core.prepared import PreparedQuery
from fengqiao.core.roles import STAFF_ROLES
from fengqiao.core.scoping import path_within, scope_prefixes
from fengqiao.core.uploads import check_upload
from fengqiao.events import routing
from fengqiao.events.choices import Channel, EventKind
from fengqiao.events.models import DEFAULT_LIMITS, Attachment, Category, Event
from fengqiao.events.workflow import OPEN

REPORT = audit.register("event_report", "reported an event", needs_actor=False)  # residents may be anonymous
ATTACH = audit.register("event_attach", "attached a file to an event", needs_actor=False)  # portal photos

UNSCOPED_PUBLIC = "events: a resident follows their own report by its tracking code"
UNSCOPED_DUPLICATES = "events: duplicate suggestions only name events the reporter may see"

DUPLICATE_RADIUS_M = 100
DUPLICATE_DAYS = 7
DUPLICATE_SUGGESTIONS = 10  # the nearest; a busy corner may hold many more

# Intake's reads, compiled once (see core.prepared).
_ACTIVE_CATEGORY = PreparedQuery(lambda code: Category.objects.filter(code=code, active=True), code=str)
_NEARBY_OPEN = PreparedQuery(
    lambda category_id, since, lon_min, lon_max, lat_min, lat_max: (
        Event.objects.unscoped(reason=UNSCOPED_DUPLICATES)
        .filter(
            category_id=category_id,
            status__in=OPEN,
            opened_at__gte=since,
            lon__range=(lon_min, lon_max),
            lat__range=(lat_min, lat_max),
        )
        .values_list("pk", "number", "lon", "lat", "scope_path")
    ),
    category_id=int,
    since=dt.datetime,
    lon_min=float,
    lon_max=float,
    lat_min=float,
    lat_max=float,
)
_EVENTS_BY_ID = PreparedQuery(
    lambda ids: Event.objects.unscoped(reason=UNSCOPED_DUPLICATES).filter(pk__in=ids), ids=(list, int)
)


def may_take_in(user) -> bool:
    return user is not None and user.is_authenticated and (user.is_superuser or user.role in STAFF_ROLES)


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


def category_for_report(code: str, *, public_only: bool) -> Category:
    category = _ACTIVE_CATEGORY.first(code=str(code).strip())
    if category is None or (public_only and not category.public):
        raise ValidationError({"category": [_("Unknown category: %(code)s.") % {"code": code}]})
    return category


def report_event(
    report: Report, *, actor, channel: str, at: dt.datetime | None = None, imported: bool = False
) -> Event:
    """Take in one event. ``actor`` is the staff member entering it (on a caller's behalf, whose
    name and phone the report carries), the resident reporting, or None for an anonymous portal
    or Open311 report. An ``imported`` past event keeps its time but its limits run from now,
    and a bulk import does not message anyone per event."""
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if channel in (Channel.STAFF, Channel.PHONE, Channel.DISPATCH_110) and not may_take_in(actor):
        raise PermissionDenied(_("Only staff can enter events."))
    title = (report.title or "").strip()
    if not title:
        raise ValidationError({"title": [_("Say in a few words what happened.")]})
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
        title=title[:200],
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
    )
    after = {"channel": channel, "category": report.category.code, "grid": grid.code, "via": report.via}
    return casework.open_case(
        event,
        actor=actor,
        county=grid.scope_path.split("/")[1],
        at=at,
        clock_from=timezone.now() if imported else None,
        quiet=imported,
        record=lambda case: audit.record(REPORT, case, actor=actor, after=after),
    )


def move(event: Event, transition: str, *, actor, version: int | None, note: str = "", data=None) -> Event:
    """Take one step of the loop (file, dispatch, report back, pass, rework, escalate, ...)."""
    return casework.apply(event, transition, actor=actor, version=version, note=note, data=data)


def find_by_tracking_code(code: str) -> Event | None:
    code = (code or "").strip().upper()
    if not code:
        return None
    return Event.objects.unscoped(reason=UNSCOPED_PUBLIC).filter(tracking_code=code).first()


def move_by_tracking_code(code: str, transition: str, *, note: str = "", data=None, actor=None) -> Event:
    """A reporter without an account rates or reopens their own event with its tracking code."""
    event = find_by_tracking_code(code)
    if event is None:
        raise ValidationError({"tracking_code": [_("No report has this tracking code.")]})
    if transition not in ("rate", "reopen"):
        raise PermissionDenied(_("Only rating and reopening are open to reporters."))
    return casework.apply(event, transition, actor=actor, version=None, note=note, data=data)


def attach(event: Event, upload, *, actor) -> Attachment:
    """Keep an uploaded photo or PDF after checking what it really is and how big it is."""
    size = upload.size
    kind = check_upload(upload)
    content_type, extension = kind
    attachment = Attachment(
        event=event,
        original_name=upload.name[-200:],
        content_type=content_type,
        extension=extension,
        size=size,
    )
    attachment.file.save("upload", upload, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            audit.record(ATTACH, event, actor=actor, after={"file": attachment.original_name, "size": size})
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
    so the reporter fixes it and sends again, and nothing half-made is left behind."""
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
    if not ids:
        return []
    events = {e.pk: e for e in _EVENTS_BY_ID(ids=ids)}
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
    near = _NEARBY_OPEN(
        category_id=category.pk,
        since=at - dt.timedelta(days=DUPLICATE_DAYS),
        lon_min=lon - dlon,
        lon_max=lon + dlon,
        lat_min=lat - dlat,
        lat_max=lat + dlat,
    )
    # Scoped here, by the predicate visible_to applies: the query is compiled once for everyone.
    prefixes = scope_prefixes(user)
    ranked = sorted(
        (distance_m(lon, lat, e_lon, e_lat), pk, number)
        for pk, number, e_lon, e_lat, path in near
        if path_within(path, prefixes) and (exclude is None or pk != exclude.pk)
    )
    within = [(pk, number) for distance, pk, number in ranked if distance <= DUPLICATE_RADIUS_M]
    return within[:DUPLICATE_SUGGESTIONS]


CATEGORIES_FILE = Path(__file__).parent / "data" / "categories.json"
LOAD_CATEGORIES = audit.register("event_categories", "loaded the event categories")
CATEGORY_FIELDS = ("name", "name_en", "kind", "description", "public", "responsible", "clock_hours", "limits")


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
