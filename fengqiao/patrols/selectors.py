"""Reads of teams, plans and patrols, always scoped.

Staff read through their scope (``visible_to``). A volunteer, posted nowhere, reads only through
their own membership: their team or teams, those teams' active plans (their patrol tasks), and
their own patrols. Anything else is a 404, as a missing row is.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Min
from django.utils import timezone

from fengqiao.core.scoping import OutOfScope, is_staff
from fengqiao.geo.models import Grid
from fengqiao.patrols import conf
from fengqiao.patrols.actions import UNSCOPED_MEMBERSHIP, plans_usable_by, volunteer_team_ids
from fengqiao.patrols.models import Checkpoint, Passage, Patrol, Plan, Scan, Team

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
