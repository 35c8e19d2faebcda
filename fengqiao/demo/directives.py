"""The command room's directives in the demo (研判指令): for each of the last weeks, each county's
grids with the most thefts and burglaries that week (the most events, where there were none) get
a patrol or visit directive from their station on the Monday after; most grid workers report what
they did within the deadline, a few late, a few not yet, and the station closes most of what came
back. Through the directive workflow itself (``analytics.directives``), so the pages, inboxes and
indicators read them as real work."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.models import User
from fengqiao.analytics import directives
from fengqiao.analytics.models import Directive
from fengqiao.core.models import CaseCounter, TimelineEntry
from fengqiao.demo.city import seeded
from fengqiao.events.choices import THEFT
from fengqiao.events.models import Event
from fengqiao.geo.models import Grid

UNSCOPED = "demo: the directives of the whole demo city"
WEEKS = 6
PER_COUNTY = 2
FED_BACK, LATE, CLOSED = 0.85, 0.12, 0.8
FEEDBACK = (
    "夜间巡逻三次，走访住户12户，张贴防盗提示",
    "联合警务区民警开展巡逻，检查出租房5处",
    "入户走访8户，发放防范宣传单50份",
    "排查监控盲区2处，已报派出所协调加装",
    "组织平安志愿者夜巡两次，未发现异常",
)
TASKS = (
    (directives.Task.PATROL, "入室盗窃多发，请加强巡逻"),
    (directives.Task.VISIT, "盗窃案件高发，请走访提醒住户"),
)


def _station(path: str) -> str:
    return "/".join(path.split("/")[:3])


def _first(paths: list[str]) -> User | None:
    for path in paths:
        people = User.list_posted_at(path)
        if people:
            return people[0]
    return None


def generate(*, actor, scale: float, seed: int, now: dt.datetime | None = None) -> dict[str, int] | None:
    """Directives for the last :data:`WEEKS` weeks; None when there are some already."""
    everything = Directive.objects.unscoped(reason=UNSCOPED)
    if everything.exists():
        return None
    now = now or timezone.now()
    rng = seeded(seed, "directives")
    today = timezone.localdate(now)
    this_monday = today - dt.timedelta(days=today.weekday())
    counts = {"directives": 0, "fed back": 0, "closed": 0}
    events = Event.objects.unscoped(reason=UNSCOPED)
    for k in range(WEEKS, 0, -1):
        monday = this_monday - dt.timedelta(weeks=k)
        start = timezone.make_aware(dt.datetime.combine(monday, dt.time()))
        grouped = (
            events.filter(opened_at__gte=start, opened_at__lt=start + dt.timedelta(weeks=1))
            .values("grid_id")
            .annotate(thefts=Count("id", filter=Q(crime_class__in=THEFT)), n=Count("id"))
            .order_by("-thefts", "-n", "grid_id")
        )
        top: dict[str, list[int]] = {}
        for row in grouped[:200]:
            grid = Grid.objects.unscoped(reason=UNSCOPED).only("scope_path").get(pk=row["grid_id"])
            county = grid.scope_path.split("/")[1]
            if len(top.setdefault(county, [])) < PER_COUNTY:
                top[county].append(grid.pk)
        issued_at = start + dt.timedelta(weeks=1, hours=9)
        if issued_at >= now:
            continue
        for grid_ids in top.values():
            for grid in Grid.objects.unscoped(reason=UNSCOPED).filter(pk__in=grid_ids).order_by("code"):
                made = _one(rng, grid, issued_at, now, actor, counts)
                counts["directives"] += made
    return {
        _("directives issued"): counts["directives"],
        _("fed back"): counts["fed back"],
        _("closed"): counts["closed"],
    }


def _one(rng, grid: Grid, at: dt.datetime, now: dt.datetime, actor, counts: dict) -> int:
    station = _first([_station(grid.scope_path)]) or actor
    worker = _first([grid.scope_path, grid.scope_path.rsplit("/", 1)[0]])
    task, title = TASKS[rng.randrange(len(TASKS))]
    order = directives.Order(
        grids=[grid],
        task=task,
        title=f"{grid.name}：{title}",
        instructions="近一周该网格盗窃类案件明显增多，请组织巡逻走访并反馈落实情况。",
        deadline=at + dt.timedelta(days=5),
        source=directives.DirectiveSource.HOTSPOT,
    )
    with transaction.atomic():
        (directive,) = directives.issue(order, actor=station, at=at)
        if worker is None or rng.random() > FED_BACK:
            return 1
        late = rng.random() < LATE
        fed = at + dt.timedelta(days=rng.uniform(5.2, 8) if late else rng.uniform(0.5, 4.5))
        if fed >= now:
            return 1
        directive = directives.move(
            directive, "feed_back", actor=worker, version=directive.version, note=rng.choice(FEEDBACK), at=fed
        )
        counts["fed back"] += 1
        closed = fed + dt.timedelta(hours=rng.uniform(2, 30))
        if rng.random() < CLOSED and closed < now:
            directives.move(directive, "close", actor=station, version=directive.version, at=closed)
            counts["closed"] += 1
    return 1


def clear() -> None:
    """Remove every directive (before the city they refer to is generated again)."""
    everything = Directive.objects.unscoped(reason=UNSCOPED)
    ids = list(everything.values_list("pk", flat=True))
    with transaction.atomic():
        TimelineEntry.objects.filter(case_type="directive", case_id__in=ids).delete()
        everything.delete()
        CaseCounter.objects.filter(prefix="D").delete()
