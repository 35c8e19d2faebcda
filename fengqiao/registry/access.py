"""Reads of the registry's personal data: on the record, with a purpose, limited where they could
undo masking, and watched for unusual volume (docs/adr/0009).

- Every request that read people, houses or organisations writes one audit entry listing their
  ids by kind, with the reader's purpose, address and request id (``registry_read``, or
  ``registry_lookup`` when the request made an exact-number look-up), and one :class:`ReadLog`
  row beside it that the access history, the limit and the alerts query. The reads are collected
  as records load (``registry.reads``) and written once, at the end of the request, by
  :class:`ReadAuditMiddleware`, which the pages and the API both pass through.
- Staff state a purpose: the pages keep it in the session (chosen on ``/registry/purpose/``), the
  API takes it with each request as the ``X-Purpose`` header. A registry request without one is
  refused (API: 428) or sent to choose one (pages).
- An exact-number look-up (a whole ID number or phone) by a role that sees masked numbers is
  counted: past ``FENGQIAO_EXACT_LOOKUPS_PER_HOUR`` in an hour it is refused (429) and the user's
  superior is told, once an hour.
- One user reading more distinct people in an hour than ``FENGQIAO_READ_ALERT_PEOPLE_PER_HOUR``, or
  more than ``FENGQIAO_READ_ALERT_OFF_HOURS_PEOPLE`` outside working hours, tells their superior,
  once an hour (:func:`watch_reading`, which the worker runs every minute).
"""

import datetime as dt
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.actions import may_unlock
from fengqiao.core import audit, workcalendar
from fengqiao.core.models import AuditEntry
from fengqiao.core.notifications.actions import notify
from fengqiao.core.roles import Role
from fengqiao.core.scoping import is_staff
from fengqiao.geo.models import PoliceUnit
from fengqiao.registry import reads
from fengqiao.registry.choices import ReadPurpose
from fengqiao.registry.models import Person, PersonRead, ReadLog, ResidentLink
from fengqiao.registry.selectors import sees_whole_numbers

READ = audit.register("registry_read", "read personal data in the registry")
LOOKUP = audit.register("registry_lookup", "looked up a whole ID number or phone in the registry")
LOOKUP_REFUSED = audit.register("registry_lookup_refused", "was refused a look-up past the hourly limit")
READ_ALERT = audit.register("registry_read_alert", "read unusually many people")

PURPOSE_HEADER = "X-Purpose"
NOTE_HEADER = "X-Purpose-Note"  # percent-encoded UTF-8: HTTP headers carry no Chinese as such
SESSION_KEY = "registry_purpose"
NOTE_MAX = 200
HOUR = dt.timedelta(hours=1)

# The doors that need a purpose: the registry's API and pages, except their statistics (counts,
# no personal data) and the page that asks for the purpose.
API_PREFIX = "/api/v1/registry/"
WEB_PREFIX = "/registry/"
NO_PURPOSE_NEEDED = ("/api/v1/registry/statistics", "/registry/statistics/", "/registry/purpose/")


class LookupLimitReached(Exception):
    """An exact-number look-up past the hourly limit: answered 429."""

    def __init__(self):
        super().__init__(
            _(
                "You have made %(n)d look-ups by a whole ID number or phone in the last hour, the "
                "most allowed; your superior has been told. Try again later."
            )
            % {"n": exact_lookups_per_hour()}
        )


# --- settings --------------------------------------------------------------------------------------


def exact_lookups_per_hour() -> int:
    return settings.EXACT_LOOKUPS_PER_HOUR


def alert_people_per_hour() -> int:
    return settings.READ_ALERT_PEOPLE_PER_HOUR


def alert_off_hours_people() -> int:
    return settings.READ_ALERT_OFF_HOURS_PEOPLE


# --- purpose ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Purpose:
    code: str
    note: str = ""

    @property
    def label(self) -> str:
        text = str(ReadPurpose(self.code).label)
        return f"{text}: {self.note}" if self.note else text


class BadPurpose(ValueError):
    pass


def parse_purpose(code: str, note: str = "") -> Purpose:
    """A purpose from its code and note; "other" needs a note. Raises BadPurpose saying what is wrong."""
    code, note = (code or "").strip().lower(), " ".join((note or "").split())[:NOTE_MAX]
    if code not in ReadPurpose.values:
        raise BadPurpose(
            _("The purpose must be one of %(choices)s.") % {"choices": ", ".join(ReadPurpose.values)}
        )
    if code == ReadPurpose.OTHER and not note:
        raise BadPurpose(_("Say what the other purpose is."))
    return Purpose(code, note)


