"""Two years of events for the demo city, planned as rows (no database here).

Each event lives its life in a few lines of arithmetic instead of through the casework engine's
transaction per move (which would take hours for a city's two years), but every step it takes is
the event workflow's own: from the states it declares, to its target, restarting the clock as it
says (``_Life.move``): reported, then filed or rejected or merged as a
duplicate, dispatched, handled, reported back, checked — passed or sent back for rework — closed,
rated, now and then reopened; some are escalated by hand, some miss a limit and the sweep takes
them one rung up. Every move is a timeline row just like the engine writes (the same transition
names, statuses, holders and actors), so the event pages, the inboxes and the indicators read
the demo as they read real work. A life stops at ``now``: the recent events are still open, in
whatever step they had reached, a few of them past their limit.

Rates: :data:`EVENTS_PER_GRID_YEAR` at events scale 1.0 (3,475 grids → about 350,000 a year,
"hundreds of thousands", DESIGN.md); the demo's default is 0.1 of it. A little growth from the
first year to the second, a season, quiet weekends and nights. The grids of the demo accounts
get a handful of recent events besides, so their inboxes are never empty.

Numbers follow :func:`fengqiao.core.casework.next_number` (``E-<county>-<yyyymmdd>-<nnnn>``, per
county and local day, in the order opened); the counters to continue from are part of the plan.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import shapely

from fengqiao.demo import names
from fengqiao.demo.city import seeded
from fengqiao.events.choices import Channel, Status
from fengqiao.events.models import DEFAULT_LIMITS, TRACKING_ALPHABET
from fengqiao.events.workflow import EVENT_WORKFLOW

EVENTS_PER_GRID_YEAR = 100
MONTHS = 24
GROWTH = 1.08  # the second year over the first
SEASON = (0.85, 0.7, 0.95, 1.05, 1.1, 1.1, 1.15, 1.1, 1.05, 1.0, 0.95, 0.9)
WEEKDAY = (1.1, 1.05, 1.0, 1.0, 1.05, 0.85, 0.75)
HOURS = (1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 5, 7, 7, 6, 4, 4, 6, 6, 6, 5, 4, 4, 4, 3, 2, 1.5)
URBAN_PULL = {"111": 2.5, "112": 2.2, "121": 1.8, "122": 1.2}
SHOWCASE_RECENT = 12  # extra events in the last days in each showcase grid
# The demo's worker "last ran" this long before now: what fell due since is overdue now, and the
# first run of `fengqiao worker` escalates it.
SWEEP_PAUSE = dt.timedelta(hours=24)

# Fates, as shares of all events (the rest go round the loop once, on time).
REJECT, MERGE = 0.04, 0.02
ESCALATE, ESCALATE_TWICE = 0.08, 0.02
LATE = 0.07
REWORK = 0.08
REOPEN = 0.025
LONG = 0.015
RATED = 0.6
RATINGS = ((5, 55), (4, 25), (3, 10), (2, 6), (1, 4))

# category code → share of events, titles
CATEGORY_MIX = {
    "0401": (
        14,
        ("楼道堆放杂物", "电动车楼道充电", "消防通道被占用", "井盖缺失", "路灯损坏", "围墙裂缝存在倒塌风险"),
    ),
    "0402": (13, ("邻里噪音纠纷", "宅基地边界争执", "家庭矛盾求助调解", "物业费纠纷", "土地承包纠纷")),
    "0403": (13, ("垃圾清运不及时", "污水外溢", "小广告乱贴", "秸秆焚烧", "畜禽粪便污染")),
    "0404": (7, ("出租房未登记租客", "群租房安全隐患", "流动人口未申报居住")),
    "0501": (7, ("咨询居住证办理", "咨询户口迁移", "咨询无犯罪记录证明")),
    "0502": (7, ("老人走失求助", "钥匙反锁求助", "独居老人需要帮扶")),
    "0503": (7, ("商户占道经营投诉", "夜间施工扰民", "广场舞噪音投诉")),
    "0504": (3, ("举报赌博窝点", "举报非法加油点", "举报传销聚集")),
    "0505": (3, ("建议增设监控", "建议增加巡逻", "建议修缮健身器材")),
    "0101": (3, ("入室盗窃", "电动车被盗", "故意伤害")),
    "0102": (6, ("酒后滋事", "打架斗殴", "寻衅滋事")),
    "0103": (4, ("交通事故纠纷", "车辆乱停堵塞道路", "无牌车辆")),
    "0104": (3, ("冒充客服诈骗", "刷单返利诈骗", "网络贷款诈骗")),
    "02": (2, ("涉案线索核查", "案件协查")),
    "03": (1, ("网络舆情核查", "群众集中反映问题")),
}
INCIDENT_PREFIX = "01"
CHANNELS_INCIDENT = ((Channel.DISPATCH_110, 70), (Channel.PHONE, 15), (Channel.STAFF, 15))
CHANNELS_OTHER = (
    (Channel.STAFF, 40),
    (Channel.PHONE, 20),
    (Channel.PORTAL, 25),
    (Channel.API, 5),
    (Channel.OPEN311, 10),
)
NOTES = {
    "reject": ("不属于本辖区，已告知反映人", "反映内容不实", "已由其他部门受理"),
    "report_back": ("已到现场处置完毕", "已协调相关方解决", "已整改到位并拍照留存", "已调解，双方达成一致"),
    "rework": ("现场核查仍未整改到位", "反映人表示问题未解决"),
    "escalate": ("涉及多户，需要民警协调", "超出网格处置能力", "需派出所出警"),
    "reopen": ("问题再次出现", "处置不彻底"),
    "extension": ("案情复杂，需延期处理", "当事人外出，需延期调解", "需协调多个部门"),
}
OPEN_STATES = frozenset(
    (Status.REPORTED, Status.FILED, Status.DISPATCHED, Status.HANDLING, Status.REPORTED_BACK)
)
PLACES = ("号楼附近", "巷口", "小区门口", "村委会旁", "路口东侧", "市场内", "学校附近", "活动广场")


class PlanError(ValueError):
    """The demo events cannot be planned from what was given."""


@dataclass(frozen=True)
class Person:
    pk: int
    username: str
    name: str = ""
    phone: str = ""


@dataclass(frozen=True)
class GridSite:
    """One grid, with the people who work its events: the grid worker, the district's officer
    and the station's chief (any may be missing in a hand-made territory)."""

    pk: int
    code: str
    name: str
    scope_path: str
    polygon: object  # shapely, WGS-84
    urban_rural_code: str = ""
    worker: Person | None = None
    officer: Person | None = None
    chief: Person | None = None
    showcase: bool = False

    @property
    def county(self) -> str:
        return self.scope_path.split("/")[1]

    def person_at(self, holder: str) -> Person | None:
        depth = holder.count("/") + 1
        return {5: self.worker, 4: self.officer, 3: self.chief}.get(depth)


