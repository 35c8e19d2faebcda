"""Every change to teams, plans and patrols: one function per operation, in a transaction, with its
permission check and its audit entry.

What a phone sends (a start, a batch of positions, a scan, a finding, a photo, the end) carries the
phone's own ids, and each action is an idempotent upsert on them: a phone that lost the answer and
sends the same thing again gets the same row back, never a second one. A finding goes into the
closed loop through the events' own intake (``events.actions.build_report`` and ``report_event``).
"""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.roles import Role
from fengqiao.core.scoping import OutOfScope, is_staff, is_under, path_within, scope_prefixes
from fengqiao.core.uploads import check_upload
from fengqiao.events import actions as events
from fengqiao.events.choices import Channel
from fengqiao.events.models import Event
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.locator import OutsideTerritory
from fengqiao.geo.models import Grid, PoliceUnit
from fengqiao.patrols import conf, rules, tracks
from fengqiao.patrols.choices import FindingKind, TeamKind, TrackSource, VisitTarget
from fengqiao.patrols.models import (
    Arrival,
    Checkpoint,
    Finding,
    Member,
    Passage,
    Patrol,
    Photo,
    Plan,
    Scan,
    Team,
    TrackPoint,
    Visit,
)
from fengqiao.registry.models import House, Organisation
from fengqiao.registry.validators import InvalidValue, parse_id_number, parse_phone

TEAM_CREATE = audit.register("patrol_team_create", "created a volunteer team")
MEMBER_ADD = audit.register("patrol_member_add", "added a team member")
MEMBER_ACTIVE = audit.register("patrol_member_active", "changed whether a team member is active")
PLAN_CREATE = audit.register("patrol_plan_create", "created a patrol plan")
CHECKPOINT_ADD = audit.register("patrol_checkpoint_add", "added a checkpoint")
PATROL_START = audit.register("patrol_start", "started a patrol")
PATROL_POINTS = audit.register("patrol_points", "sent patrol positions")
PATROL_SCAN = audit.register("patrol_scan", "scanned a checkpoint")
PATROL_FINDING = audit.register("patrol_finding", "reported a finding on patrol")
PATROL_PHOTO = audit.register("patrol_photo", "added a photo to a patrol")
PATROL_END = audit.register("patrol_end", "ended a patrol")
PATROL_IMPORT = audit.register("patrol_import_gpx", "imported a patrol track from GPX")

UNSCOPED_MEMBERSHIP = "patrols: a volunteer's teams are found by their own membership"
UNSCOPED_OWN = "patrols: the action re-reads under a lock the patrol its own patroller changes"
UNSCOPED_CODE = "patrols: a checkpoint code is looked up, then checked against the patroller's plans"


# --- who may ---------------------------------------------------------------------------------


def memberships(user):
    """The active memberships of a volunteer's account in active teams."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Member.objects.none()
    return Member.objects.filter(user=user, is_active=True, team__is_active=True).select_related("team")


def volunteer_team_ids(user) -> list[int]:
    return list(memberships(user).values_list("team_id", flat=True))


def is_volunteer(user) -> bool:
    """A volunteer account that is an active member of an active team."""
    return (
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role == Role.VOLUNTEER
        and memberships(user).exists()
    )


def may_manage_teams(user) -> bool:
    """Staff keep the teams, plans and checkpoints of their area."""
    return is_staff(user)


def may_patrol(user) -> bool:
    return is_staff(user) or is_volunteer(user)


def _require_manage(user) -> None:
    if not may_manage_teams(user):
        raise PermissionDenied(_("Only staff keep volunteer teams and patrol plans."))


def _text(value, field: str, *, limit: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: [_("This field is required.")]})
    if len(text) > limit:
        raise ValidationError({field: [_("At most %(n)s characters.") % {"n": limit}]})
    return text


def _place(actor, grid: Grid | None, unit: PoliceUnit | None) -> tuple[Grid | None, PoliceUnit | None]:
    """A grid, or a police district, in the actor's area."""
    if (grid is None) == (unit is None):
        raise ValidationError({"grid": [_("Choose the grid or the police district it serves.")]})
    prefixes = scope_prefixes(actor)
    if grid is not None and not (grid.is_active and path_within(grid.scope_path, prefixes)):
        raise ValidationError({"grid": [_("Choose a grid in your area.")]})
    if unit is not None and not (unit.kind == UnitKind.DISTRICT and path_within(unit.path, prefixes)):
        raise ValidationError({"unit": [_("Choose a police district in your area.")]})
    return grid, unit