def session_purpose(session) -> Purpose | None:
    stored = session.get(SESSION_KEY) if session is not None else None
    if not stored:
        return None
    try:
        return parse_purpose(stored.get("code", ""), stored.get("note", ""))
    except (BadPurpose, AttributeError):
        return None


def keep_purpose(session, purpose: Purpose) -> None:
    """The pages' purpose, kept for the rest of the session (until changed)."""
    session[SESSION_KEY] = {"code": purpose.code, "note": purpose.note}


def header_purpose(request) -> Purpose | None:
    """The API's purpose: ``X-Purpose: <code>`` and, for "other", ``X-Purpose-Note``. None when no
    header was sent; BadPurpose when one was sent wrong."""
    code = request.headers.get(PURPOSE_HEADER, "")
    if not code.strip():
        return None
    note = urllib.parse.unquote(request.headers.get(NOTE_HEADER, ""), errors="replace")
    return parse_purpose(code, note)


# --- exact-number look-ups ------------------------------------------------------------------------


def lookups_in_last_hour(user, now: dt.datetime | None = None) -> int:
    since = (now or timezone.now()) - HOUR
    used = ReadLog.objects.filter(actor=user, at__gte=since, lookups__gt=0).aggregate(n=Sum("lookups"))["n"]
    return used or 0


def exact_lookup(user) -> None:
    """An exact look-up by a whole ID number or phone is about to answer ``user``: when their role
    sees masked numbers, it is counted (it goes on the request's read entry as ``registry_lookup``)
    and refused past the hourly limit (:class:`LookupLimitReached`), the superior told once an hour.
    Roles that see whole numbers look up freely (their reads are on the record all the same)."""
    if user is None or not getattr(user, "is_authenticated", False) or sees_whole_numbers(user):
        return
    collected = reads.current()
    pending = collected.lookups if collected is not None else 0
    if lookups_in_last_hour(user) + pending >= exact_lookups_per_hour():
        if collected is not None:
            collected.refused = True  # on the record at the end of the request, whatever rolls back
        else:
            _refuse_lookup(user)
        raise LookupLimitReached()
    if collected is not None:
        collected.lookups += 1
        return
    # Outside a request (an action called by the CLI): on the record at once.
    with reads.collecting() as alone:
        alone.lookups = 1
        flush(user, alone)


def _refuse_lookup(user) -> None:
    now = timezone.now()
    with transaction.atomic():
        told = _already_told(LOOKUP_REFUSED.name, f"{user.pk}", now)
        audit.record(
            LOOKUP_REFUSED,
            actor=user,
            object_type="registry.lookup_limit",
            object_id=str(user.pk),
            object_repr=str(user),
            after={"limit": exact_lookups_per_hour()},
        )
        if not told:
            _tell_superiors(
                user,
                kind="registry_lookup_limit",
                title=_("%(user)s reached the limit of look-ups by whole number")
                % {"user": _staff_label(user)},
                body=_(
                    "%(user)s made %(n)d look-ups by a whole ID number or phone within an hour; "
                    "further look-ups are refused for now."
                )
                % {"user": _staff_label(user), "n": exact_lookups_per_hour()},
            )


def _already_told(action: str, object_id: str, now: dt.datetime) -> bool:
    return AuditEntry.objects.filter(action=action, object_id=object_id, created_at__gte=now - HOUR).exists()


# --- superiors -------------------------------------------------------------------------------------


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:n]) for n in range(1, len(parts))]


def superiors_of(user) -> list:
    """Who answers for ``user``'s reading: the station chiefs over their postings; where there are
    none, the county bureau's staff over them; else the city command."""
    paths = user.scope_paths()
    above = {a for p in paths for a in _ancestors(p)} - set(paths)
    if not above:
        return []
    posted = [u for u in get_user_model().list_posted_at(*sorted(above)) if u.pk != user.pk]
    for role in (Role.STATION, Role.COUNTY_BUREAU, Role.CITY_COMMAND):
        found = [u for u in posted if u.role == role]
        if found:
            return found
    return []


def _staff_label(user) -> str:
    name = getattr(user, "full_name", "") or user.get_username()
    return f"{name} ({user.get_username()})" if name != user.get_username() else name


