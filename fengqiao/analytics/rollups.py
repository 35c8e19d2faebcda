"""The dashboard's daily counts (``DailyCount``), kept current without scanning every record on
each view.

How they stay current:

1. A record of a rolled-up indicator's model is saved (``post_save``: an intake, every move of the
   casework engine, a case solved, a dispute's outcome): its day (``date_field``, the local date)
   is marked stale (``StaleDay``), in the saving transaction. Every rolled-up figure is a cohort of
   records *dated* in the period as they stand now, so a change to a record can only move the
   counts of its own day.
2. :func:`refresh` counts the stale days again from the records (one grouped query per model per
   run of consecutive days), replaces their rows, sums their months again (``MonthlyCount``, what
   periods of whole months read) and clears the marks. The worker runs it every
   minute, and the dashboard runs it before reading, so a figure is never older than the last
   save (most views find nothing stale).
3. What writes without ``save()`` (the demo's bulk load, a grid moved to another station with its
   rows) calls :func:`rebuild` (``fengqiao rebuild_rollups``), which counts every day again.

Nodes at or above a station read the rollups; below a station the dashboard counts the records
directly (a district's events are few, and the station is the rollups' finest unit).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Case, CharField, Count, F, Q, Sum, Value, When
from django.db.models.functions import StrIndex, Substr, TruncDate
from django.db.models.signals import post_save
from django.utils import timezone

from fengqiao.analytics.models import DailyCount, MonthlyCount, StaleDay
from fengqiao.core import indicators

UNSCOPED = "analytics: the daily counts of the whole territory, read by each user within their scope"
STATION_DEPTH = 3
BATCH = 5000


def rolled_up() -> dict[str, list[indicators.Indicator]]:
    """The rolled-up indicators by their model's label (``events.event``)."""
    out: dict[str, list] = defaultdict(list)
    for indicator in indicators.indicators().values():
        if indicator.rolled_up and indicator.date_field:
            out[indicator.model._meta.label_lower].append(indicator)
    return out


def _local_day(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localdate(value)
    return value


def mark_stale(sender, instance, **kwargs) -> None:
    """``post_save`` of a rolled-up model: its record's day is counted again (same transaction)."""
    label = sender._meta.label_lower
    days = {_local_day(getattr(instance, i.date_field)) for i in rolled_up().get(label, ())}
    StaleDay.objects.bulk_create(
        [StaleDay(model=label, day=day) for day in days if day is not None], ignore_conflicts=True
    )


def connect() -> None:
    """Listen to the saves of every rolled-up model (``AnalyticsConfig.ready``)."""
    for group in rolled_up().values():
        post_save.connect(mark_stale, sender=group[0].model, dispatch_uid=f"rollups:{group[0].model}")


def _station(field: str = "scope_path"):
    """The path cut to its first three segments (city/county/station), in SQL."""
    first = StrIndex(F(field), Value("/"))
    rest1 = Substr(F(field), first + 1)
    second = StrIndex(rest1, Value("/"))
    rest2 = Substr(rest1, second + 1)
    third = StrIndex(rest2, Value("/"))
    return Case(
        When(Q(slash1=0) | Q(slash2=0) | Q(slash3=0), then=F(field)),
        default=Substr(F(field), 1, F("slash1") + F("slash2") + F("slash3") - 1),
        output_field=CharField(),
    ), {"slash1": first, "slash2": second, "slash3": third}


def _runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) runs."""
    runs: list[list[dt.date]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][1] == dt.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(a, b) for a, b in runs]


def _count(label: str, group: list[indicators.Indicator], first: dt.date, last: dt.date) -> list[DailyCount]:
    """The daily counts of the group's indicators from ``first`` to ``last``, from the records."""
    model = group[0].model
    date_field = group[0].date_field
    station, parts = _station()
    qs = model.objects.unscoped(reason=UNSCOPED).filter(**group[0].bounds(model, first, last))
    counts = {f"n{i}": Count("pk", filter=ind.q) if ind.q else Count("pk") for i, ind in enumerate(group)}
    rows = (
        qs.annotate(**parts)
        .annotate(day=TruncDate(date_field), station=station)
        .values("day", "station")
        .annotate(**counts)
        .order_by()
    )
    out = []
    for row in rows:
        for i, ind in enumerate(group):
            if row[f"n{i}"]:
                out.append(
                    DailyCount(indicator=ind.name, path=row["station"], day=row["day"], value=row[f"n{i}"])
                )
    return out


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def _sum_months(names: list[str], months: set[dt.date]) -> None:
    """The monthly rows of ``names`` for ``months``, summed again from the daily rows."""
    for month in sorted(months):
        MonthlyCount.objects.filter(indicator__in=names, month=month).delete()
        rows = (
            DailyCount.objects.filter(indicator__in=names, day__gte=month, day__lte=month_end(month))
            .values("indicator", "path")
            .annotate(total=Sum("value"))
            .order_by()
        )
        MonthlyCount.objects.bulk_create(
            [
                MonthlyCount(indicator=r["indicator"], path=r["path"], month=month, value=r["total"])
                for r in rows
            ],
            batch_size=BATCH,
        )


def _recount(label: str, group: list[indicators.Indicator], days: list[dt.date]) -> int:
    written = 0
    names = [i.name for i in group]
    for first, last in _runs(days):
        rows = _count(label, group, first, last)
        DailyCount.objects.filter(indicator__in=names, day__gte=first, day__lte=last).delete()
        DailyCount.objects.bulk_create(rows, batch_size=BATCH)
        written += len(rows)
    _sum_months(names, {month_of(day) for day in days})
    return written


def refresh(limit: int = 10_000) -> int:
    """Count the stale days again; returns how many were. Safe to run from several workers at
    once: the marks are taken under a row lock (PostgreSQL) or the one writer (SQLite)."""
    groups = rolled_up()
    if not StaleDay.objects.exists():
        return 0
    with transaction.atomic():
        stale = list(StaleDay.objects.select_for_update().order_by("model", "day")[:limit])
        by_model: dict[str, list[dt.date]] = defaultdict(list)
        for mark in stale:
            by_model[mark.model].append(mark.day)
        for label, days in by_model.items():
            if label in groups:
                _recount(label, groups[label], days)
        StaleDay.objects.filter(pk__in=[m.pk for m in stale]).delete()
    return len(stale)


def rebuild() -> int:
    """Count every day of every rolled-up indicator again (after a bulk load or a move of
    grids); returns the rows written."""
    written = 0
    with transaction.atomic():
        DailyCount.objects.all().delete()
        MonthlyCount.objects.all().delete()
        StaleDay.objects.all().delete()
        for label, group in rolled_up().items():
            model, field = group[0].model, group[0].date_field
            bounds = model.objects.unscoped(reason=UNSCOPED).order_by(field).values_list(field, flat=True)
            first, last = bounds.first(), bounds.reverse().first()
            if first is None:
                continue
            day, end = _local_day(first), _local_day(last)
            names = [i.name for i in group]
            while day <= end:  # a month at a time: bounded memory
                upto = min(end, month_end(day))
                rows = _count(label, group, day, upto)
                DailyCount.objects.bulk_create(rows, batch_size=BATCH)
                _sum_months(names, {month_of(day)})
                written += len(rows)
                day = upto + dt.timedelta(days=1)
    return written