# --- teams -----------------------------------------------------------------------------------


def create_team(
    *, actor, name: str, kind: str, grid: Grid | None = None, unit: PoliceUnit | None = None, party_branch=""
) -> Team:
    _require_manage(actor)
    name = _text(name, "name", limit=100)
    if kind not in TeamKind.values:
        raise ValidationError({"kind": [_("Unknown value: %(value)s.") % {"value": kind}]})
    grid, unit = _place(actor, grid, unit)
    with transaction.atomic():
        team = Team(
            name=name,
            kind=kind,
            grid=grid,
            unit=unit,
            community=grid.community if grid is not None else None,
            party_branch=_text(party_branch, "party_branch", limit=100, required=False),
            created_by=actor,
        )
        team.save()
        audit.record(TEAM_CREATE, team, actor=actor, after={"kind": kind, "place": team.scope_path})
    return team


def add_member(
    team: Team,
    *,
    actor,
    name: str = "",
    id_number: str = "",
    phone: str = "",
    person=None,
    user=None,
    joined_on: dt.date | None = None,
    leader: bool = False,
) -> Member:
    """Add a member: a registry person the actor may see, or one entered with a checked ID number
    (a registry person with that number in the actor's area is linked); an account of the
    volunteer role lets them log in and patrol."""
    _require_manage(actor)
    if not team.is_visible_to(actor):
        raise PermissionDenied(_("This team is outside your area."))
    if person is not None and not person.is_visible_to(actor):
        raise ValidationError({"person": [_("Nobody like this is recorded in your area.")]})
    number = ""
    if str(id_number or "").strip():
        try:
            number = parse_id_number(id_number).number
        except InvalidValue as error:
            raise ValidationError({"id_number": [error.reason]}) from None
    if person is None and number:
        from fengqiao.registry.access import person_by_whole_id_number

        person = person_by_whole_id_number(actor, number, current_only=True)
    if person is None and not number:
        raise ValidationError(
            {"id_number": [_("Give the member's ID number, or choose them in the registry.")]}
        )
    checked_phone = ""
    if str(phone or "").strip():
        try:
            checked_phone = parse_phone(phone)
        except InvalidValue as error:
            raise ValidationError({"phone": [error.reason]}) from None
    name = str(name or "").strip() or (person.name if person is not None else "")
    name = _text(name, "name", limit=64)
    if person is not None:
        number = number or person.id_number
        checked_phone = checked_phone or person.phone
    if user is not None and (user.role != Role.VOLUNTEER or not user.is_active):
        raise ValidationError({"user": [_("%(name)s is not an active volunteer account.") % {"name": user}]})
    if number and team.members.filter(id_number=number).exists():
        raise ValidationError({"id_number": [_("This person is already a member of the team.")]})
    if user is not None and team.members.filter(user=user).exists():
        raise ValidationError({"user": [_("This account already belongs to a member of the team.")]})
    with transaction.atomic():
        member = Member.objects.create(
            team=team,
            person=person,
            user=user,
            name=name,
            id_number=number,
            phone=checked_phone[:20],
            joined_on=joined_on or timezone.localdate(),
        )
        if leader:
            Team.objects.unscoped(reason="patrols: the team just checked").filter(pk=team.pk).update(
                leader=member
            )
            team.leader = member
        audit.record(
            MEMBER_ADD,
            team,
            actor=actor,
            after={"member": member.pk, "person": member.person_id, "account": bool(user), "leader": leader},
        )
    return member


def set_member_active(member: Member, active: bool, *, actor) -> Member:
    _require_manage(actor)
    if not member.team.is_visible_to(actor):
        raise PermissionDenied(_("This team is outside your area."))
    with transaction.atomic():
        Member.objects.filter(pk=member.pk).update(is_active=bool(active))
        member.is_active = bool(active)
        audit.record(
            MEMBER_ACTIVE, member.team, actor=actor, after={"member": member.pk, "active": member.is_active}
        )
    return member


# --- plans -----------------------------------------------------------------------------------


