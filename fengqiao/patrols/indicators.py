"""Patrol figures per team and per member: hours, distance, patrols, checkpoints scanned and
findings reported. The points store and the dashboard read them here, over any scoped set of
patrols (``selectors.patrols_for(user)`` narrowed to a period)."""

from dataclasses import dataclass

from django.db.models import Count, DurationField, ExpressionWrapper, F, Sum
from django.db.models.functions import Coalesce

BY_TEAM = "team"
BY_MEMBER = "patroller"


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
    duration = ExpressionWrapper(
        Coalesce("ended_at", "last_point_at", "started_at") - F("started_at"), output_field=DurationField()
    )
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