@dataclass(frozen=True)
class CategorySite:
    pk: int
    code: str
    kind: str
    station: bool  # handled by the station from the start
    clock_hours: bool
    limits: dict

    def limit(self, status: str) -> float:
        return float(self.limits.get(status, DEFAULT_LIMITS.get(status, 24)))


@dataclass
class EventPlan:
    """The rows, a month of opening dates at a time (``chunks``), and what they add up to."""

    chunks: Iterator[dict[str, list[dict]]]
    counters: Callable[[], list[dict]]  # call after the chunks are consumed
    counts: dict = field(default_factory=dict)


class _Weighted:
    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs):
        pairs = list(pairs)
        self.items = [item for item, _ in pairs]
        self.cum = list(itertools.accumulate(w for _, w in pairs))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _months(now: dt.datetime) -> list[tuple[int, int]]:
    index = now.year * 12 + now.month - 1
    return [divmod(i, 12) for i in range(index - MONTHS + 1, index + 1)]


def _points(site: GridSite, rng: random.Random, n: int = 16) -> list[tuple[float, float]]:
    """A few points inside the grid to put its events on (candidates tested all at once)."""
    poly = site.polygon
    minx, miny, maxx, maxy = poly.bounds
    xs = [rng.uniform(minx, maxx) for _ in range(n * 20)]
    ys = [rng.uniform(miny, maxy) for _ in range(n * 20)]
    inside = shapely.contains_xy(poly, xs, ys)
    points = [(round(x, 6), round(y, 6)) for x, y, ok in zip(xs, ys, inside, strict=True) if ok][:n]
    if not points:
        c = poly.representative_point()
        points.append((round(c.x, 6), round(c.y, 6)))
    return points


