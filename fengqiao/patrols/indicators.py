"""Patrol figures per team and per member: hours, distance, patrols, checkpoints scanned and
findings reported. The points store and the dashboard read them here, over any scoped set of
patrols (``selectors.patrols_for(user)`` narrowed to a period)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce

BY_TEAM = "team"
BY_MEMBER = "patroller"


def patrol_duration():
    """How long a patrol lasted: to its end, or while under way to its last position (for a
    finished patrol, its end minus its start)."""
    return ExpressionWrapper(
        Coalesce("ended_at", "last_point_at", "started_at") - F("started_at"), output_field=DurationField()
    )


def hours_of(duration: dt.timedelta | None) -> float:
    """A summed duration in hours, to the tenth the pages and the dashboard show."""
    return round(duration.total_seconds() / 3600, 1) if duration else 0.0


def hours_walked(patrols) -> float:
    """The hours of ``patrols`` (a scoped queryset), summed in the database."""
    return hours_of(patrols.order_by().aggregate(time=Sum(patrol_duration()))["time"])


@dataclass(frozen=True)
class PatrolFigures:
    key: int | None  # the team's or the patroller's id
    label: str
    patrols: int
    hours: float
    km: float
    scans: int
    findings: int


def patrol_figures(patrols, *, by: str = BY_TEAM) -> list[PatrolFigures]:
    """One row per team (``by="team"``) or per patroller (``by="patroller"``) of ``patrols``,
    most hours first. An unfinished patrol counts up to its last position."""
    if by not in (BY_TEAM, BY_MEMBER):
        raise ValueError(f"patrol figures are by team or by patroller, not {by!r}")
    label = "team__name" if by == BY_TEAM else "patroller__full_name"
    duration = patrol_duration()
    base = patrols.order_by().values(by, label)
    totals = {
        row[by]: row for row in base.annotate(n=Count("pk"), time=Sum(duration), metres=Sum("distance_m"))
    }
    # Scans and findings counted apart: joined with each other they would multiply.
    scans = dict(base.annotate(c=Count("scans")).values_list(by, "c"))
    findings = dict(base.annotate(c=Count("findings")).values_list(by, "c"))
    rows = [
        PatrolFigures(
            key=key,
            label=row[label] or "",
            patrols=row["n"],
            hours=round(row["time"].total_seconds() / 3600, 2) if row["time"] else 0.0,
            km=round((row["metres"] or 0) / 1000, 2),
            scans=scans.get(key, 0),
            findings=findings.get(key, 0),
        )
        for key, row in totals.items()
    ]
    return sorted(rows, key=lambda r: (-r.hours, r.label))


# --- household visits and arrivals at the scene ----------------------------------------------------

BY_OFFICER = "officer"
BY_DISTRICT = "district"


@dataclass(frozen=True)
class VisitCoverage:
    key: int | None  # the officer's or the police district's id
    label: str
    visits: int
    households_visited: int  # distinct
    businesses_visited: int  # distinct
    households: int | None  # the district's households (None per officer)

    @property
    def share(self) -> float | None:
        """Households visited over the district's households, 0–1."""
        if not self.households:
            return None
        return self.households_visited / self.households


def visit_coverage(visits, houses=None, *, by: str = BY_DISTRICT) -> list[VisitCoverage]:
    """Visits over a period per officer or per police district: visits made, distinct households
    and businesses visited, and per district the share of its households (``houses``, the same
    scope's houses) visited. ``visits`` is a scoped queryset narrowed to the period."""
    if by not in (BY_OFFICER, BY_DISTRICT):
        raise ValueError(f"visit coverage is by officer or by district, not {by!r}")
    key, label = (
        ("officer", "officer__full_name") if by == BY_OFFICER else ("grid__district", "grid__district__name")
    )
    rows = (
        visits.values(key, label)
        .annotate(
            n=Count("id"),
            homes=Count("house", distinct=True),
            firms=Count("organisation", distinct=True),
        )
        .order_by(label)
    )
    totals = {}
    if by == BY_DISTRICT and houses is not None:
        totals = dict(
            houses.filter(retired_at__isnull=True)
            .values("grid__district")
            .annotate(n=Count("id"))
            .values_list("grid__district", "n")
        )
    return [
        VisitCoverage(
            key=row[key],
            label=row[label] or "",
            visits=row["n"],
            households_visited=row["homes"],
            businesses_visited=row["firms"],
            households=totals.get(row[key], 0) if by == BY_DISTRICT else None,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class ArrivalFigures:
    cases: int  # criminal cases opened in the period, their time to arrive passed
    on_time: int
    late: int
    missing: int

    @property
    def rate(self) -> float | None:
        return self.on_time / self.cases if self.cases else None


def arrival_figures(cases, *, limit) -> ArrivalFigures:
    """For the command room: of ``cases`` (a scoped queryset of criminal cases whose ``limit``, a
    timedelta, has passed), how many had the district officer at the scene in time, late, never."""
    in_time = Q(arrival__arrived_at__lte=F("opened_at") + limit)
    counts = cases.aggregate(
        cases=Count("id"),
        on_time=Count("id", filter=in_time),
        missing=Count("id", filter=Q(arrival__isnull=True)),
    )
    late = counts["cases"] - counts["on_time"] - counts["missing"]
    return ArrivalFigures(counts["cases"], counts["on_time"], late, counts["missing"])