def _tell_superiors(user, *, kind: str, title: str, body: str) -> None:
    try:
        link = reverse("registry_staff_reads", args=[user.pk])
    except NoReverseMatch:
        link = ""
    paths = user.scope_paths()
    notify(
        superiors_of(user), kind=kind, title=title, body=body, link=link, scope_path=paths[0] if paths else ""
    )


# --- writing one request's reads -------------------------------------------------------------------


def flush(user, collected: reads.Reads) -> ReadLog | None:
    """Put what one request read on the record: one audit entry listing the ids by kind, and its
    ReadLog (with one PersonRead per person) for the access history, the limit and the alerts."""
    if not collected or user is None or not getattr(user, "is_authenticated", False):
        return None
    if collected.refused:
        with reads.paused():
            _refuse_lookup(user)
        if not (collected.lookups or any(collected.ids.values())):
            return None
    with reads.paused(), transaction.atomic():
        records = {kind: list(ids) for kind, ids in collected.ids.items() if ids}
        people = records.get(reads.PERSON, [])
        purpose = collected.purpose
        paths = user.scope_paths()
        entry = audit.record(
            LOOKUP if collected.lookups else READ,
            actor=user,
            object_type="registry.read",
            object_repr=", ".join(f"{kind} ×{len(ids)}" for kind, ids in records.items())[:200],
            after={
                "records": records,
                "purpose": purpose,
                "note": collected.note,
                "lookups": collected.lookups,
            },
            reason=str(ReadPurpose(purpose).label) if purpose in ReadPurpose.values else "",
        )
        log = ReadLog.objects.create(
            entry=entry,
            actor=user,
            at=entry.created_at,
            role=getattr(user, "role", "") or "",
            unit=paths[0] if paths else "",
            purpose=purpose,
            note=collected.note,
            people=len(people),
            lookups=collected.lookups,
        )
        if people:
            PersonRead.objects.bulk_create(
                [PersonRead(log=log, person_id=pk) for pk in people], batch_size=2000
            )
    return log


# --- unusual reading -------------------------------------------------------------------------------


def working_time(moment: dt.datetime) -> bool:
    """Within a working day's hours (from its first period's start to its last one's end: the
    lunch break is not "outside working hours")."""
    local = timezone.localtime(moment)
    calendar = workcalendar.calendar()
    if not calendar.is_working_day(local.date()):
        return False
    periods = calendar.periods
    return bool(periods) and periods[0][0] <= local.time() < periods[-1][1]


def people_read_since(user, since: dt.datetime) -> int:
    """Distinct people ``user`` read since ``since``."""
    return (
        PersonRead.objects.filter(log__actor=user, log__at__gte=since)
        .values("person_id")
        .distinct()
        .order_by()
        .count()
    )


def watch_reading(now: dt.datetime | None = None) -> int:
    """Unusual reading, checked by the worker every minute (off the request path, so that putting
    reads on the record stays cheap): each user who read more distinct people in the last hour than
    FENGQIAO_READ_ALERT_PEOPLE_PER_HOUR — or, outside working hours, than
    FENGQIAO_READ_ALERT_OFF_HOURS_PEOPLE — their superior is told, once an hour for each kind.
    Returns how many alerts were raised."""
    now = now or timezone.now()
    off_hours = not working_time(now)
    threshold = alert_off_hours_people() if off_hours else alert_people_per_hour()
    kind = "off_hours" if off_hours else "volume"
    since = now - HOUR
    # The sum of each user's reads over the hour bounds their distinct people from above: only
    # those whose sum passes are counted exactly.
    heavy = (
        ReadLog.objects.filter(at__gte=since)
        .values("actor_id")
        .annotate(n=Sum("people"))
        .filter(n__gte=threshold)
        .values_list("actor_id", flat=True)
    )
    raised = 0
    for user in get_user_model().objects.filter(pk__in=list(heavy)):
        if _already_told(READ_ALERT.name, f"{user.pk}:{kind}", now):
            continue
        distinct = people_read_since(user, since)
        if distinct < threshold:
            continue
        with transaction.atomic():
            _alert(user, kind=kind, distinct=distinct, threshold=threshold)
        raised += 1
    return raised