def create_plan(
    *,
    actor,
    name: str,
    windows,
    team: Team | None = None,
    grid: Grid | None = None,
    unit: PoliceUnit | None = None,
    officers=(),
) -> Plan:
    """A plan for a team (serving where the team serves, unless a place is given) or for named
    officers (a place must be given)."""
    _require_manage(actor)
    name = _text(name, "name", limit=100)
    windows = (
        rules.parse_windows(windows)
        if isinstance(windows, str)
        else rules.parse_windows(rules.windows_text(windows))
    )
    if team is not None and not team.is_visible_to(actor):
        raise ValidationError({"team": [_("Choose a team in your area.")]})
    if team is None and not officers:
        raise ValidationError({"team": [_("Assign the plan to a team or to officers.")]})
    if team is not None and grid is None and unit is None:
        grid, unit = team.grid, team.unit
    grid, unit = _place(actor, grid, unit)
    officers = list(officers)
    for officer in officers:
        if not is_staff(officer):
            raise ValidationError({"officers": [_("%(name)s is not staff.") % {"name": officer}]})
    with transaction.atomic():
        plan = Plan(name=name, team=team, grid=grid, unit=unit, windows=windows, created_by=actor)
        plan.save()
        if officers:
            plan.officers.set(officers)
        audit.record(
            PLAN_CREATE,
            plan,
            actor=actor,
            after={
                "team": team.pk if team else None,
                "windows": windows,
                "officers": [o.pk for o in officers],
            },
        )
    return plan


def add_checkpoint(plan: Plan, *, actor, name: str, lon, lat) -> Checkpoint:
    _require_manage(actor)
    if not plan.is_visible_to(actor):
        raise PermissionDenied(_("This plan is outside your area."))
    name = _text(name, "name", limit=100)
    lon, lat = rules.check_position(lon, lat)
    with transaction.atomic():
        checkpoint = Checkpoint(plan=plan, name=name, lon=lon, lat=lat, position=plan.checkpoints.count() + 1)
        for _attempt in range(5):  # a random code that another checkpoint holds: draw again
            try:
                with transaction.atomic():
                    checkpoint.save()
                break
            except IntegrityError:
                checkpoint.code = Checkpoint._meta.get_field("code").get_default()
        audit.record(CHECKPOINT_ADD, plan, actor=actor, after={"checkpoint": checkpoint.code, "name": name})
    return checkpoint


def plans_usable_by(user):
    """The active plans a patroller may patrol: those of their teams (volunteers), those in their
    area or naming them (staff)."""
    plans = Plan.objects.unscoped(reason="patrols: the plans a patroller may patrol").filter(is_active=True)
    if is_staff(user):
        prefixes = scope_prefixes(user)
        if prefixes is None:
            return plans
        mine = Plan.objects.visible_to(user).values("pk")
        return plans.filter(Q(pk__in=mine) | Q(officers=user)).distinct()
    return plans.filter(team_id__in=volunteer_team_ids(user))


# --- patrols ---------------------------------------------------------------------------------


def _patrol_place(actor, plan: Plan | None) -> tuple[str, Team | None]:
    if plan is not None:
        return plan.scope_path, plan.team
    if is_staff(actor):
        paths = scope_prefixes(actor)
        if not paths:
            raise PermissionDenied(_("You are posted nowhere: there is no area to patrol."))
        return paths[0], None
    member = memberships(actor).order_by("pk").first()
    return member.team.scope_path, member.team