def _tracking(rng: random.Random, taken: set) -> str:
    while True:
        code = "".join(rng.choice(TRACKING_ALPHABET) for _ in range(10))
        if code not in taken:
            taken.add(code)
            return code


@dataclass
class _Fate:
    reject: bool = False
    merge: bool = False
    escalations: int = 0  # by hand, before filing
    late_step: str = ""  # the step that misses its limit
    reworks: int = 0
    reopen: bool = False
    rated: bool = False
    long: bool = False  # weeks or months of handling, on extensions
    hold: bool = False  # nothing more after the escalations: waiting in the new holder's inbox


def _fate(rng: random.Random, *, showcase: bool = False) -> _Fate:
    f = _Fate()
    r = rng.random()
    if r < REJECT:
        f.reject = True
        return f
    if r < REJECT + MERGE:
        f.merge = True
        return f
    e = rng.random()
    f.escalations = 2 if e < ESCALATE_TWICE else 1 if e < ESCALATE + (0.15 if showcase else 0) else 0
    if rng.random() < LATE + (0.25 if showcase else 0):
        f.late_step = rng.choice(
            (Status.REPORTED, Status.FILED, Status.DISPATCHED, Status.HANDLING, Status.HANDLING)
        )
    f.long = not f.late_step and rng.random() < LONG
    f.reworks = 1 if rng.random() < REWORK else 0
    f.reopen = rng.random() < REOPEN
    f.rated = rng.random() < RATED
    return f


