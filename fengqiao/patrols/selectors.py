"""Reads of teams, plans and patrols, always scoped.

Staff read through their scope (``visible_to``). A volunteer, posted nowhere, reads only through
their own membership: their team or teams, those teams' active plans (their patrol tasks), and
their own patrols. Anything else is a 404, as a missing row is.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Count, F, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core.params import ParamFilter
from fengqiao.core.scoping import OutOfScope, get_visible_or_404, is_staff, scope_q
from fengqiao.events.choices import Offence
from fengqiao.events.models import Event
from fengqiao.geo.models import Grid
from fengqiao.patrols import conf
from fengqiao.patrols.actions import UNSCOPED_MEMBERSHIP, plans_usable_by, volunteer_team_ids
from fengqiao.patrols.choices import TeamKind, VisitTarget
from fengqiao.patrols.models import Checkpoint, Member, Passage, Patrol, Plan, Scan, Team, Visit
from fengqiao.registry import reads
from fengqiao.registry.choices import ReadPurpose, SpecialTrade
from fengqiao.registry.models import CareTag, House, Organisation
from fengqiao.registry.selectors import may_view_care_tags

UNSCOPED_OWN_PATROLS = "patrols: a volunteer reads their own patrols"


def teams_for(user):
    if is_staff(user):
        return Team.objects.visible_to(user)
    return Team.objects.unscoped(reason=UNSCOPED_MEMBERSHIP).filter(pk__in=volunteer_team_ids(user))


def team_for(user, pk) -> Team:
    team = teams_for(user).filter(pk=pk).select_related("grid", "unit", "community", "leader").first()
    if team is None:
        raise OutOfScope("No volunteer team matches the given query.")
    return team


def plans_for(user):
    if is_staff(user):
        return Plan.objects.visible_to(user)
    return plans_usable_by(user)


def members_for(user):
    """The members of the teams the user reads (:func:`teams_for`)."""
    return Member.objects.filter(team__in=teams_for(user))


def plan_for(user, pk) -> Plan:
    plan = plans_for(user).filter(pk=pk).select_related("team", "grid", "unit").first()
    if plan is None:
        raise OutOfScope("No patrol plan matches the given query.")
    return plan


def patrols_for(user):
    if is_staff(user):
        return Patrol.objects.visible_to(user)
    return Patrol.objects.unscoped(reason=UNSCOPED_OWN_PATROLS).filter(patroller=user)


def patrol_for(user, pk) -> Patrol:
    try:
        patrol = patrols_for(user).filter(pk=pk).select_related("patroller", "team", "plan").first()
    except (ValueError, TypeError):  # not a UUID
        patrol = None
    if patrol is None:
        raise OutOfScope("No patrol matches the given query.")
    return patrol


def own_patrol(user, pk) -> Patrol:
    """A patrol the user is walking (the phone's uploads): theirs, or a 404."""
    patrol = patrol_for(user, pk)
    if patrol.patroller_id != user.pk:
        raise OutOfScope("No patrol matches the given query.")
    return patrol


@dataclass
class CheckpointState:
    checkpoint: Checkpoint
    scanned_at: dt.datetime | None  # the first scan within a window that day


def completion(plan: Plan, day: dt.date) -> tuple[list[CheckpointState], int]:
    """The plan's checkpoints on one local day, each with its first scan within a window, and the
    share scanned in their windows (percent)."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = start + dt.timedelta(days=1)
    checkpoints = list(plan.checkpoints.all())
    firsts = dict(
        Scan.objects.filter(checkpoint__plan=plan, in_window=True, at__gte=start, at__lt=end)
        .values("checkpoint")
        .annotate(first=Min("at"))
        .values_list("checkpoint", "first")
    )
    states = [CheckpointState(c, firsts.get(c.pk)) for c in checkpoints]
    done = sum(1 for s in states if s.scanned_at)
    return states, round(100 * done / len(states)) if states else 0


@dataclass
class Record:
    """A patroller's own record: their patrols, hours, distance, scans and findings."""

    patrols: list
    count: int
    hours: float
    km: float
    scans: int
    findings: int


def record_of(user, *, limit: int = 50) -> Record:
    patrols = list(
        Patrol.objects.unscoped(reason=UNSCOPED_OWN_PATROLS)
        .filter(patroller=user)
        .annotate(scan_count=Count("scans", distinct=True), finding_count=Count("findings", distinct=True))
        .select_related("team", "plan")
        .order_by("-started_at")
    )
    return Record(
        patrols=patrols[:limit],
        count=len(patrols),
        hours=round(sum(p.hours for p in patrols), 1),
        km=round(sum(p.distance_m for p in patrols) / 1000, 1),
        scans=sum(p.scan_count for p in patrols),
        findings=sum(p.finding_count for p in patrols),
    )


def map_features(user, *, day: dt.date | None = None) -> dict:
    """GeoJSON for the patrol map: the day's tracks in the user's scope, and the outlines of the
    active grids in scope that no patrol passed through in ``FENGQIAO_PATROL_STALE_DAYS``."""
    day = day or timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    features = []
    for patrol in (
        patrols_for(user)
        .filter(started_at__gte=start, started_at__lt=start + dt.timedelta(days=1))
        .exclude(track=None)
        .select_related("patroller", "team")
    ):
        features.append(
            {
                "type": "Feature",
                "geometry": patrol.track["geometry"],
                "properties": {
                    "kind": "track",
                    "name": str(patrol.team or patrol.patroller),
                    "started": timezone.localtime(patrol.started_at).strftime("%H:%M"),
                },
            }
        )
    for grid in stale_grids(user, now=timezone.now()):
        features.append(
            {
                "type": "Feature",
                "geometry": grid.geometry,
                "properties": {"kind": "stale", "name": grid.name, "code": grid.code},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def stale_grids(user, *, now: dt.datetime):
    """Active grids in the user's scope that no patrol passed through in the last N days."""
    since = now - dt.timedelta(days=conf.stale_days())
    patrolled = Passage.objects.filter(last_at__gte=since).values("grid_id")
    if not is_staff(user):
        return Grid.objects.none()
    return Grid.objects.visible_to(user).filter(is_active=True).exclude(pk__in=patrolled).order_by("code")


# --- household visits and arrivals at the scene ----------------------------------------------------

ELDERLY_AGE = 60  # 独居老人: a household of one person of this age or older
MUST_VISIT_LIMIT = 300


def reading_for_a_visit() -> None:
    """The homes and businesses a visit's pages and API read go on the read record (registry.access,
    ADR 0009) with the purpose of a home visit, unless the reader stated another."""
    collected = reads.current()
    if collected is not None and not collected.purpose:
        collected.purpose = ReadPurpose.VISIT


def visits_for(user):
    return Visit.objects.visible_to(user)


def visit_place(user, target: str, code: str) -> House | Organisation:
    """The place a visit went to, as the phone names it: a home by its standard address's code, a
    business by its credit code, in ``user``'s scope. ValidationError on ``place`` otherwise."""
    code = str(code or "").strip()
    if not code:
        raise ValidationError({"place": [_("This field is required.")]})
    if target == VisitTarget.HOUSEHOLD:
        house = House.objects.visible_to(user).filter(address__code=code).first()
        if house is None:
            raise ValidationError(
                {"place": [_("No house with the address code %(code)s in your scope.") % {"code": code}]}
            )
        return house
    if target == VisitTarget.BUSINESS:
        organisation = Organisation.objects.visible_to(user).filter(credit_code=code).first()
        if organisation is None:
            raise ValidationError({"place": [_("No organisation with this credit code in your scope.")]})
        return organisation
    raise ValidationError({"target": [_("Unknown value: %(value)s.") % {"value": target}]})


def visit_for(user, pk) -> Visit:
    reading_for_a_visit()
    return get_visible_or_404(
        Visit.objects.select_related("officer", "house__address", "organisation", "grid", "finding"),
        user,
        pk=pk,
    )


def week_start(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return today - dt.timedelta(days=today.weekday())


def _week_bounds(today: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    start = week_start(today)
    tz = timezone.get_current_timezone()
    begin = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    return begin, begin + dt.timedelta(days=7)


@dataclass(frozen=True)
class QuotaProgress:
    target: str
    label: str
    done: int  # distinct households (businesses) visited this week
    quota: int

    @property
    def met(self) -> bool:
        return self.done >= self.quota


def week_progress(user, today: dt.date | None = None) -> list[QuotaProgress]:
    """The week's (Monday to Sunday) quota of ``user``: distinct households and businesses they
    visited against ``conf.visit_quota()``; visiting one home twice counts once."""
    begin, end = _week_bounds(today)
    mine = visits_for(user).filter(officer=user, visited_at__gte=begin, visited_at__lt=end)
    households = mine.filter(target=VisitTarget.HOUSEHOLD).values("house").distinct().count()
    businesses = mine.filter(target=VisitTarget.BUSINESS).values("organisation").distinct().count()
    quota = conf.visit_quota()
    return [
        QuotaProgress(VisitTarget.HOUSEHOLD, VisitTarget.HOUSEHOLD.label, households, quota["household"]),
        QuotaProgress(VisitTarget.BUSINESS, VisitTarget.BUSINESS.label, businesses, quota["business"]),
    ]


@dataclass
class MustVisit:
    house: House | None = None
    organisation: Organisation | None = None
    reasons: list = field(default_factory=list)
    visited: bool = False  # already this week, by anyone


def must_visit(user, today: dt.date | None = None) -> list[MustVisit]:
    """The homes and businesses in ``user``'s scope that must be visited: elderly people living
    alone, homes of people in a care group (only for those who may see care tags), rented homes,
    and businesses in special trades; the ones not yet visited this week first.

    A read of personal data: the houses and businesses load into the request's read log, which
    is written with the purpose of a home visit (registry.access, ADR 0009)."""
    reading_for_a_visit()
    today = today or timezone.localdate()
    houses = House.objects.visible_to(user).filter(retired_at__isnull=True)
    try:
        cutoff = today.replace(year=today.year - ELDERLY_AGE)
    except ValueError:  # 29 February
        cutoff = today.replace(year=today.year - ELDERLY_AGE, day=28)
    reasons: dict[int, list] = {}

    def mark(pks, reason):
        for pk in pks:
            reasons.setdefault(pk, []).append(reason)

    mark(
        houses.filter(occupant_count=1)
        .filter(
            Q(residences__end_date__isnull=True, residences__person__birth_date__lte=cutoff)
            | Q(address__people__birth_date__lte=cutoff, address__people__retired_at__isnull=True)
        )
        .values_list("pk", flat=True)
        .distinct(),
        _("elderly living alone"),
    )
    if may_view_care_tags(user):
        tagged = CareTag.objects.visible_to(user).filter(retired_at__isnull=True).values("person")
        mark(
            houses.filter(
                Q(residences__end_date__isnull=True, residences__person__in=tagged)
                | Q(address__people__in=tagged)
            )
            .values_list("pk", flat=True)
            .distinct(),
            _("care group"),
        )
    mark(houses.filter(is_rented=True).values_list("pk", flat=True), _("rented home"))
    begin, end = _week_bounds(today)
    week = visits_for(user).filter(visited_at__gte=begin, visited_at__lt=end)
    seen_houses = set(week.exclude(house=None).values_list("house", flat=True))
    seen_orgs = set(week.exclude(organisation=None).values_list("organisation", flat=True))
    rows = [
        MustVisit(house=h, reasons=reasons[h.pk], visited=h.pk in seen_houses)
        for h in House.objects.visible_to(user)
        .filter(pk__in=list(reasons)[:MUST_VISIT_LIMIT])
        .select_related("address", "grid")
    ]
    trades = Q(hotel=True) | Q(internet_cafe=True) | Q(logistics=True) | Q(hazardous_goods=True)
    for org in (
        Organisation.objects.visible_to(user)
        .filter(trades, retired_at__isnull=True)
        .select_related("address", "grid")
        .order_by("name")[:MUST_VISIT_LIMIT]
    ):
        reasons_of = [str(SpecialTrade(t).label) for t in org.special_trades]
        rows.append(MustVisit(organisation=org, reasons=reasons_of, visited=org.pk in seen_orgs))
    rows.sort(key=lambda r: (r.visited, r.house is None, str(r.house or r.organisation)))
    return rows


def arrival_deadline() -> dt.timedelta:
    return dt.timedelta(minutes=conf.arrival_minutes())


def late_cases(user):
    """The criminal cases in ``user``'s scope whose district officer did not reach the scene within
    ``FENGQIAO_ARRIVAL_MINUTES`` of the case's opening: arrived late, or not at all once the time
    has passed."""
    limit = arrival_deadline()
    cases = Event.objects.visible_to(user).filter(
        offence=Offence.CRIMINAL, opened_at__lte=timezone.now() - limit
    )
    return cases.filter(Q(arrival__isnull=True) | Q(arrival__arrived_at__gt=F("opened_at") + limit))


def late_arrivals(user, *, since: dt.datetime | None = None):
    """:func:`late_cases` for the board, oldest first."""
    cases = late_cases(user)
    if since is not None:
        cases = cases.filter(opened_at__gte=since)
    return cases.select_related("grid", "arrival", "arrival__officer", "category").order_by("opened_at")


# --- the lists the command room's figures link to (``patrols.figures``) ------------------------------


def _active(qs, value: str, name: str):
    if value == "1":
        return qs.filter(is_active=True)
    if value == "0":
        return qs.filter(is_active=False)
    if value:
        raise ValidationError({name: [_("Unknown value: %(value)s.") % {"value": value}]})
    return qs


@dataclass
class TeamFilter(ParamFilter):
    """``?unit=<tree path>&active=1``: the teams serving at or under a node."""

    unit: str = ""
    active: str = ""  # "1" active, "0" stood down
    kind: str = ""

    def apply(self, qs):
        if self.unit:
            qs = self._under(qs, self.unit)
        if self.kind:
            qs = qs.filter(kind=self._choice("kind", TeamKind.values))
        return _active(qs, self.active, "active")


@dataclass
class MemberFilter(ParamFilter):
    """``?unit=<tree path>&active=1``: the members of the teams serving at or under a node."""

    unit: str = ""
    active: str = ""  # "1": active members of active teams

    def apply(self, qs):
        if self.unit:
            vendor = connections[qs.db].vendor
            qs = qs.filter(scope_q([self.unit.rstrip("/")], "team__scope_path", vendor=vendor))
        qs = _active(qs, self.active, "active")
        return qs.filter(team__is_active=True) if self.active == "1" else qs


@dataclass
class PatrolFilter(ParamFilter):
    """``?unit=<tree path>&started_from=…&started_to=…`` (inclusive days) ``&finished=1`` (ended)."""

    unit: str = ""
    started_from: str = ""
    started_to: str = ""
    finished: str = ""  # "1" ended, "0" under way

    def apply(self, qs):
        if self.unit:
            qs = self._under(qs, self.unit)
        if self.finished:
            ended = self._choice("finished", ("0", "1")) == "1"
            qs = qs.filter(ended_at__isnull=not ended)
        return self._between(qs, "started_at", "started_from", "started_to")


@dataclass
class VisitFilter(ParamFilter):
    """``?unit=<tree path>&visited_from=…&visited_to=…&target=household``."""

    unit: str = ""
    visited_from: str = ""
    visited_to: str = ""
    target: str = ""

    def apply(self, qs):
        if self.unit:
            qs = self._under(qs, self.unit)
        if self.target:
            qs = qs.filter(target=self._choice("target", VisitTarget.values))
        return self._between(qs, "visited_at", "visited_from", "visited_to")


@dataclass
class ArrivalFilter(ParamFilter):
    """``?unit=<tree path>&opened_from=…&opened_to=…``: the late cases opened on those days."""

    unit: str = ""
    opened_from: str = ""
    opened_to: str = ""

    def apply(self, qs):
        if self.unit:
            qs = self._under(qs, self.unit)
        return self._between(qs, "opened_at", "opened_from", "opened_to")


def visible_house(user, pk) -> House:
    return get_visible_or_404(House.objects.select_related("address"), user, pk=pk)


def visible_organisation(user, pk) -> Organisation:
    return get_visible_or_404(Organisation.objects, user, pk=pk)