def _uuid(value, field: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise ValidationError({field: [_("Give the id the phone made (a UUID).")]}) from None


def start_patrol(*, actor, id, started_at: dt.datetime | None = None, plan: Plan | None = None) -> Patrol:
    """Start a patrol under the phone's id; the same start sent again is the same patrol."""
    if not may_patrol(actor):
        raise PermissionDenied(_("Only staff and the members of a volunteer team patrol."))
    pk = _uuid(id, "id")
    now = timezone.now()
    started_at = rules.check_time(started_at or now, "started_at", now=now)
    existing = Patrol.objects.unscoped(reason=UNSCOPED_OWN).filter(pk=pk).first()
    if existing is not None:
        if existing.patroller_id != actor.pk:
            raise ValidationError({"id": [_("This id belongs to another patrol.")]})
        return existing
    if plan is not None and not plans_usable_by(actor).filter(pk=plan.pk).exists():
        raise ValidationError({"plan": [_("Choose a plan of your team or your area.")]})
    scope_path, team = _patrol_place(actor, plan)
    try:
        with transaction.atomic():
            patrol = Patrol.objects.create(
                id=pk, patroller=actor, team=team, plan=plan, started_at=started_at, scope_path=scope_path
            )
            audit.record(PATROL_START, patrol, actor=actor, after={"plan": plan.pk if plan else None})
    except IntegrityError:  # the same start, sent twice at once
        return start_patrol(actor=actor, id=pk, started_at=started_at, plan=plan)
    return patrol


def _own_locked(patrol: Patrol, actor) -> Patrol:
    if patrol.patroller_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the patroller adds to their patrol."))
    return Patrol.objects.unscoped(reason=UNSCOPED_OWN).select_for_update().get(pk=patrol.pk)


def add_points(patrol: Patrol, points: list[dict], *, actor) -> int:
    """Keep a batch of positions ({seq, at, lon, lat, accuracy}); a position already kept (the
    same ``seq``) is skipped. Rebuilds the track and its coverage. Returns how many were new;
    the ``patrol`` given is brought up to date (its point count, length, last time)."""
    if len(points) > rules.MAX_POINTS_PER_BATCH:
        raise ValidationError(
            {"points": [_("At most %(n)s positions in one batch.") % {"n": rules.MAX_POINTS_PER_BATCH}]}
        )
    now = timezone.now()
    checked = {}
    for i, point in enumerate(points):
        lon, lat = rules.check_position(point["lon"], point["lat"], f"points.{i}")
        at = rules.check_time(point["at"], f"points.{i}.at", now=now, not_before=patrol.started_at)
        accuracy = point.get("accuracy")
        checked.setdefault(int(point["seq"]), (at, lon, lat, None if accuracy is None else float(accuracy)))
    if not checked:
        return 0
    given = patrol
    with transaction.atomic():
        patrol = _own_locked(patrol, actor)
        # What a phone sends again is mostly what the server has: skip it before making rows.
        known = set(
            TrackPoint.objects.filter(
                patrol_id=patrol.pk, seq__gte=min(checked), seq__lte=max(checked)
            ).values_list("seq", flat=True)
        )
        rows = [
            TrackPoint(patrol_id=patrol.pk, seq=seq, at=at, lon=lon, lat=lat, accuracy=accuracy)
            for seq, (at, lon, lat, accuracy) in checked.items()
            if seq not in known
        ]
        if not rows:
            given.point_count = patrol.point_count
            return 0
        if patrol.point_count + len(rows) > rules.MAX_POINTS_PER_PATROL:
            raise ValidationError({"points": [_("This patrol has too many positions.")]})
        before = patrol.point_count
        TrackPoint.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        # The first batch is the whole track (the patrol is locked: nobody else adds to it).
        refresh_track(patrol, [(r.at, r.lon, r.lat) for r in rows] if before == 0 else None)
        added = patrol.point_count - before
        if added:
            audit.record(
                PATROL_POINTS, patrol, actor=actor, after={"added": added, "points": patrol.point_count}
            )
    for name in ("point_count", "distance_m", "last_point_at", "track"):
        setattr(given, name, getattr(patrol, name))
    return added


def refresh_track(patrol: Patrol, points=None) -> None:
    """The track (GeoJSON), its length, last time and the grids it passed, from its points (all
    of them, read here unless given as (at, lon, lat))."""
    if points is None:
        points = list(TrackPoint.objects.filter(patrol_id=patrol.pk).values_list("at", "lon", "lat"))
    track = tracks.Track.of(points)
    patrol.track = tracks.geojson(track)
    patrol.point_count = len(track)
    patrol.distance_m = round(tracks.length_m(track), 1)
    patrol.last_point_at = tracks.from_micros(int(track.times[-1])) if len(track) else None
    patrol.save(update_fields=["track", "point_count", "distance_m", "last_point_at"])
    passed = tracks.passages(track) if len(track) else {}
    Passage.objects.filter(patrol_id=patrol.pk).delete()
    Passage.objects.bulk_create(
        [
            Passage(
                patrol_id=patrol.pk,
                grid_id=grid_id,
                first_at=tracks.from_micros(a),
                last_at=tracks.from_micros(b),
            )
            for grid_id, (a, b) in passed.items()
        ]
    )


def record_scan(patrol: Patrol, *, actor, id, code: str, at: dt.datetime, lon=None, lat=None) -> Scan:
    """A checkpoint scanned (its QR code read or its code typed) on a plan the patroller may
    patrol; whether it was within one of the plan's windows is kept with it."""
    pk = _uuid(id, "id")
    now = timezone.now()
    at = rules.check_time(at, "at", now=now, not_before=patrol.started_at)
    if lon is not None or lat is not None:
        lon, lat = rules.check_position(lon, lat)
    code = str(code or "").strip().upper().removeprefix("FQCP:")
    with transaction.atomic():
        patrol = _own_locked(patrol, actor)
        existing = Scan.objects.filter(pk=pk).first()
        if existing is not None:
            if existing.patrol_id != patrol.pk:
                raise ValidationError({"id": [_("This id belongs to another patrol.")]})
            return existing
        checkpoint = Checkpoint.objects.filter(code=code).select_related("plan").first()
        if checkpoint is None or not plans_usable_by(actor).filter(pk=checkpoint.plan_id).exists():
            raise ValidationError(
                {"code": [_("No checkpoint of your plans has the code %(code)s.") % {"code": code}]}
            )
        scan = Scan.objects.create(
            id=pk,
            patrol=patrol,
            checkpoint=checkpoint,
            at=at,
            lon=lon,
            lat=lat,
            in_window=rules.in_window(checkpoint.plan.windows, timezone.localtime(at)),
        )
        audit.record(
            PATROL_SCAN,
            patrol,
            actor=actor,
            after={"checkpoint": checkpoint.code, "in_window": scan.in_window},
        )
    return scan


def report_finding(
    patrol: Patrol, *, actor, id, kind: str, description: str = "", lon=None, lat=None, at=None
) -> Finding:
    """A hazard or something suspicious, reported in one tap: an event of the closed loop, taken
    in by the events' own intake at the position given (else the patrol's last one)."""
    pk = _uuid(id, "id")
    if kind not in FindingKind.values:
        raise ValidationError({"kind": [_("Unknown value: %(value)s.") % {"value": kind}]})
    now = timezone.now()
    at = rules.check_time(at or now, "at", now=now, not_before=patrol.started_at)
    with transaction.atomic():
        patrol = _own_locked(patrol, actor)
        existing = Finding.objects.filter(pk=pk).select_related("event").first()
        if existing is not None:
            if existing.patrol_id != patrol.pk:
                raise ValidationError({"id": [_("This id belongs to another patrol.")]})
            return existing
        if lon is None or lat is None:
            last = (
                TrackPoint.objects.filter(patrol_id=patrol.pk)
                .order_by("-at")
                .values_list("lon", "lat")
                .first()
            )
            if last is None:
                raise ValidationError(
                    {"lon": [_("The position is not known yet: wait for the phone to find it.")]}
                )
            lon, lat = last
        lon, lat = rules.check_position(lon, lat)
        staff = is_staff(actor)
        text = str(description or "").strip() or str(FindingKind(kind).label)
        report = events.build_report(
            category=conf.finding_category(kind),
            public_only=not staff,
            actor=actor,
            description=_("Found on patrol: %(text)s") % {"text": text},
            lon=lon,
            lat=lat,
            via=f"patrol {patrol.pk}",
        )
        try:
            event = events.report_event(
                report, actor=actor, channel=Channel.STAFF if staff else Channel.PORTAL
            )
        except OutsideTerritory:
            raise ValidationError({"lon": [_("This place is outside the territory.")]}) from None
        finding = Finding.objects.create(id=pk, patrol=patrol, kind=kind, event=event, at=at)
        audit.record(PATROL_FINDING, patrol, actor=actor, after={"kind": kind, "event": event.number})
    return finding


def add_photo(patrol: Patrol, upload, *, actor, id) -> Photo:
    """Keep a photo after checking it (core.uploads: encoded again, no metadata)."""
    pk = _uuid(id, "id")
    existing = Photo.objects.filter(pk=pk).first()
    if existing is not None:
        if existing.patrol_id != patrol.pk or patrol.patroller_id != getattr(actor, "pk", None):
            raise ValidationError({"id": [_("This id belongs to another patrol.")]})
        return existing
    checked = check_upload(upload)
    if checked.content_type not in ("image/jpeg", "image/png"):
        raise ValidationError(
            {"file": [_("%(name)s is not a photo (JPEG or PNG).") % {"name": checked.name}]}
        )
    photo = Photo(
        id=pk,
        patrol=patrol,
        content_type=checked.content_type,
        extension=checked.extension,
        size=checked.size,
    )
    photo.file.save("upload", checked.file, save=False)
    try:
        with transaction.atomic():
            _own_locked(patrol, actor)
            photo.save(force_insert=True)
            audit.record(PATROL_PHOTO, patrol, actor=actor, after={"photo": str(pk), "size": photo.size})
    except IntegrityError:
        photo.file.delete(save=False)
        return add_photo(patrol, upload, actor=actor, id=pk)
    except BaseException:
        photo.file.delete(save=False)  # no file without its row
        raise
    return photo


def end_patrol(patrol: Patrol, *, actor, ended_at: dt.datetime | None = None) -> Patrol:
    """End the patrol (ending it again changes nothing)."""
    now = timezone.now()
    ended_at = rules.check_time(ended_at or now, "ended_at", now=now, not_before=patrol.started_at)
    with transaction.atomic():
        patrol = _own_locked(patrol, actor)
        if patrol.ended_at is not None:
            return patrol
        patrol.ended_at = max(ended_at, patrol.last_point_at or ended_at)
        if patrol.ended_at - patrol.started_at > dt.timedelta(hours=rules.MAX_PATROL_HOURS):
            raise ValidationError(
                {"ended_at": [_("A patrol lasts at most %(n)s hours.") % {"n": rules.MAX_PATROL_HOURS}]}
            )
        patrol.save(update_fields=["ended_at"])
        audit.record(
            PATROL_END,
            patrol,
            actor=actor,
            after={"points": patrol.point_count, "distance_m": patrol.distance_m},
        )
    return patrol


def import_gpx(data: bytes, *, actor, plan: Plan | None = None) -> Patrol:
    """A patrol walked with another device, from its GPX file: the patroller is the one importing."""
    points = tracks.read_gpx(data)
    if points[-1][0] - points[0][0] > dt.timedelta(hours=rules.MAX_PATROL_HOURS):
        raise ValidationError(
            {"file": [_("A patrol lasts at most %(n)s hours.") % {"n": rules.MAX_PATROL_HOURS}]}
        )
    if points[-1][0] > timezone.now() + rules.CLOCK_SKEW:
        raise ValidationError({"file": [_("The track ends in the future.")]})
    with transaction.atomic():
        patrol = start_patrol(actor=actor, id=uuid.uuid4(), started_at=points[0][0], plan=plan)
        Patrol.objects.unscoped(reason=UNSCOPED_OWN).filter(pk=patrol.pk).update(source=TrackSource.GPX)
        TrackPoint.objects.bulk_create(
            [
                TrackPoint(patrol_id=patrol.pk, seq=n, at=at, lon=lon, lat=lat)
                for n, (at, lon, lat) in enumerate(points, start=1)
            ],
            batch_size=1000,
        )
        refresh_track(patrol)
        patrol.source = TrackSource.GPX
        patrol.ended_at = points[-1][0]
        patrol.save(update_fields=["ended_at"])
        audit.record(PATROL_IMPORT, patrol, actor=actor, after={"points": patrol.point_count})
    return patrol


# --- household visits (百万警进千万家) and the officer at the scene (发案必到现场) ---------------------

VISIT_RECORD = audit.register("patrol_visit", "recorded a household visit")
SCENE_ARRIVAL = audit.register("scene_arrival", "recorded arrival at a case's scene")

# Police visit homes and businesses; grid workers and volunteers do not.
VISITORS = {Role.STATION, Role.COMMUNITY_OFFICER, Role.AUXILIARY}


def may_visit(user) -> bool:
    return is_staff(user) and (user.is_superuser or user.role in VISITORS)


@dataclass
class VisitData:
    """What the visit form or the API says of one visit; a finding is a category and a title."""

    target: str
    met: str
    visited_at: dt.datetime | None = None
    house: House | None = None
    organisation: Organisation | None = None
    notes: str = ""
    card_given: bool = False
    finding_category: str = ""
    finding_title: str = ""


def _place_of_visit(data: VisitData, actor) -> House | Organisation:
    if data.target == VisitTarget.HOUSEHOLD:
        place, model, field = data.house, House, "house"
    elif data.target == VisitTarget.BUSINESS:
        place, model, field = data.organisation, Organisation, "organisation"
    else:
        raise ValidationError({"target": [_("Unknown value: %(value)s.") % {"value": data.target}]})
    if place is None:
        raise ValidationError({field: [_("Choose the household or business visited.")]})
    if not model.objects.visible_to(actor).filter(pk=place.pk).exists():
        raise OutOfScope
    return place


def record_visit(data: VisitData, *, actor) -> Visit:
    """Record one visit in the grid of the place visited; a finding enters the closed loop through
    events' own intake (the grid's inbox) in the same transaction."""
    if not may_visit(actor):
        raise PermissionDenied(_("Household visits are the police's work."))
    place = _place_of_visit(data, actor)
    errors: dict[str, list] = {}
    now = timezone.now()
    visited_at = data.visited_at or now
    if visited_at.tzinfo is None:  # a phone's time without its offset means nothing for sure
        errors["visited_at"] = [_("Give the time with its offset, e.g. 2026-12-06T08:00:00+08:00.")]
    elif visited_at > now + dt.timedelta(minutes=5):
        errors["visited_at"] = [_("A visit is recorded once it has happened.")]
    met = " ".join((data.met or "").split())
    if not met:
        errors["met"] = [_("Say whom you met (or that nobody was in).")]
    notes = (data.notes or "").strip()
    if data.finding_category and not (data.finding_title or "").strip():
        errors["finding_title"] = [_("Say in a few words what was found.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        event = None
        if data.finding_category:
            address = getattr(place, "address", None)
            grid = place.grid
            report = events.build_report(
                category=data.finding_category,
                public_only=False,
                actor=actor,
                title=data.finding_title.strip(),
                description=notes or data.finding_title.strip(),
                address=address,
                lon=None if address is not None else grid.centroid_lon,
                lat=None if address is not None else grid.centroid_lat,
                via="visit",
            )
            event = events.report_event(report, actor=actor, channel=Channel.STAFF)
        visit = Visit.objects.create(
            officer=actor,
            target=data.target,
            house=place if data.target == VisitTarget.HOUSEHOLD else None,
            organisation=place if data.target == VisitTarget.BUSINESS else None,
            grid=place.grid,
            visited_at=visited_at,
            met=met[:200],
            notes=notes[:2000],
            card_given=bool(data.card_given),
            finding=event,
        )
        audit.record(
            VISIT_RECORD,
            visit,
            actor=actor,
            after={"target": visit.target, "place": place.pk, "finding": event.number if event else ""},
        )
    return visit


def may_record_arrival(user, event: Event) -> bool:
    """Only the community officer of the case's district records their own arrival."""
    if not is_staff(user) or user.role != Role.COMMUNITY_OFFICER:
        return False
    return any(is_under(event.scope_path, path) for path in user.scope_paths())


def record_arrival(event: Event, *, actor, lon=None, lat=None) -> Arrival:
    """The district's officer is at the scene of a criminal case now (the server's clock, not the
    phone's); the phone's position when it gave one. Once per case."""
    if not event.is_visible_to(actor):
        raise OutOfScope
    if not may_record_arrival(actor, event):
        raise PermissionDenied(_("Only the community officer of the case's district records arrival."))
    if event.offence != "criminal":
        raise ValidationError(_("Arrival at the scene is recorded for criminal cases only."))
    if (lon is None) != (lat is None) or (lon is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90)):
        raise ValidationError({"position": [_("The phone's position is not a valid place.")]})
    try:
        with transaction.atomic():
            arrival = Arrival.objects.create(
                event=event, officer=actor, arrived_at=timezone.now(), lon=lon, lat=lat
            )
            audit.record(
                SCENE_ARRIVAL,
                arrival,
                actor=actor,
                after={"event": event.number, "lon": lon, "lat": lat},
            )
    except IntegrityError:
        raise ValidationError(_("Arrival at this scene is already recorded.")) from None
    return arrival


# Who watches arrivals at the scene: the units' staff (the station's command room and above, and the
# community officers themselves), not grid workers.
ARRIVAL_WATCHERS = {Role.CITY_COMMAND, Role.COUNTY_BUREAU, Role.STATION, Role.COMMUNITY_OFFICER}


def may_watch_arrivals(user) -> bool:
    return is_staff(user) and (user.is_superuser or user.role in ARRIVAL_WATCHERS)