class _Life:
    """One event's moves, stopping at ``stop``: the rows of its timeline and its state."""

    def __init__(
        self,
        site: GridSite,
        category: CategorySite,
        opened: dt.datetime,
        stop: dt.datetime,
        sweep_until,
        deadline,
    ):
        self.site, self.category, self.stop, self.sweep_until = site, category, stop, sweep_until
        self.deadline = deadline
        self.t = opened
        self.status = Status.REPORTED
        self.holder = "/".join(site.scope_path.split("/")[:3]) if category.station else site.scope_path
        self.level = self.missed = self.reworks = self.reopens = 0
        self.step_started = opened
        self.closed_at = None
        self.assignee: Person | None = None
        self.rating = self.rated_at = None
        self.entries: list[tuple] = []  # (at, actor, transition, from, to, holder, note, data)
        self.done = False  # stopped at ``stop`` before the life was over
        self.swept = False  # the current limit is the sweep's (24 clock hours), not the category's
        self.due = None  # the current limit when extensions moved it
        self.extension_hours = None

    def _happen(self, hours: float) -> bool:
        """Advance the clock; False (and the life ends here) when that passes ``stop``."""
        at = self.t + dt.timedelta(hours=hours)
        if at > self.stop:
            self.done = True
            return False
        self.t = at
        return True

    def move(self, rng, name: str, hours: float, actor: Person | None, note="", data=None):
        """Take step ``name`` as the event workflow declares it (from which states, to which, whether
        its clock restarts): the demo plans when and by whom, the workflow says what a step does."""
        if self.done or not self._happen(hours):
            return False
        before = self.status
        step = self.record(self.t, actor, name, note, data)
        if step.restarts_clock if step.restarts_clock is not None else self.status != before:
            self.step_started = self.t
            self.swept, self.due = False, None
        return True

    def record(self, at, actor: Person | None, name: str, note="", data=None):
        """The timeline row of step ``name`` at ``at``, checked against the workflow's declaration."""
        step = EVENT_WORKFLOW.transition(name)
        if self.status not in step.sources:
            raise PlanError(f"the demo planned {name} from {self.status}")
        before, self.status = self.status, step.target or self.status
        self.entries.append((at, actor, name, before, self.status, self.holder, note, data or {}))
        return step

    def up(self) -> None:
        if "/" in self.holder:
            self.holder = self.holder.rsplit("/", 1)[0]
            self.level += 1

    def wait(self, rng, status: str, late: bool) -> float:
        """Hours until the step is done: well within its limit, or past it. Past the limit the
        sweep takes the event one rung up (if the demo's worker was running then) and the new
        holder acts within the 24 hours that gives; else it is still overdue now."""
        limit = self.category.limit(status)
        if not late:
            return limit * rng.uniform(0.05, 0.85)  # clock hours: within any working-hours limit too
        due = self.deadline(self.category, self.step_started, limit)
        if due <= self.sweep_until:
            below = self.holder
            self.up()
            self.missed += 1
            self.record(due, None, "escalate", data={"from": below})
            self.step_started, self.swept = due, True
            done = due + dt.timedelta(hours=24 * rng.uniform(0.1, 0.8))
        else:
            done = due + dt.timedelta(hours=rng.uniform(1, 48))
        return (done - self.t).total_seconds() / 3600

    def drag(self, rng) -> float:
        """Hours until a long job is done (a complex dispute, weeks or months): whenever its limit
        nears, the holder asks for a month more and the level above approves."""
        done = self.t + dt.timedelta(days=rng.uniform(20, 200))
        due = self.deadline(self.category, self.step_started, self.category.limit(Status.HANDLING))
        month = 24 * 30
        while due < done:
            asked = due - dt.timedelta(hours=rng.uniform(1, 8))
            approved = asked + (due - asked) * rng.uniform(0.2, 0.9)
            if asked > self.stop:
                break
            self.record(
                asked, self.actor(), "request_extension", rng.choice(NOTES["extension"]), {"hours": month}
            )
            if approved > self.stop:
                self.extension_hours = month  # asked, not yet approved
                break
            self.record(approved, self.approver(), "approve_extension")
            due += dt.timedelta(hours=month)
        self.due = due
        return (done - self.t).total_seconds() / 3600

    def approver(self) -> Person | None:
        """Someone above the holder."""
        return self.site.officer if self.holder.count("/") + 1 >= 5 else self.site.chief

    def actor(self) -> Person | None:
        """Whoever holds it acts: the grid worker, the district's officer, the station's chief."""
        return self.site.person_at(self.holder) or self.site.chief or self.site.officer

    def checker(self) -> Person | None:
        """The officer checks what the grid reports back; a unit checks its own."""
        if self.holder.count("/") + 1 >= 4:
            return self.site.officer or self.actor()
        return self.actor()