def _alert(user, *, kind: str, distinct: int, threshold: int) -> None:
    audit.record(
        READ_ALERT,
        actor=user,
        object_type="registry.read_alert",
        object_id=f"{user.pk}:{kind}",
        object_repr=str(user),
        after={"kind": kind, "people": distinct, "threshold": threshold},
    )
    label = _staff_label(user)
    if kind == "off_hours":
        title = _("%(user)s read %(n)d people outside working hours") % {"user": label, "n": distinct}
    else:
        title = _("%(user)s read %(n)d people within an hour") % {"user": label, "n": distinct}
    _tell_superiors(
        user,
        kind="registry_read_alert",
        title=title,
        body=_("Their reading in the last hour passed the alert threshold of %(n)d people.")
        % {"n": threshold},
    )


# --- the middleware: one collection per request, written at its end ---------------------------------


def _needs_purpose(path: str) -> bool:
    return path.startswith((API_PREFIX, WEB_PREFIX)) and not path.startswith(NO_PURPOSE_NEEDED)


def _json(message: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})


class ReadAuditMiddleware:
    """Collects what each request reads of the registry's personal data and writes it as one audit
    entry at the end; asks registry requests for their purpose; answers a look-up past the limit
    with 429."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path.startswith("/api/")
        purpose = None
        if api:
            try:
                purpose = header_purpose(request)
            except BadPurpose as error:
                if _needs_purpose(request.path):
                    return _json(f"{PURPOSE_HEADER}: {error}", 400)
            if purpose is None and _needs_purpose(request.path) and "Authorization" in request.headers:
                return _json(
                    _(
                        "State the purpose of this look-up in the %(header)s header: one of %(choices)s "
                        "(with %(note)s, percent-encoded, for other)."
                    )
                    % {
                        "header": PURPOSE_HEADER,
                        "choices": ", ".join(ReadPurpose.values),
                        "note": NOTE_HEADER,
                    },
                    428,
                )
        else:
            session = getattr(request, "session", None)
            purpose = session_purpose(session)
            if purpose is None and _needs_purpose(request.path) and is_staff(getattr(request, "user", None)):
                target = reverse("registry_purpose")
                return redirect(f"{target}?{urllib.parse.urlencode({'next': request.get_full_path()})}")
        with reads.collecting(purpose.code if purpose else "", purpose.note if purpose else "") as collected:
            try:
                response = self.get_response(request)
            finally:
                flush(getattr(request, "user", None), collected)
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, LookupLimitReached):
            return None
        if request.path.startswith("/api/"):
            response = _json(str(exception), 429)
        else:
            response = HttpResponse(str(exception), status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "3600"
        return response


# --- who read what ---------------------------------------------------------------------------------


def unit_names(paths) -> dict[str, str]:
    """The name of the police unit at or above each posting path (a grid's path names its district)."""
    wanted = {a for p in paths if p for a in [*_ancestors(p), p]}
    names = dict(PoliceUnit.objects.filter(path__in=wanted).values_list("path", "name"))
    out = {}
    for path in paths:
        for candidate in [path, *reversed(_ancestors(path))] if path else []:
            if candidate in names:
                out[path] = names[candidate]
                break
    return out


@dataclass(frozen=True)
class AccessLine:
    """One read of a person's record, as its access history shows it."""

    at: dt.datetime
    unit: str
    role: str
    purpose: str
    actor: str = ""  # the staff member; never shown to the resident


def _role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def _purpose_label(code: str, note: str) -> str:
    if code not in ReadPurpose.values:
        return _("not stated")
    return Purpose(code, note).label


def _lines(logs, *, with_actor: bool) -> list[AccessLine]:
    names = unit_names({log.unit for log in logs})
    return [
        AccessLine(
            at=log.at,
            unit=names.get(log.unit, log.unit),
            role=_role_label(log.role),
            purpose=_purpose_label(log.purpose, log.note),
            actor=log.actor.get_username() if with_actor else "",
        )
        for log in logs
    ]


# Who sees a person's access history: officers and above (the roles that may reveal), in scope.
HISTORY_ROLES = frozenset({Role.COMMUNITY_OFFICER, Role.STATION, Role.COUNTY_BUREAU, Role.CITY_COMMAND})


def may_see_access_history(user, person=None) -> bool:
    if not is_staff(user) or not (user.is_superuser or user.role in HISTORY_ROLES):
        return False
    return person is None or person.is_visible_to(user)


def access_history(user, person, *, limit: int = 100) -> list[AccessLine]:
    """Who read ``person``'s record, newest first: unit, role, purpose, time (and the staff member,
    for the officer reading it). Empty for a user without the right."""
    if not may_see_access_history(user, person):
        return []
    logs = [
        row.log
        for row in PersonRead.objects.filter(person_id=person.pk)
        .select_related("log", "log__actor")
        .order_by("-log_id")[:limit]
    ]
    return _lines(logs, with_actor=True)


REVIEW_ROLES = frozenset({Role.STATION, Role.COUNTY_BUREAU, Role.CITY_COMMAND})


def may_review_reads(actor, staff=None) -> bool:
    """A station chief (county, city) reviews the reading of the staff under them (``staff``, when
    given), as a superior unlocks their log-in."""
    if not is_staff(actor) or not (actor.is_superuser or actor.role in REVIEW_ROLES):
        return False
    return staff is None or may_unlock(actor, staff)


def reviewable_staff_or_404(actor, pk):
    """The member of staff ``pk`` if ``actor`` reviews their reading; 404 otherwise (missing or not
    theirs alike)."""
    staff = get_user_model().objects.filter(pk=pk).first()
    if staff is None or not may_review_reads(actor, staff):
        raise Http404
    return staff


@dataclass(frozen=True)
class StaffRead:
    """One request's reading by a member of staff, for their superior: when, why, whom."""

    at: dt.datetime
    purpose: str
    people: list  # Person records the superior may see, in the order read
    hidden: int  # people read whom the superior's own scope does not hold
    lookups: int


def staff_reads(actor, staff, *, days: int = 7, limit: int = 200) -> list[StaffRead]:
    """Whom ``staff`` read and why, over the last ``days`` days, newest first (superiors only)."""
    if not may_review_reads(actor, staff):
        return []
    since = timezone.now() - dt.timedelta(days=days)
    logs = list(ReadLog.objects.filter(actor=staff, at__gte=since).order_by("-at", "-id")[:limit])
    ids_of: dict[int, list[int]] = {log.pk: [] for log in logs}
    for log_id, person_id in PersonRead.objects.filter(log__in=logs).values_list("log_id", "person_id"):
        ids_of[log_id].append(person_id)
    wanted = {pk for ids in ids_of.values() for pk in ids}
    # Reading the names is the superior's own read of those people, and goes on the record as such.
    people = Person.objects.visible_to(actor).in_bulk(wanted) if wanted else {}
    return [
        StaffRead(
            at=log.at,
            purpose=_purpose_label(log.purpose, log.note),
            people=[people[pk] for pk in ids_of[log.pk] if pk in people],
            hidden=sum(1 for pk in ids_of[log.pk] if pk not in people),
            lookups=log.lookups,
        )
        for log in logs
    ]


def staff_to_review(actor) -> list:
    """The staff whose reading ``actor`` reviews, with how many people each read in the last week."""
    if not may_review_reads(actor):
        return []
    since = timezone.now() - dt.timedelta(days=7)
    readers = (
        ReadLog.objects.filter(at__gte=since)
        .values("actor_id")
        .annotate(people=Sum("people"), lookups=Sum("lookups"))
        .order_by("-people")
    )
    counts = {row["actor_id"]: row for row in readers}
    users = get_user_model().objects.filter(pk__in=counts).prefetch_related("postings")
    return [
        (user, counts[user.pk]["people"], counts[user.pk]["lookups"])
        for user in sorted(users, key=lambda u: -counts[u.pk]["people"])
        if may_review_reads(actor, user)
    ]


def reads_of_my_record(user, *, limit: int = 200) -> list[AccessLine] | None:
    """For a resident whose account is linked to their person record: which units read it, when
    and why (PIPL's right to know), never the officers' names. None when the account is not linked."""
    link = ResidentLink.objects.filter(user=user).values_list("person_id", flat=True).first()
    if link is None:
        return None
    logs = [
        row.log
        for row in PersonRead.objects.filter(person_id=link)
        .exclude(log__actor=user)
        .select_related("log")
        .order_by("-log_id")[:limit]
    ]
    return _lines(logs, with_actor=False)


def person_by_whole_id_number(user, id_number: str, *, current_only: bool = False):
    """The person in ``user``'s scope with this (normalised) whole ID number, or None: an exact
    look-up, counted and limited for roles that see masked numbers. Every door that names a person
    by their ID number (a house's owner, a dispute's party, a form's person field) asks here."""
    exact_lookup(user)
    people = Person.objects.visible_to(user).filter(id_number=id_number)
    if current_only:
        people = people.filter(retired_at__isnull=True)
    return people.select_related("current_address").first()
