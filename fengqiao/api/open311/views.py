"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) under ``/open311/v2/``.

Plain Django views rather than ninja: the spec wants XML as well as JSON, its own error shape
(``[{"code": 403, "description": "..."}]``, ``<errors><error>...``) and form-encoded posts.

- Services are the event categories open to the public (``Category.public``); none has extra
  attributes (``metadata`` false, an empty ``attributes`` list in its definition).
- ``POST requests`` needs an ``api_key`` (``fengqiao open311-key create NAME``). The event is made
  at once, anonymously (actor None, channel ``open311``), through ``events.actions.report_event``,
  so the answer carries its number (``service_request_id``; the spec gives an id or a token,
  never both), and its notice the tracking code with which the reporter follows, rates and
  reopens it (``GET tokens/{token}`` still leads from that code to the id).
- ``GET requests`` is public, so it shows only requests of the categories about public spaces
  (``Category.shown_publicly``: a broken lamp, rubbish, a hazard in the street; never a tip, a
  police matter or anything about a person, see events migration 0006), and of those nothing that
  places a person: the point rounded to about 100 m (``PUBLIC_DECIMALS`` decimals of a degree),
  the address reduced to its community, no registry address code, never the reporter's name or
  phone, and the description only of requests that came in through Open311 (staff write other
  events' descriptions for themselves). A request of any other category is 404 as a missing one.
  The services still offer every category open to residents: GeoReport's services are what may
  be reported, its requests what the public may read.
"""

import datetime as dt
import functools
import json
import re
import xml.etree.ElementTree as ET

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Max, OuterRef, Subquery
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt

from fengqiao.api.open311 import keys as open311_keys
from fengqiao.core.context import Source, acting_as
from fengqiao.core.models import TimelineEntry
from fengqiao.events import actions
from fengqiao.events.choices import Channel
from fengqiao.events.models import Category, Event
from fengqiao.events.workflow import OPEN

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-29T00:00:00+08:00"  # when this endpoint's behaviour last changed
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

UNSCOPED_PUBLIC = "open311: the public list of service requests, only of categories shown publicly"
# 3 decimals of a degree: about 110 m north-south, 90 m east-west here — the street, not the door.
PUBLIC_DECIMALS = 3

OFFSET_AS_SPACE = re.compile(r"(?<=:[0-9]{2}) ([0-9]{2}:?[0-9]{2})$")

# Default window of GET requests (the spec's "90 days or first 1000 requests").
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000

# The element a list's items get in XML.
XML_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


class Open311Error(Exception):
    """An answer in the spec's error format, with the matching HTTP status."""

    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code, self.description = code, description


# --- rendering --------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return iso(value)
    return str(value)


def _element(name: str, value) -> ET.Element:
    element = ET.Element(name)
    if isinstance(value, dict):
        for key, child in value.items():
            element.append(_element(key, child))
    elif isinstance(value, list):
        for child in value:
            element.append(_element(XML_ITEMS.get(name, "item"), child))
    else:
        element.text = _text(value)
    return element


def _json_ready(value):
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, dt.datetime):
        return iso(value)
    return value


def render(fmt: str, root: str, data, status: int = 200) -> HttpResponse:
    """``data`` as JSON (the bare list or object) or as XML under ``root``."""
    if fmt == "json":
        body = json.dumps(_json_ready(data), ensure_ascii=False)
    else:
        tree = _element(root, data)
        body = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(tree, encoding="unicode")
    return HttpResponse(body.encode("utf-8"), status=status, content_type=CONTENT_TYPES[fmt])


def error(fmt: str, code: int, description: str) -> HttpResponse:
    return render(fmt, "errors", [{"code": code, "description": description}], status=code)