def _live(
    rng, site, category, opened, stop, sweep_until, deadline, fate: _Fate, opener, reporter, into
) -> _Life:
    """The moves of one event from ``opened`` up to ``stop`` (or the end of its life)."""
    life = _Life(site, category, opened, stop, sweep_until, deadline)
    life.entries.append((opened, opener, "open", "", Status.REPORTED, life.holder, "", {}))

    def note(kind):
        return rng.choice(NOTES[kind])

    if fate.reject:
        life.move(rng, "reject", life.wait(rng, Status.REPORTED, False), life.actor(), note("reject"))
        if not life.done:
            life.closed_at = life.t
        return life
    if fate.merge and into:
        life.move(rng, "merge", life.wait(rng, Status.REPORTED, False), life.actor(), "", {"into": into})
        if not life.done:
            life.closed_at = life.t
        return life
    for _ in range(fate.escalations):
        if life.holder.count("/") + 1 >= 4:
            actor = life.actor()
            life.up()
            life.move(rng, "escalate", rng.uniform(0.1, 1.5), actor, note("escalate"))
    if fate.hold:
        return life
    late = fate.late_step
    for name, status in (("file", Status.REPORTED), ("dispatch", Status.FILED)):
        data = None
        if name == "dispatch":
            life.assignee = life.site.person_at(life.holder)
            data = {"assignee": life.assignee.pk} if life.assignee else None
        life.move(rng, name, life.wait(rng, status, late == status), life.actor(), data=data)
    life.move(rng, "accept", life.wait(rng, Status.DISPATCHED, late == Status.DISPATCHED), life.actor())
    rounds = 1 + fate.reworks
    for i in range(rounds):
        late_here = late == Status.HANDLING and i == 0
        if life.done:
            break
        wait = life.drag(rng) if fate.long and i == 0 else life.wait(rng, Status.HANDLING, late_here)
        life.move(rng, "report_back", wait, life.actor(), note("report_back"))
        if i < rounds - 1:
            wait = life.wait(rng, Status.REPORTED_BACK, False)
            if life.move(rng, "rework", wait, life.checker(), note("rework")):
                life.reworks += 1
    if life.move(rng, "pass", life.wait(rng, Status.REPORTED_BACK, False), life.checker()):
        life.closed_at = life.t
    if fate.reopen and life.move(rng, "reopen", rng.uniform(2, 120), reporter, note("reopen")):
        life.reopens += 1
        life.closed_at = None
        life.move(
            rng, "report_back", life.wait(rng, Status.HANDLING, False), life.actor(), note("report_back")
        )
        if life.move(rng, "pass", life.wait(rng, Status.REPORTED_BACK, False), life.checker()):
            life.closed_at = life.t
    if fate.rated and life.status == Status.CLOSED:
        rating = _RATINGS.pick(rng)
        if life.reworks or life.missed:
            rating = max(1, rating - rng.choice((0, 1, 2)))
        if life.move(rng, "rate", rng.uniform(1, 72), reporter, "", {"rating": rating}):
            life.rating, life.rated_at = rating, life.t
    return life


_RATINGS = _Weighted(RATINGS)


