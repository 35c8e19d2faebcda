"""Two years of events for the demo city: each event's fate planned here, its life played by the
casework kernel's bulk path.

The plan says which step comes when and who takes it; :class:`fengqiao.core.casework.Life`
takes each as the engine does (from the states the event workflow declares, to its target, the
clock and the next limit on the working calendar, the timeline row), only in memory instead of
in a transaction per move (which would take hours for a city's two years): reported, then filed
or rejected or merged as a duplicate, dispatched, handled, reported back, checked — passed or
sent back for rework — closed, rated, now and then reopened; some are escalated by hand, some
miss a limit and the sweep takes them one rung up. So the event pages, the inboxes and the
indicators read the demo as they read real work. A life stops at ``now``: the recent events are
still open, in whatever step they had reached, a few of them past their limit.

Rates: :data:`EVENTS_PER_GRID_YEAR` at events scale 1.0 (3,475 grids → about 350,000 a year,
"hundreds of thousands", DESIGN.md); the demo's default is 0.1 of it. A little growth from the
first year to the second, a season, quiet weekends and nights. The grids of the demo accounts
get a handful of recent events besides, so their inboxes are never empty.

Numbers are the kernel's (:class:`fengqiao.core.casework.Numbers`, in the order opened); the
counters to continue from are saved with the events.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

import shapely

from fengqiao.accounts.models import User
from fengqiao.core import casework
from fengqiao.demo import names
from fengqiao.demo.city import seeded
from fengqiao.events import routing
from fengqiao.events.choices import (
    THEFT,
    Channel,
    CrimeClass,
    EventKind,
    FraudType,
    Offence,
    Responsible,
    SolveMethod,
    Status,
)
from fengqiao.events.models import TRACKING_ALPHABET, Category, Event
from fengqiao.events.rules import classify, crime_class_in
from fengqiao.events.workflow import EVENT_WORKFLOW
from fengqiao.geo.models import Grid

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
    # criminal cases (案情) by class: about 6 % of events
    "020101": (0.02, ("故意杀人案",)),
    "020102": (0.03, ("放火案",)),
    "020104": (0.01, ("绑架案",)),
    "020105": (0.12, ("抢劫案", "持刀抢劫案")),
    "020106": (0.04, ("强奸案",)),
    "020108": (0.08, ("故意伤害致人重伤案",)),
    "020111": (1.0, ("入室盗窃案", "夜间入室盗窃案")),
    "020112": (0.8, ("电动车被盗", "电动车电瓶被盗")),
    "020113": (0.15, ("机动车被盗",)),
    "020114": (0.3, ("公交车上被扒窃", "市场内被扒窃")),
    "020115": (0.8, ("店铺财物被盗", "工地材料被盗")),
    "020121": (0.15, ("飞车抢夺", "抢夺手机")),
    "020131": (1.6, ("刷单返利诈骗案", "虚假投资理财诈骗案", "冒充客服诈骗案", "网络贷款诈骗案")),
    "020199": (0.6, ("寻衅滋事案", "故意毁坏财物案")),
    "03": (1, ("网络舆情核查", "群众集中反映问题")),
}
INCIDENT_PREFIX = "01"
CRIME_PREFIX = "0201"
# The share of last year's criminal cases of a class drawn again this year, so that the year on
# year falls are the article's: homicide −42.86 %, the eight serious violent crimes −19.24 %, theft
# −37.37 %, criminal cases −23.51 % in all. Every month of the second year draws ``GROWTH`` times
# the first's events, so each share is the article's ratio over GROWTH: theft 0.6263 / 1.08; the
# other serious violent classes make the group's 0.8076 with homicide's 0.5714 (by CATEGORY_MIX's
# weights), and fraud, snatching and the rest make up criminal cases' 0.7649.
CRIME_KEPT = {
    CrimeClass.HOMICIDE: 0.5714 / GROWTH,
    **dict.fromkeys(
        (
            CrimeClass.ARSON,
            CrimeClass.EXPLOSION,
            CrimeClass.KIDNAPPING,
            CrimeClass.ROBBERY,
            CrimeClass.RAPE,
            CrimeClass.POISONING,
            CrimeClass.GRIEVOUS_INJURY,
        ),
        0.8246 / GROWTH,
    ),
    **dict.fromkeys(THEFT, 0.6263 / GROWTH),
}
CRIME_KEPT_DEFAULT = 0.9385 / GROWTH
# Crime clusters in space (so Gi* finds hotspots): a few centres, one per HOTSPOT_EVERY grids,
# around which criminal cases are up to HOTSPOT_PULL times likelier, fading over HOTSPOT_KM.
HOTSPOT_EVERY = 60
HOTSPOT_PULL = 6.0
HOTSPOT_KM = 1.2
# Near-repeat burglary series: after a burglary, now and then one to three more within about
# SERIES_M metres in the next SERIES_DAYS days (so the near-repeat calculator finds them).
SERIES = 0.3
SERIES_M = 150
SERIES_DAYS = 14
# Share solved per class, and how.
SOLVED = {CrimeClass.FRAUD: 0.25, **dict.fromkeys(THEFT, 0.4)}
SOLVED_DEFAULT = 0.85
SOLVE_METHODS = (
    (SolveMethod.VIDEO, 35),
    (SolveMethod.INVESTIGATION, 30),
    (SolveMethod.ON_SCENE, 15),
    (SolveMethod.FORENSICS, 10),
    (SolveMethod.TIP, 10),
)
FRAUD_KINDS = {
    "刷单返利诈骗案": FraudType.ORDER_BRUSHING,
    "虚假投资理财诈骗案": FraudType.INVESTMENT,
    "冒充客服诈骗案": FraudType.CUSTOMER_SERVICE,
    "网络贷款诈骗案": FraudType.LOAN,
}
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
class GridSite:
    """One grid, with the people who work its events: the grid worker, the district's officer
    and the station's chief (any may be missing in a hand-made territory)."""

    pk: int
    code: str
    name: str
    scope_path: str
    polygon: object  # shapely, WGS-84
    urban_rural_code: str = ""
    worker: User | None = None
    officer: User | None = None
    chief: User | None = None
    showcase: bool = False

    @property
    def county(self) -> str:
        return self.scope_path.split("/")[1]

    @property
    def grid(self) -> Grid:
        return Grid(pk=self.pk, code=self.code, name=self.name, scope_path=self.scope_path)

    def person_at(self, holder: str) -> User | None:
        depth = holder.count("/") + 1
        return {5: self.worker, 4: self.officer, 3: self.chief}.get(depth)