def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 with the offset, as the spec asks: ``2026-11-23T09:00:00+08:00``."""
    return None if value is None else timezone.localtime(value).isoformat(timespec="seconds")


def endpoint(*methods: str):
    """A view answering ``methods`` in the format of its ``fmt`` argument; Open311Error and a
    wrong method become the spec's error answers."""

    def wrap(view):
        @functools.wraps(view)
        def wrapped(request, *args, fmt: str, **kwargs):
            if request.method not in methods:
                response = error(
                    fmt,
                    405,
                    _("Method %(method)s is not allowed here; use %(allowed)s.")
                    % {"method": request.method, "allowed": ", ".join(methods)},
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return error(fmt, exc.code, exc.description)

        return csrf_exempt(wrapped)

    return wrap


def not_found(request, rest: str = ""):
    """Anything else under /open311/: a 404 in the format the path asks for (XML, the spec's
    required format, when it names none)."""
    fmt = "json" if request.path.endswith(".json") else "xml"
    return error(fmt, 404, _("No Open311 resource at %(path)s.") % {"path": request.path})


# --- discovery and services -------------------------------------------------------------------


# Who to ask, when the deployment names nobody (FENGQIAO_OPEN311_CONTACT).
DEFAULT_CONTACT = gettext_lazy(
    "This service is run by the command centre of the city public security bureau: ask it for "
    "help with the service. In an emergency, call 110."
)


@endpoint("GET")
def discovery(request, *, fmt: str):
    """The service discovery document (http://wiki.open311.org/Service_Discovery)."""
    data = {
        "changeset": CHANGESET,
        "contact": settings.FENGQIAO_OPEN311_CONTACT or str(DEFAULT_CONTACT),
        "key_service": _("Ask the city bureau's command for an api_key."),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri("/open311/v2"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", data)


def public_categories():
    return Category.objects.filter(public=True, active=True).select_related("parent").order_by("code")


def _service_name(category: Category) -> str:
    english = translation.get_language() and translation.get_language().startswith("en")
    return category.name_en if english and category.name_en else category.name


def _service(category: Category) -> dict:
    keywords = [category.name, category.name_en, str(category.get_kind_display())]
    return {
        "service_code": category.code,
        "service_name": _service_name(category),
        "description": category.description,
        "metadata": False,
        "type": "realtime",
        "keywords": ", ".join(dict.fromkeys(k for k in keywords if k)),
        "group": _service_name(category.parent) if category.parent_id else "",
    }


def _public_category(code: str) -> Category:
    category = public_categories().filter(code=(code or "").strip()).first()
    if category is None:
        raise Open311Error(404, _("No service with the code %(code)s.") % {"code": code})
    return category


@endpoint("GET")
def services(request, *, fmt: str):
    return render(fmt, "services", [_service(c) for c in public_categories()])


@endpoint("GET")
def service_definition(request, code: str, *, fmt: str):
    """No service asks for extra attributes: the definition's list of them is empty."""
    category = _public_category(code)
    return render(fmt, "service_definition", {"service_code": category.code, "attributes": []})


# --- service requests -------------------------------------------------------------------------


def _request_row(event: Event) -> dict:
    station = event.grid.district.parent
    return {
        "service_request_id": event.number,
        "status": "open" if event.status in OPEN else "closed",
        "status_notes": str(event.status_label),
        "service_name": _service_name(event.category),
        "service_code": event.category.code,
        "description": event.description if event.channel == Channel.OPEN311 else "",
        "agency_responsible": station.name if station is not None else "",
        "service_notice": "",
        "requested_datetime": iso(event.opened_at),
        "updated_datetime": iso(event.updated or event.opened_at),
        "expected_datetime": None,
        "address": _community(event),
        "address_id": "",
        "zipcode": "",
        "lat": _rounded(event.lat),
        "long": _rounded(event.lon),
        "media_url": "",
    }


def _rounded(degrees: float | None) -> float | None:
    return None if degrees is None else round(degrees, PUBLIC_DECIMALS)


def _community(event: Event) -> str:
    """Where the request is, as far as the public is told: its community (with its township)."""
    community = event.grid.community
    township = community.parent
    return f"{township.name}{community.name}" if township is not None else community.name


def _public_requests():
    last_step = (
        TimelineEntry.objects.filter(case_type=Event.workflow.case_type, case_id=OuterRef("pk"))
        .values("case_id")
        .annotate(last=Max("at"))
        .values("last")
    )
    return (
        Event.objects.unscoped(reason=UNSCOPED_PUBLIC)
        .filter(category__shown_publicly=True)
        .select_related("category__parent", "grid__district__parent", "grid__community__parent")
        .annotate(updated=Subquery(last_step))
        .order_by("-opened_at", "-id")
    )


def _csv(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _moment(name: str, value: str) -> dt.datetime | None:
    """A w3c date-time (``2026-11-23T09:00:00+08:00``, or a bare date: its start, local time)."""
    if not value:
        return None
    # An unescaped "+" of an offset arrives as a space: "09:00:00 08:00" is "09:00:00+08:00".
    text = OFFSET_AS_SPACE.sub(r"+\1", value.strip())
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            moment = None if day is None else dt.datetime.combine(day, dt.time.min)
    except ValueError:  # well-formed but impossible: month 13, 25 o'clock
        moment = None
    if moment is None:
        raise Open311Error(
            400, _("%(name)s: give a date and time such as 2026-11-23T09:00:00+08:00.") % {"name": name}
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _list_requests(request, fmt: str) -> HttpResponse:
    params = request.GET
    events = _public_requests()
    ids = _csv(params.get("service_request_id", ""))
    if ids:  # the spec: the ids override every other parameter
        events = events.filter(number__in=ids[:MAX_REQUESTS])
    else:
        codes = _csv(params.get("service_code", ""))
        if codes:
            events = events.filter(category__code__in=codes)
        start = _moment("start_date", params.get("start_date", ""))
        end = _moment("end_date", params.get("end_date", ""))
        if start is None and end is None:
            start = timezone.now() - dt.timedelta(days=DEFAULT_DAYS)
        if start is not None:
            events = events.filter(opened_at__gte=start)
        if end is not None:
            events = events.filter(opened_at__lte=end)
        statuses = set(_csv(params.get("status", "")))
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status: say open or closed."))
        if statuses == {"open"}:
            events = events.filter(status__in=OPEN)
        elif statuses == {"closed"}:
            events = events.exclude(status__in=OPEN)
    return render(fmt, "service_requests", [_request_row(e) for e in events[:MAX_REQUESTS]])


@endpoint("GET", "POST")
def requests(request, *, fmt: str):
    if request.method == "POST":
        return _create_request(request, fmt)
    return _list_requests(request, fmt)


@endpoint("GET")
def request_detail(request, request_id: str, *, fmt: str):
    event = _public_requests().filter(number=request_id).first()
    if event is None:
        raise Open311Error(404, _("No service request %(id)s.") % {"id": request_id})
    return render(fmt, "service_requests", [_request_row(event)])


@endpoint("GET")
def token(request, token: str, *, fmt: str):
    """The request a token (our tracking code) stands for; the token is never given out by id."""
    event = actions.find_by_tracking_code(token)
    if event is None or not event.category.public:
        raise Open311Error(404, _("No service request has the token %(token)s.") % {"token": token})
    return render(
        fmt, "service_requests", [{"service_request_id": event.number, "token": event.tracking_code}]
    )


# --- POST requests ----------------------------------------------------------------------------


def _posted(request) -> dict:
    """The form the spec posts (application/x-www-form-urlencoded, or multipart), or a JSON object."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            raise Open311Error(400, _("The request body is not valid JSON.")) from None
        if not isinstance(data, dict):
            raise Open311Error(400, _("The request body is not a JSON object."))
        return {k: "" if v is None else str(v) for k, v in data.items()}
    return {k: request.POST.get(k, "") for k in request.POST}


def _place(data: dict) -> dict:
    """The spec requires a point (lat and long), an address_id or an address_string; whether
    they place the report is ``events.actions.build_report``'s to say."""
    place = {
        "address": data.get("address_id", "").strip() or None,
        "address_text": data.get("address_string", "").strip()[:400],
    }
    for name, ours in (("lat", "lat"), ("long", "lon")):
        value = data.get(name, "").strip()
        try:
            place[ours] = float(value) if value else None
        except ValueError:
            raise Open311Error(400, _("%(name)s: give a number.") % {"name": name}) from None
    if place["lat"] is None and place["lon"] is None and not place["address"] and not place["address_text"]:
        raise Open311Error(400, _("lat and long, address_string or address_id: one of them is required."))
    return place


def _reporter_name(first: str, last: str) -> str:
    """Chinese names run family name first and without a space; others "first last"."""
    first, last = first.strip(), last.strip()
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


def _create_request(request, fmt: str) -> HttpResponse:
    data = _posted(request)
    key = open311_keys.live_key(data.get("api_key"))
    if key is None:
        raise Open311Error(403, _("api_key: missing, unknown or revoked."))
    code = data.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, _("service_code: this field is required."))
    category = _public_category(code)
    try:
        report = actions.build_report(
            category=category,
            public_only=True,
            description=data.get("description", "").replace("\x00", "")[:10_000],
            reporter_name=_reporter_name(data.get("first_name", ""), data.get("last_name", ""))[:64],
            reporter_phone=data.get("phone", "")[:20],
            via=f"open311 key {key.name} ({key.prefix})",
            **_place(data),
        )
    except ValidationError as exc:
        raise Open311Error(400, _describe(exc)) from None
    # Anonymous, whoever's browser session came along: the reporter is the public.
    ip = request.META.get("REMOTE_ADDR")
    with acting_as(None, Source.API, request_id=getattr(request, "request_id", None), ip=ip):
        try:
            event = actions.report_event(report, actor=None, channel=Channel.OPEN311)
        except ValidationError as exc:
            raise Open311Error(400, _describe(exc)) from None
    notice = _("Keep the token %(token)s: with it you follow, rate and reopen your report.") % {
        "token": event.tracking_code
    }
    # GeoReport v2 answers an id or a token, never both: the request has its id at once.
    row = {
        "service_request_id": event.number,
        "service_notice": notice,
        "account_id": None,
    }
    # 200, as the spec's examples and the deployed servers answer: clients test for it.
    return render(fmt, "service_requests", [row])


# Our field names as the spec calls them, for errors raised by the events app.
SPEC_FIELDS = {
    "lon": "lat, long",
    "lat": "lat, long",
    "address": "address_id",
    "address_text": "address_string",
    "title": "description",
    "category": "service_code",
    "reporter_phone": "phone",
}


def _describe(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{SPEC_FIELDS.get(field, field)}: {message}"
            for field, messages in exc.message_dict.items()
            for message in messages
        )
    return "; ".join(exc.messages)