def plan_events(
    sites: list[GridSite],
    categories: list[CategorySite],
    *,
    scale: float,
    seed: int,
    now: dt.datetime,
    first_ids: dict[str, int],
    deadline: Callable[[CategorySite, dt.datetime, float], dt.datetime],
    resident: Person | None = None,
) -> EventPlan:
    """Plan two years of events up to ``now`` (aware) at ``scale`` of :data:`EVENTS_PER_GRID_YEAR`.

    ``deadline(category, start, hours)`` gives the due time of an open event's current step (the
    working calendar's, passed in so the plan stays free of the database). Rows come a month at a
    time; ``counters()`` then gives the CaseCounter rows that continue the numbering."""
    if not sites:
        raise PlanError("there are no grids to put events in")
    by_code = {c.code: c for c in categories}
    missing = [code for code in CATEGORY_MIX if code not in by_code]
    if missing:
        raise PlanError(f"categories missing: {', '.join(missing)}; load the categories first")
    tz = now.tzinfo
    months = _months(now)
    yearly = EVENTS_PER_GRID_YEAR * scale * len(sites)
    days_in = [_days_in(y, m + 1) for y, m in months]
    partial = (now.day - 1 + now.hour / 24) / days_in[-1]  # the month of ``now`` has only begun
    # Each month its season's share of the year, on a trend that makes the latest twelve months
    # average ``yearly`` and the year before ``GROWTH`` times less.
    mean_season = sum(SEASON) / 12
    per_month = [
        round(
            yearly
            / 12
            * SEASON[m]
            / mean_season
            * GROWTH ** ((i - (MONTHS - 6.5)) / 12)
            * (partial if i == MONTHS - 1 else 1)
        )
        for i, (_y, m) in enumerate(months)
    ]
    grid_pick = _Weighted(
        (
            s,
            seeded(seed, "event-grid", s.code).lognormvariate(0, 0.5)
            * URBAN_PULL.get(s.urban_rural_code, 1.0),
        )
        for s in sites
    )
    category_pick = _Weighted((by_code[code], w) for code, (w, _titles) in CATEGORY_MIX.items())
    titles = {code: t for code, (_w, t) in CATEGORY_MIX.items()}
    channel_pick = {True: _Weighted(CHANNELS_INCIDENT), False: _Weighted(CHANNELS_OTHER)}
    hour_pick = _Weighted(enumerate(HOURS))
    points: dict[int, list] = {}
    showcase = [s for s in sites if s.showcase]
    sweep_until = now - SWEEP_PAUSE

    state = {"event": first_ids.get("event", 1), "timeline": first_ids.get("timeline", 1)}
    counters: dict[tuple[str, dt.date], int] = {}
    tracking: set[str] = set()
    recent: dict[int, tuple[float, str]] = {}  # grid pk → (opened timestamp, number) of its last event
    counts = {"events": 0, "timeline": 0, "open": 0, "done": 0}

    pk_of: dict[str, int] = {}  # number → pk, for the originals of duplicates

    def one(rng, site, category, opened, fate, reporter=None) -> tuple[dict, list[dict]]:
        pk = state["event"]
        state["event"] += 1
        day = opened.astimezone(tz).date()
        key = (site.county, day)
        counters[key] = counters.get(key, 0) + 1
        number = f"E-{site.county}-{day:%Y%m%d}-{counters[key]:04d}"
        pk_of[number] = pk
        last = recent.get(site.pk)
        into = last[1] if last and opened.timestamp() - last[0] < 7 * 86400 else ""
        recent[site.pk] = (opened.timestamp(), number)

        if reporter is not None:
            channel = Channel.PORTAL
        else:
            channel = channel_pick[category.code.startswith(INCIDENT_PREFIX)].pick(rng)
        staff = site.chief if category.station or channel == Channel.DISPATCH_110 else site.worker
        opener = staff if channel in (Channel.STAFF, Channel.PHONE, Channel.DISPATCH_110) else reporter
        anonymous = reporter is None and channel in (Channel.API, Channel.OPEN311) and rng.random() < 0.5
        life = _live(rng, site, category, opened, now, sweep_until, deadline, fate, opener, reporter, into)

        if site.pk not in points:
            points[site.pk] = _points(site, seeded(seed, "event-points", site.code))
        lon, lat = rng.choice(points[site.pk])
        status = life.status
        is_open = status in OPEN_STATES
        due = remind = None
        if is_open:
            if life.due is not None:
                due = life.due
            elif life.swept:
                due = life.step_started + dt.timedelta(hours=24)
            else:
                due = deadline(category, life.step_started, category.limit(status))
            remind = due - (due - life.step_started) * 0.2
        if reporter is not None:
            reporter_name, reporter_phone = reporter.name, reporter.phone
        elif anonymous:
            reporter_name = reporter_phone = ""
        else:
            reporter_name, reporter_phone = (
                names.person_name(rng),
                f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            )
        event = {
            "id": pk,
            "scope_path": site.scope_path,
            "number": number,
            "status": str(status),
            "version": len(life.entries),  # one per move after the opening
            "holder_path": life.holder,
            "assignee_id": life.assignee.pk if life.assignee else None,
            "level": life.level,
            "opened_at": opened,
            "step_started_at": life.step_started,
            "due_at": due,
            "remind_at": remind,
            "reminded": False,
            "missed_deadlines": life.missed,
            "closed_at": life.closed_at,
            "kind": category.kind,
            "category_id": category.pk,
            "title": rng.choice(titles[category.code]),
            "description": "",
            "channel": str(channel),
            "grid_id": site.pk,
            "address_id": None,
            "address_text": f"{site.name}{rng.choice(PLACES)}",
            "lon": lon,
            "lat": lat,
            "reporter_id": reporter.pk if reporter else None,
            "reporter_name": reporter_name,
            "reporter_phone": reporter_phone,
            "tracking_code": _tracking(rng, tracking),
            "external_id": f"110-{day:%Y%m%d}{rng.randrange(10**6):06d}"
            if channel == Channel.DISPATCH_110
            else "",
            "duplicate_of_id": pk_of.get(into) if status == Status.MERGED else None,
            "rework_count": life.reworks,
            "reopen_count": life.reopens,
            "extension_hours": life.extension_hours,
            "rating": life.rating,
            "rated_at": life.rated_at,
        }
        rows = []
        for at, actor, name, before, after, holder, note, data in life.entries:
            rows.append(
                {
                    "id": state["timeline"],
                    "case_type": "event",
                    "case_id": pk,
                    "at": at,
                    "actor_id": actor.pk if actor else None,
                    "actor_label": actor.username if actor else "",
                    "transition": name,
                    "from_status": str(before),
                    "to_status": str(after),
                    "holder_path": holder,
                    "note": note,
                    "data": data,
                }
            )
            state["timeline"] += 1
        counts["events"] += 1
        counts["timeline"] += len(rows)
        counts["open" if is_open else "done"] += 1
        return event, rows

    def chunks():
        for i, ((year, month0), n) in enumerate(zip(months, per_month, strict=True)):
            rng = seeded(seed, "events", f"{year}-{month0 + 1:02d}")
            first = dt.datetime(year, month0 + 1, 1, tzinfo=tz)
            days = days_in[i] if i < len(months) - 1 else now.day
            day_pick = _Weighted((d, WEEKDAY[(first + dt.timedelta(days=d)).weekday()]) for d in range(days))
            planned = []
            for _ in range(n):
                opened = first + dt.timedelta(
                    days=day_pick.pick(rng),
                    hours=hour_pick.pick(rng),
                    minutes=rng.randrange(60),
                    seconds=rng.randrange(60),
                )
                if opened >= now:
                    continue
                planned.append((opened, grid_pick.pick(rng), category_pick.pick(rng), _fate(rng), None))
            if i == len(months) - 1:
                planned += _showcase(rng, showcase, category_pick, by_code, now, resident)
            planned.sort(key=lambda p: (p[0], p[1].code))
            events, timeline = [], []
            for opened, site, category, fate, reporter in planned:
                event, rows = one(rng, site, category, opened, fate, reporter)
                events.append(event)
                timeline.extend(rows)
            yield {"event": events, "timeline": timeline}

    def counter_rows():
        return [
            {"prefix": "E", "county": county, "day": day, "last": last}
            for (county, day), last in sorted(counters.items())
        ]

    return EventPlan(chunks=chunks(), counters=counter_rows, counts=counts)


def _showcase(rng, sites, category_pick, by_code, now, resident) -> list[tuple]:
    """Recent events in the demo accounts' grids: open in every step, some escalated or past
    their limit, some held by the station; and a few reported by the demo resident."""
    planned = []
    for site in sites:
        for i in range(SHOWCASE_RECENT):
            opened = now - dt.timedelta(hours=rng.uniform(0.5, 96))
            category = by_code["02"] if i % 6 == 5 else category_pick.pick(rng)
            planned.append((opened, site, category, _fate(rng, showcase=True), None))
        for _ in range(2):  # just escalated to the district's officer, waiting there
            opened = now - dt.timedelta(hours=rng.uniform(1.6, 4))
            planned.append((opened, site, category_pick.pick(rng), _Fate(escalations=1, hold=True), None))
        if resident is not None:
            for _ in range(3):
                opened = now - dt.timedelta(days=rng.uniform(0.2, 20))
                planned.append((opened, site, by_code["0403"], _fate(rng), resident))
    return planned


def _days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]