@dataclass
class EventPlan:
    """The events and their timeline rows, a month of opening dates at a time (``chunks``), the
    numbers they took (``numbers.save()`` once the chunks are consumed), and the counts."""

    chunks: Iterator[dict[str, list]]
    numbers: casework.Numbers
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


def _external_id(rng: random.Random, day: dt.date, taken: set) -> str:
    """A 110 call's number, unique (a busy day's random numbers may meet: the import refuses twins)."""
    while True:
        code = f"110-{day:%Y%m%d}{rng.randrange(10**6):06d}"
        if code not in taken:
            taken.add(code)
            return code


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
    """One event's fate played through the kernel's bulk path, stopping at ``stop``."""

    def __init__(self, life: casework.Life, site: GridSite, stop: dt.datetime, sweep_until: dt.datetime):
        self.life, self.site, self.stop, self.sweep_until = life, site, stop, sweep_until
        self.event: Event = life.case
        self.t = life.at
        self.done = False  # stopped at ``stop`` before the life was over

    @property
    def holder(self) -> str:
        return self.event.holder_path

    def _happen(self, hours: float) -> bool:
        """Advance the clock; False (and the life ends here) when that passes ``stop``."""
        at = self.t + dt.timedelta(hours=hours)
        if at > self.stop:
            self.done = True
            return False
        self.t = at
        return True

    def move(self, name: str, hours: float, actor: User | None, note="", data=None, sets=None) -> bool:
        """Take step ``name`` ``hours`` from now, unless that is past ``stop``."""
        if self.done or not self._happen(hours):
            return False
        self.life.move(name, at=self.t, actor=actor, note=note, data=data, sets=sets)
        return True

    def wait(self, rng, late: bool = False) -> float:
        """Hours until the current step is done: well within its limit, or past it. Past the limit
        the sweep takes the event one rung up (if the demo's worker was running then) and the new
        holder acts within the time that gives; else it is still overdue now."""
        event = self.event
        due = event.due_at
        if not late or due is None:
            hours = event.category.limit_hours(event.status) or 24
            return hours * rng.uniform(0.05, 0.85)  # clock hours: within any working-hours limit too
        if due <= self.sweep_until:
            self.t = max(self.t, due)
            self.life.overdue(self.t)
            done = self.t + (event.due_at - self.t) * rng.uniform(0.1, 0.8)
        else:
            done = due + dt.timedelta(hours=rng.uniform(1, 48))
        return (done - self.t).total_seconds() / 3600

    def drag(self, rng) -> float:
        """Hours until a long job is done (a complex dispute, weeks or months): whenever its limit
        nears, the holder asks for a month more and the level above approves."""
        done = self.t + dt.timedelta(days=rng.uniform(20, 200))
        month = 24 * 30
        while self.event.due_at < done:
            due = self.event.due_at
            asked = max(self.t, due - dt.timedelta(hours=rng.uniform(1, 8)))
            approved = asked + (due - asked) * rng.uniform(0.2, 0.9)
            if asked > self.stop:
                break
            self.t = asked
            note = rng.choice(NOTES["extension"])
            self.life.move(
                "request_extension", at=asked, actor=self.actor(), note=note, data={"hours": month}
            )
            if approved > self.stop:
                break
            self.t = approved
            self.life.move("approve_extension", at=approved, actor=self.approver())
        return (done - self.t).total_seconds() / 3600

    def approver(self) -> User | None:
        """Someone above the holder."""
        return self.site.officer if self.holder.count("/") + 1 >= 5 else self.site.chief

    def actor(self) -> User | None:
        """Whoever holds it acts: the grid worker, the district's officer, the station's chief."""
        return self.site.person_at(self.holder) or self.site.chief or self.site.officer

    def checker(self) -> User | None:
        """Someone other than whoever reported back checks it (the workflow's separation of
        duties): the officer checks the grid's and the chief's work, the chief the officer's."""
        doer = self.actor()
        others = (self.site.officer, self.site.chief)
        return next((p for p in others if p is not None and (doer is None or p.pk != doer.pk)), None)


def _live(rng, life: _Life, fate: _Fate, reporter, into: Event | None) -> None:
    """The moves of one event up to ``stop`` (or the end of its life)."""

    def note(kind):
        return rng.choice(NOTES[kind])

    if fate.reject:
        life.move("reject", life.wait(rng), life.actor(), note("reject"))
        return
    if fate.merge and into is not None:
        data, sets = {"into": into.number}, {"duplicate_of_id": into.pk}
        life.move("merge", life.wait(rng), life.actor(), data=data, sets=sets)
        return
    for _ in range(fate.escalations):
        if life.holder.count("/") + 1 >= 4:
            life.move("escalate", rng.uniform(0.1, 1.5), life.actor(), note("escalate"))
    if fate.hold:
        return
    late = fate.late_step
    life.move("file", life.wait(rng, late == Status.REPORTED), life.actor())
    assignee = life.site.person_at(life.holder)
    data, sets = ({"assignee": assignee.pk}, {"assignee": assignee}) if assignee else (None, {})
    life.move("dispatch", life.wait(rng, late == Status.FILED), life.actor(), data=data, sets=sets)
    life.move("accept", life.wait(rng, late == Status.DISPATCHED), life.actor())
    rounds = 1 + fate.reworks
    for i in range(rounds):
        if life.done:
            break
        wait = life.drag(rng) if fate.long and i == 0 else life.wait(rng, late == Status.HANDLING and i == 0)
        life.move("report_back", wait, life.actor(), note("report_back"))
        if i < rounds - 1:
            life.move("rework", life.wait(rng), life.checker(), note("rework"))
    life.move("pass", life.wait(rng), life.checker())
    if fate.reopen and life.move("reopen", rng.uniform(2, 120), reporter, note("reopen")):
        life.move("report_back", life.wait(rng), life.actor(), note("report_back"))
        life.move("pass", life.wait(rng), life.checker())
    if fate.rated and life.event.status == Status.CLOSED:
        rating = _RATINGS.pick(rng)
        if life.event.rework_count or life.event.missed_deadlines:
            rating = max(1, rating - rng.choice((0, 1, 2)))
        life.move("rate", rng.uniform(1, 72), reporter, data={"rating": rating})


_RATINGS = _Weighted(RATINGS)


def plan_events(
    sites: list[GridSite],
    categories: list[Category],
    *,
    scale: float,
    seed: int,
    now: dt.datetime,
    first_id: int = 1,
    resident: User | None = None,
) -> EventPlan:
    """Plan two years of events up to ``now`` (aware) at ``scale`` of :data:`EVENTS_PER_GRID_YEAR`,
    their ids from ``first_id``. Events and timeline rows come a month at a time."""
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
    crime_pick = _Weighted(zip(sites, _crime_weights(sites, grid_pick, seed), strict=True))
    category_pick = _Weighted((by_code[code], w) for code, (w, _titles) in CATEGORY_MIX.items())
    titles = {code: t for code, (_w, t) in CATEGORY_MIX.items()}
    channel_pick = {True: _Weighted(CHANNELS_INCIDENT), False: _Weighted(CHANNELS_OTHER)}
    hour_pick = _Weighted(enumerate(HOURS))
    points: dict[int, list] = {}
    grids = {s.pk: s.grid for s in sites}
    showcase = [s for s in sites if s.showcase]
    sweep_until = now - SWEEP_PAUSE
    load = casework.BulkLoad(EVENT_WORKFLOW)

    ids = itertools.count(first_id)
    tracking: set[str] = set()
    recent: dict[int, tuple[float, Event]] = {}  # grid pk → (opened timestamp, event) of its last event
    counts = {"events": 0, "timeline": 0, "open": 0, "done": 0}

    def point_of(site: GridSite) -> list[tuple[float, float]]:
        if site.pk not in points:
            points[site.pk] = _points(site, seeded(seed, "event-points", site.code))
        return points[site.pk]

    def one(rng, site, category, opened, fate, reporter=None, at_point=None) -> tuple[Event, list]:
        last = recent.get(site.pk)
        into = last[1] if last and opened.timestamp() - last[0] < 7 * 86400 else None
        if reporter is not None:
            channel = Channel.PORTAL
        else:
            channel = channel_pick[category.code.startswith(INCIDENT_PREFIX)].pick(rng)
        station = category.responsible == Responsible.STATION
        staff = site.chief if station or channel == Channel.DISPATCH_110 else site.worker
        opener = staff if channel in (Channel.STAFF, Channel.PHONE, Channel.DISPATCH_110) else reporter
        anonymous = reporter is None and channel in (Channel.API, Channel.OPEN311) and rng.random() < 0.5
        lon, lat = at_point or rng.choice(point_of(site))
        if reporter is not None:
            reporter_name, reporter_phone = reporter.full_name, reporter.phone
        elif anonymous:
            reporter_name = reporter_phone = ""
        else:
            reporter_name, reporter_phone = (
                names.person_name(rng),
                f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            )
        grid = grids[site.pk]
        day = opened.astimezone(tz).date()
        event = Event(
            pk=next(ids),
            scope_path=site.scope_path,
            holder_path=routing.holder_for(category, grid),
            kind=category.kind,
            category=category,
            title=rng.choice(titles[category.code]),
            channel=str(channel),
            grid=grid,
            address_text=f"{site.name}{rng.choice(PLACES)}",
            lon=lon,
            lat=lat,
            reporter=reporter,
            reporter_name=reporter_name,
            reporter_phone=reporter_phone,
            tracking_code=_tracking(rng, tracking),
            external_id=_external_id(rng, day, tracking) if channel == Channel.DISPATCH_110 else "",
        )
        if category.offence:
            _classify(rng, event, category, opened, now)
        life = _Life(load.open(event, county=site.county, actor=opener, at=opened), site, now, sweep_until)
        recent[site.pk] = (opened.timestamp(), event)
        _live(rng, life, fate, reporter, into)
        rows = life.life.rows()
        counts["events"] += 1
        counts["timeline"] += len(rows)
        counts["open" if event.is_open else "done"] += 1
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
                site = grid_pick.pick(rng)
                category = category_pick.pick(rng)
                # This year's crime a share of last year's: the older year keeps all it drew, the
                # recent twelve months drop a class's share (the same draws, so the seed holds).
                recent = i >= MONTHS - 12 and category.crime_class
                if recent and rng.random() > CRIME_KEPT.get(category.crime_class, CRIME_KEPT_DEFAULT):
                    continue
                if category.offence:  # criminal and administrative cases cluster
                    site = crime_pick.pick(rng)
                if category.crime_class == CrimeClass.BURGLARY:
                    month_end = first + dt.timedelta(days=days)
                    planned += _series(rng, opened, site, category, min(now, month_end), point_of(site))
                    continue
                planned.append((opened, site, category, _fate(rng), None, None))
            if i == len(months) - 1:
                planned += _showcase(rng, showcase, category_pick, by_code, now, resident)
            planned.sort(key=lambda p: (p[0], p[1].code))
            events, timeline = [], []
            for opened, site, category, fate, reporter, at_point in planned:
                event, rows = one(rng, site, category, opened, fate, reporter, at_point)
                events.append(event)
                timeline.extend(rows)
            yield {"event": events, "timeline": timeline}

    return EventPlan(chunks=chunks(), numbers=load.numbers, counts=counts)


_SOLVE_METHODS = _Weighted(SOLVE_METHODS)


def _classify(rng, event: Event, category: Category, opened: dt.datetime, now: dt.datetime) -> None:
    """A demo case's class (its category's, the kind of fraud its title names) and whether, when
    and how it was solved."""
    named = crime_class_in(event.title) if category.offence == Offence.CRIMINAL else ""
    for name, value in classify(
        category, crime_class=named, fraud_type=FRAUD_KINDS.get(event.title, "")
    ).items():
        setattr(event, name, value)
    if category.kind != EventKind.CASE or not event.crime_class:
        return
    if rng.random() > SOLVED.get(event.crime_class, SOLVED_DEFAULT):
        return
    solved = opened + dt.timedelta(days=rng.expovariate(1 / 20))
    if solved < now:
        event.solved_at, event.solved_by = solved, _SOLVE_METHODS.pick(rng)


def _showcase(rng, sites, category_pick, by_code, now, resident) -> list[tuple]:
    """Recent events in the demo accounts' grids: open in every step, some escalated or past
    their limit, some held by the station; and a few reported by the demo resident."""
    planned = []
    for site in sites:
        for i in range(SHOWCASE_RECENT):
            opened = now - dt.timedelta(hours=rng.uniform(0.5, 96))
            category = by_code["02"] if i % 6 == 5 else category_pick.pick(rng)
            planned.append((opened, site, category, _fate(rng, showcase=True), None, None))
        for _ in range(2):  # just escalated to the district's officer, waiting there
            opened = now - dt.timedelta(hours=rng.uniform(1.6, 4))
            held = _Fate(escalations=1, hold=True)
            planned.append((opened, site, category_pick.pick(rng), held, None, None))
        if resident is not None:
            for _ in range(3):
                opened = now - dt.timedelta(days=rng.uniform(0.2, 20))
                planned.append((opened, site, by_code["0403"], _fate(rng), resident, None))
    return planned


def _crime_weights(sites: list[GridSite], grid_pick: _Weighted, seed: int) -> list[float]:
    """Each grid's weight for criminal cases: its weight for any event, pulled up near a few
    centres drawn among the busier grids (a smooth bump, so neighbouring grids rise together)."""
    rng = seeded(seed, "crime-hotspots")
    centres = {id(grid_pick.pick(rng)): None for _ in range(max(2, len(sites) // HOTSPOT_EVERY))}
    base = dict(zip((id(s) for s in grid_pick.items), _own_weights(grid_pick), strict=True))
    xy = {id(s): _km(s.polygon.centroid) for s in sites}
    weights = []
    for site in sites:
        x, y = xy[id(site)]
        squared = ((x - xy[c][0]) ** 2 + (y - xy[c][1]) ** 2 for c in centres)
        bump = sum(math.exp(-d2 / (2 * HOTSPOT_KM**2)) for d2 in squared)
        weights.append(base[id(site)] * (1 + HOTSPOT_PULL * min(bump, 1.0)))
    return weights


def _own_weights(picker: _Weighted) -> list[float]:
    return [b - a for a, b in zip([0.0, *picker.cum[:-1]], picker.cum, strict=True)]


def _km(point) -> tuple[float, float]:
    """A point in kilometres east and north (near enough for a city: 37.5° N as the reference)."""
    return point.x * 111.32 * math.cos(math.radians(37.5)), point.y * 110.57


def _series(rng, opened, site, category, until, site_points) -> list[tuple]:
    """A burglary and, now and then, the near repeats that follow it: one to three more within
    about ``SERIES_M`` metres over the next ``SERIES_DAYS`` days (before ``until``)."""
    lon, lat = rng.choice(site_points)
    planned = [(opened, site, category, _fate(rng), None, (lon, lat))]
    if rng.random() < SERIES:
        for _ in range(rng.randint(1, 3)):
            later = opened + dt.timedelta(days=rng.uniform(0.5, SERIES_DAYS))
            if later >= until:
                continue
            dx, dy = rng.uniform(-1, 1) * SERIES_M / 88_000, rng.uniform(-1, 1) * SERIES_M / 111_000
            near = (round(lon + dx, 6), round(lat + dy, 6))
            planned.append((later, site, category, _fate(rng), None, near))
    return planned


def _days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]
