"""The demo registry (一标三实) as pure bookkeeping: no database, no clock, no global randomness.

Input: the grids of the demo city (:class:`GridSite`: code, scope path, polygon, the names of its
village, township and county), a scale, a seed and the day the data is made for. Output, grid by
grid in code order (:func:`plan_registry` is a generator, so a city at scale 1.0 never sits in
memory at once): the rows of addresses, people, houses, organisations, residences (person ↔
house), employments and care tags, as dicts keyed by the registry models' field names, with their
primary keys already assigned from the ``first_ids`` given.

What it looks like, at scale 1.0 (the article's city): 733,000 people, 162,000 houses, 6,000
organisations.

- Registered residents (户籍) live in families sharing a house, with ID numbers of the county the
  grid lies in; a few children and old people in the villages are left-behind (留守).
- About one person in eight is floating population (流动人口): tenants of rented houses, with ID
  numbers from other provinces, a reason for coming, the day the landlord reported them (most
  within three working days, some late, a few not yet) and, after half a year, a residence permit
  that may be about to expire. A few overseas residents rent too.
- Organisations carry valid unified social credit codes (GB 32100, with the GB 11714
  organisation code inside) of their county, a legal representative from the grid, and staff.
- A small share of people carry care tags (released prisoners, community correction, severe
  mental illness with a risk grade, drug users, key youth).
- Every address has a point strictly inside its grid's polygon; flats of one building share its
  point. Every grid gets addresses when there are at least as many houses as grids.
- ``collected_at`` spans the 24 months up to ``today``: month by month the last twelve months
  hold (1 + growth) times the same month a year earlier, with the article's growth (people
  +109 %, houses +12 %, organisations +33 %) and a seasonal shape (less around the Spring
  Festival, more in the spring and autumn campaigns, less at weekends).

Every random choice comes from a generator seeded with the seed and the thing being made (a grid
code, a pool name), so the same input gives the same rows. Identifiers are made by the registry's
validators (``make_id_number``, ``make_credit_code``) and the full address by the model.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import shapely
from shapely.geometry import Polygon

from fengqiao.demo import names
from fengqiao.demo.city import apportion, seeded
from fengqiao.geo.models import Division
from fengqiao.registry.choices import (
    AddressElement,
    CareTagKind,
    HouseOwnership,
    HouseUse,
    OrganisationType,
    ResidenceType,
    ResidentType,
    Sex,
)
from fengqiao.registry.code_tables import Ethnicity, MaritalStatus
from fengqiao.registry.models import Address
from fengqiao.registry.validators import CREDIT_CHARS, make_credit_code, make_id_number

# The article's city at scale 1.0.
ARTICLE_PEOPLE = 733_000
ARTICLE_HOUSES = 162_000
ARTICLE_ORGANISATIONS = 6_000

# Year-on-year growth of what was collected, as the article reports it.
GROWTH = {"people": 1.09, "houses": 0.12, "organisations": 0.33}

FLOATING_SHARE = 0.125  # of all people
OVERSEAS_SHARE = 0.0005  # "a few"
LEFT_BEHIND_SHARE = 0.06  # of the children and the old in village grids
# Tenant households whose landlord reported them late (more than 3 working days after moving in),
# and, of those who moved in during the last month, the ones not reported yet.
LATE_REPORTS = 0.07
UNREPORTED = 0.10

WUZHONG_COUNTIES = ("640302", "640303", "640323", "640324", "640381")

# Urban–rural class (统计用城乡划分代码) → how densely a grid is settled, and whether its houses are
# flats in compounds (urban) or courtyards along village groups (rural).
URBAN_CLASSES = frozenset({"111", "112", "121"})
DENSITY = {"111": 3.0, "112": 2.4, "121": 2.0, "122": 1.3, "123": 1.0, "210": 1.1, "220": 1.0}
FLOATING_PULL = {"111": 2.5, "112": 2.5, "121": 1.8, "122": 1.2}  # floating people go to towns
ORGANISATION_PULL = {"111": 4.0, "112": 3.0, "121": 3.0, "122": 1.5}

# Calendar month → relative amount of collection work (Spring Festival in Jan/Feb; spring and
# autumn campaigns).
SEASON = (0.8, 0.55, 1.0, 1.15, 1.2, 1.0, 0.9, 0.9, 1.1, 1.25, 1.15, 0.9)
WEEKEND_WORK = 0.3

# Where the floating population of Wuzhong comes from: real county codes of other provinces,
# with the province and county names for the native place (籍贯).
ORIGINS = (
    ("620102", "甘肃省兰州市城关区", 6),
    ("620421", "甘肃省靖远县", 8),
    ("620523", "甘肃省甘谷县", 5),
    ("621121", "甘肃省通渭县", 5),
    ("622921", "甘肃省临夏县", 6),
    ("610802", "陕西省榆林市榆阳区", 5),
    ("610302", "陕西省宝鸡市渭滨区", 3),
    ("610102", "陕西省西安市新城区", 3),
    ("150602", "内蒙古自治区鄂尔多斯市东胜区", 4),
    ("150102", "内蒙古自治区呼和浩特市新城区", 2),
    ("410102", "河南省郑州市中原区", 4),
    ("411302", "河南省南阳市宛城区", 3),
    ("510104", "四川省成都市锦江区", 3),
    ("511302", "四川省南充市顺庆区", 3),
    ("370102", "山东省济南市历下区", 2),
    ("130102", "河北省石家庄市长安区", 2),
    ("340102", "安徽省合肥市瑶海区", 2),
    ("330102", "浙江省杭州市上城区", 2),
    ("630102", "青海省西宁市城东区", 3),
    ("140105", "山西省太原市小店区", 2),
)
_ORIGIN_CUM = list(np.cumsum([w for *_, w in ORIGINS]))

REASONS = (("务工", 60), ("经商", 20), ("投靠亲友", 8), ("求学", 5), ("其他", 7))
_REASON_CUM = list(np.cumsum([w for _, w in REASONS]))

# Overseas residents: nationality (name, ISO 3166 alpha-3 and numeric) and transliterated names.
NATIONALITIES = (
    ("巴基斯坦", "PAK", "586"),
    ("马来西亚", "MYS", "458"),
    ("埃及", "EGY", "818"),
    ("约旦", "JOR", "400"),
    ("哈萨克斯坦", "KAZ", "398"),
    ("印度尼西亚", "IDN", "360"),
    ("沙特阿拉伯", "SAU", "682"),
    ("俄罗斯", "RUS", "643"),
    ("韩国", "KOR", "410"),
    ("美国", "USA", "840"),
)
FOREIGN_GIVEN = {
    "M": ("穆罕默德", "艾哈迈德", "优素福", "阿卜杜拉", "哈立德", "易卜拉欣", "伊万", "约翰", "敏俊"),
    "F": ("法蒂玛", "阿伊莎", "努尔", "玛丽亚姆", "萨拉", "安娜", "艾米丽", "智恩"),
}
FOREIGN_FAMILY = ("阿里", "哈桑", "侯赛因", "卡里姆", "拉希德", "奥马尔", "彼得罗夫", "史密斯", "汗")

_ROADS = (
    "利宁 明珠 朝阳 文卫 裕民 胜利 红星 开元 世纪 康宁 团结 新华 民族 友谊 育才 建设 黄河 滨河 "
    "富平 光明 古城 盛元 利通 金星 青年 迎宾 同心 汉渠 秦渠 永昌"
)
ROADS = tuple(_ROADS.split())
ROAD_SUFFIXES = ("路", "街", "大道", "巷")
_COMPOUNDS = (
    "金花园 世纪花园 朝阳 明珠 康馨 盛元 富丽 西苑 东塔 银河 阳光 滨河 凤凰 龙湖 锦绣 紫荆 丽景 "
    "怡和 金域 馨园 泰和 昌盛 福安 兴业 安居 文苑 御景 和顺 瑞祥 塞上"
)
COMPOUNDS = tuple(_COMPOUNDS.split())
COMPOUND_SUFFIXES = ("小区", "花园", "家园", "苑", "新村", "嘉园")

_MOBILE_PREFIXES = (
    "139 138 137 136 135 134 150 151 152 157 158 159 182 183 187 188 130 131 132 155 156 185 "
    "186 133 153 180 181 189 177 199 198 166"
)
MOBILE_PREFIXES = tuple(_MOBILE_PREFIXES.split())
AREA_CODE = "0953"  # Wuzhong

# Organisations: (type, weight, credit code authority+category, staff range, name builder key).
ORG_KINDS = (
    (OrganisationType.INDIVIDUAL_BUSINESS, 52, "92", (1, 3), "shop"),
    (OrganisationType.ENTERPRISE, 33, "91", (3, 25), "company"),
    (OrganisationType.PUBLIC_INSTITUTION, 6, "12", (5, 40), "institution"),
    (OrganisationType.GOVERNMENT, 3, "11", (5, 30), "government"),
    (OrganisationType.SOCIAL_ORGANISATION, 3, "51", (1, 5), "society"),
    (OrganisationType.PRIVATE_NON_ENTERPRISE, 3, "52", (2, 12), "private"),
)
_ORG_CUM = list(np.cumsum([k[1] for k in ORG_KINDS]))
# Trade names (字号) of two characters: one of each list, 鑫 + 源 → 鑫源.
TRADE_FIRST = "鑫恒华金瑞宏德兴永天丰伊宁汇嘉正福长顺昊富鸿润鼎聚志新荣"
TRADE_SECOND = "源达通泰丰利隆盛安和康运穗泽缘昌信茂祥发成鑫"
INDUSTRIES = (
    # industry, company name ending, weight
    ("批发和零售业", "商贸有限公司", 20),
    ("建筑业", "建筑工程有限公司", 10),
    ("交通运输、仓储和邮政业", "物流有限公司", 8),
    ("住宿和餐饮业", "餐饮管理有限公司", 10),
    ("农、林、牧、渔业", "农牧科技有限公司", 10),
    ("制造业", "食品有限公司", 12),
    ("信息传输、软件和信息技术服务业", "网络科技有限公司", 5),
    ("居民服务、修理和其他服务业", "汽车服务有限公司", 8),
    ("租赁和商务服务业", "商务咨询有限公司", 5),
    ("文化、体育和娱乐业", "文化传媒有限公司", 4),
    ("电力、热力、燃气及水生产和供应业", "能源有限公司", 3),
    ("房地产业", "物业服务有限公司", 5),
)
_INDUSTRY_CUM = list(np.cumsum([w for *_, w in INDUSTRIES]))
SHOPS = (
    # shop name ending, industry, weight
    ("牛肉拉面馆", "住宿和餐饮业", 14),
    ("清真餐厅", "住宿和餐饮业", 10),
    ("便利店", "批发和零售业", 16),
    ("百货商店", "批发和零售业", 8),
    ("烟酒店", "批发和零售业", 6),
    ("理发店", "居民服务、修理和其他服务业", 8),
    ("汽车修理部", "居民服务、修理和其他服务业", 6),
    ("农资店", "批发和零售业", 6),
    ("五金建材店", "批发和零售业", 6),
    ("手机维修店", "居民服务、修理和其他服务业", 4),
    ("宾馆", "住宿和餐饮业", 5),
    ("网吧", "文化、体育和娱乐业", 3),
    ("快递服务站", "交通运输、仓储和邮政业", 5),
    ("加油站", "批发和零售业", 2),
)
_SHOP_CUM = list(np.cumsum([w for *_, w in SHOPS]))
ROLES = ("员工", "员工", "员工", "店员", "会计", "司机", "保安", "厨师", "技术员", "销售")

# Care tags: kind, share of adults, and for mental illness the spread of risk grades 0–5.
CARE_SHARES = (
    (CareTagKind.RELEASED_PRISONER, 0.0015),
    (CareTagKind.COMMUNITY_CORRECTION, 0.0006),
    (CareTagKind.MENTAL_ILLNESS, 0.0035),
    (CareTagKind.DRUG_USER, 0.0012),
)
KEY_YOUTH_SHARE = 0.004  # of people aged 14–25
RISK_GRADE_CUM = list(np.cumsum([30, 30, 20, 12, 6, 2]))

EDUCATION_BY_AGE = (  # (minimum age, choices with weights)
    # GB/T 4658 codes (code_tables.Education): 90 其他 stands for 文盲或半文盲, 81 小学毕业 …
    (60, (("90", 20), ("81", 45), ("71", 25), ("61", 8), ("31", 2))),
    (40, (("81", 20), ("71", 45), ("61", 20), ("41", 6), ("31", 6), ("21", 3))),
    (22, (("71", 30), ("61", 20), ("41", 12), ("31", 18), ("21", 17), ("14", 3))),
    (18, (("71", 25), ("61", 45), ("41", 20), ("31", 10))),
    (15, (("70", 60), ("60", 40))),  # at school: the level, not yet completed
    (7, (("80", 100),)),
    (0, (("", 100),)),  # before school: no education recorded
)
# GB/T 2261.2 codes (code_tables.MaritalStatus): 20 已婚, 10 未婚, 40 离婚, 30 丧偶
MARITAL_ADULT = (
    (MaritalStatus.MARRIED.value, 80),
    (MaritalStatus.UNMARRIED.value, 8),
    (MaritalStatus.DIVORCED.value, 5),
    (MaritalStatus.WIDOWED.value, 1),
)
MARITAL_OLD = (
    (MaritalStatus.MARRIED.value, 80),
    (MaritalStatus.UNMARRIED.value, 8),
    (MaritalStatus.DIVORCED.value, 5),
    (MaritalStatus.WIDOWED.value, 7),
)
OCCUPATIONS_RURAL = (
    ("农民", 30), ("工人", 15), ("个体经营", 12), ("公司职员", 15), ("教师", 4), ("医护人员", 3), ("司机", 6),
    ("无业", 8),
)  # fmt: skip
OCCUPATIONS_URBAN = (
    ("农民", 6), ("工人", 15), ("个体经营", 12), ("公司职员", 15), ("教师", 4), ("医护人员", 3), ("司机", 6),
    ("无业", 8),
)  # fmt: skip
URBAN_OWNERSHIP = (
    (HouseOwnership.COMMERCIAL, 80), (HouseOwnership.AFFORDABLE, 12), (HouseOwnership.PUBLIC, 8),
)  # fmt: skip


class PlanError(ValueError):
    """The grids cannot hold a registry at this scale."""


class Weighted:
    """A fixed list of choices with weights, drawn from in O(log n) without rebuilding the
    cumulative weights on every draw (as ``random.choices`` does)."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs):
        pairs = list(pairs)
        self.items = [item for item, _ in pairs]
        self.cum = list(itertools.accumulate(weight for _, weight in pairs))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


# --- input and output -------------------------------------------------------------------------


@dataclass(frozen=True)
class GridSite:
    """One grid of the demo city, with what the generator needs to fill it."""

    pk: int
    code: str  # 15 digits: village code + sequence
    scope_path: str
    polygon: Polygon  # WGS-84
    community_pk: int
    village_name: str  # 金积村委会 (as in the divisions); shortened for addresses
    township_name: str
    county_name: str
    urban_rural_code: str = ""
    collector_pk: int | None = None  # the grid worker posted there, who "collected" its records
    community: Division | None = None  # with its parent: the first words of the full addresses
    showcase: bool = False  # a demo account works here: make sure every kind of duty shows

    @property
    def county_code(self) -> str:
        return self.code[:6]

    @property
    def urban(self) -> bool:
        return self.urban_rural_code in URBAN_CLASSES


@dataclass(frozen=True)
class Targets:
    """How many of each the plan makes."""

    people: int
    houses: int
    organisations: int
    floating: int
    overseas: int

    @classmethod
    def at(cls, scale: float) -> Targets:
        people = max(1, round(ARTICLE_PEOPLE * scale))
        return cls(
            people=people,
            houses=max(1, round(ARTICLE_HOUSES * scale)),
            organisations=max(1, round(ARTICLE_ORGANISATIONS * scale)),
            floating=round(people * FLOATING_SHARE),
            overseas=max(1, round(people * OVERSEAS_SHARE)) if people >= 200 else 0,
        )


MODELS = ("address", "person", "house", "organisation", "residence", "employment", "care_tag")


@dataclass
class GridRows:
    """The rows of one grid, per model, in the order they can be written."""

    grid_code: str
    rows: dict[str, list[dict]] = field(default_factory=lambda: {m: [] for m in MODELS})


class _Ids:
    """Primary keys handed out in order, per model, from the first free one."""

    def __init__(self, first: dict[str, int]):
        self.next = {m: first.get(m, 1) for m in MODELS}

    def take(self, model: str) -> int:
        pk = self.next[model]
        self.next[model] = pk + 1
        return pk


# --- collection dates -------------------------------------------------------------------------


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def collection_months(today: dt.date) -> list[tuple[int, int]]:
    """The 24 calendar months ending with the month of ``today``, oldest first."""
    return [_add_months(today.year, today.month, delta) for delta in range(-23, 1)]


def collection_dates(n: int, growth: float, today: dt.date, rng: random.Random) -> list[dt.date]:
    """``n`` collection dates over the 24 months up to ``today``, shuffled. Each of the last twelve
    months holds (1 + growth) times the dates of the same month a year earlier (to rounding);
    the months follow :data:`SEASON` and weekdays are busier than weekends. The current month
    only has days up to ``today``."""
    earlier = round(n / (2 + growth))
    months = collection_months(today)
    season = [SEASON[m - 1] for _, m in months[12:]]
    per_month = apportion(earlier, season, minimum=0) + apportion(n - earlier, season, minimum=0)
    out: list[dt.date] = []
    for (year, month), count in zip(months, per_month, strict=True):
        if not count:
            continue
        first = dt.date(year, month, 1)
        ny, nm = _add_months(year, month, 1)
        last = min(dt.date(ny, nm, 1) - dt.timedelta(days=1), today)
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        weights = [WEEKEND_WORK if d.weekday() >= 5 else 1.0 for d in days]
        out.extend(rng.choices(days, weights=weights, k=count))
    rng.shuffle(out)
    return out


# --- identifiers ------------------------------------------------------------------------------


class IdNumbers:
    """Citizen ID numbers (GB 11643, made by ``registry.validators.make_id_number``), unique
    across the plan."""

    def __init__(self):
        self.taken: set[str] = set()

    def new(self, rng: random.Random, county: str, born: dt.date, sex: str) -> str:
        while True:
            number = make_id_number(county, born, sex, rng.randrange(0, 500))
            if number not in self.taken:
                self.taken.add(number)
                return number


_BODY_CHARS = CREDIT_CHARS  # an organisation code inside a credit code uses the same characters


class CreditCodes:
    """Unified social credit codes (GB 32100, made by ``registry.validators.make_credit_code``) of a
    county, unique across the plan: newly registered market entities get ``MA`` bodies."""

    def __init__(self):
        self.taken: set[str] = set()

    def new(self, rng: random.Random, prefix: str, county: str) -> str:
        while True:
            if prefix[0] == "9":  # market entities registered since 2015
                body = "MA" + "".join(rng.choice(_BODY_CHARS) for _ in range(6))
            else:
                body = "".join(rng.choice("0123456789") for _ in range(8))
            code = make_credit_code(prefix, county, body)
            if code not in self.taken:
                self.taken.add(code)
                return code


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


def landline(rng: random.Random) -> str:
    return AREA_CODE + f"{rng.randrange(2_000_000, 9_000_000):07d}"


# --- geometry ---------------------------------------------------------------------------------


def points_inside(polygon: Polygon, n: int, rng: random.Random) -> list[tuple[float, float]]:
    """``n`` points strictly inside ``polygon`` (on no border), uniformly by rejection sampling."""
    if n <= 0:
        return []
    shapely.prepare(polygon)
    gen = np.random.default_rng(rng.getrandbits(64))
    minx, miny, maxx, maxy = polygon.bounds
    share = max(polygon.area / max((maxx - minx) * (maxy - miny), 1e-18), 0.02)
    got: list[np.ndarray] = []
    have = 0
    for _ in range(200):
        k = int((n - have) / share * 1.3) + 8
        xs = gen.uniform(minx, maxx, k)
        ys = gen.uniform(miny, maxy, k)
        inside = shapely.contains_xy(polygon, xs, ys)
        pts = np.column_stack((xs[inside], ys[inside]))
        got.append(pts)
        have += len(pts)
        if have >= n:
            break
    else:
        raise PlanError("could not place points inside a grid: it is too thin")
    pts = np.concatenate(got)[:n]
    return [(float(x), float(y)) for x, y in pts]


# --- text -------------------------------------------------------------------------------------


def village_label(name: str) -> str:
    return names.village_short_name(name)


def township_label(name: str) -> str:
    """金积镇 stays; 裕民街道办事处 → 裕民街道."""
    return name.removesuffix("办事处")


def trade_name(rng: random.Random) -> str:
    return rng.choice(TRADE_FIRST) + rng.choice(TRADE_SECOND)


def rural_place(rng: random.Random) -> str:
    """A village group and door plate, for a household registration elsewhere: 三组15号."""
    return f"{names.chinese_number(rng.randrange(1, 12))}组{rng.randrange(1, 120)}号"


_EDUCATION = [(minimum, Weighted(options)) for minimum, options in EDUCATION_BY_AGE]
_MARITAL_ADULT = Weighted(MARITAL_ADULT)
_MARITAL_OLD = Weighted(MARITAL_OLD)
_OCCUPATIONS = {False: Weighted(OCCUPATIONS_RURAL), True: Weighted(OCCUPATIONS_URBAN)}
_URBAN_OWNERSHIP = Weighted(URBAN_OWNERSHIP)
_ROAD_SUFFIXES = Weighted(zip(ROAD_SUFFIXES, (5, 3, 1, 1), strict=True))


def education_for(rng: random.Random, age: int) -> str:
    for minimum, options in _EDUCATION:
        if age >= minimum:
            return options.pick(rng)
    return ""


# --- the plan ---------------------------------------------------------------------------------


@dataclass(eq=False)
class _Person:
    """A person being made, before it becomes a row."""

    row: dict
    age: int
    household: int  # index of the house they live in, within the grid


class _GridMaker:
    """Fills one grid. Shared state (ID numbers, credit codes, date pools, ids)
    comes from the plan; everything random comes from the grid's own generator."""

    def __init__(self, plan: _Plan, site: GridSite, counts: dict[str, int]):
        self.plan = plan
        self.site = site
        self.counts = counts
        self.rng = seeded(plan.seed, "registry", site.code)
        self.out = GridRows(site.code)
        self.people: list[_Person] = []
        self.address_seq = 0

    # -- helpers

    def _birth(self, age: int) -> dt.date:
        today = self.plan.today
        # age in whole years on ``today``: born between age+1 years and age years ago
        return dt.date.fromordinal(today.toordinal() - age * 365 - self.rng.randrange(0, 365) - age // 4)

    def _address(self, point: tuple[float, float], element: str, collected_at: dt.date, **parts) -> dict:
        self.address_seq += 1
        site = self.site
        row = {
            "id": self.plan.ids.take("address"),
            "code": f"{site.code}{self.address_seq:05d}",
            "element_type": element,
            "community_id": site.community_pk,
            "street": parts.get("street", ""),
            "compound": parts.get("compound", ""),
            "door_plate": parts.get("door_plate", ""),
            "building": parts.get("building", ""),
            "unit": parts.get("unit", ""),
            "room": parts.get("room", ""),
            "grid_id": site.pk,
            "lon": point[0],
            "lat": point[1],
            "in_use": True,
            "collected_at": collected_at,
            "collected_by_id": site.collector_pk,
        }
        row["full_text"] = Address(community=site.community, **parts).compose_full_text()
        self.out.rows["address"].append(row)
        return row

    # -- houses and their addresses

    def house_addresses(self, n: int) -> list[dict]:
        """``n`` dwellings: flats in the compounds of an urban grid, courtyards along the village
        groups of a rural one."""
        rng = self.rng
        out: list[dict] = []
        if n == 0:
            return out
        dates = self.plan.pools["houses"]
        if self.site.urban:
            sizes = []
            while sum(sizes) < n:
                sizes.append(rng.choice((12, 18, 24, 24, 36, 48)))
            sizes[-1] -= sum(sizes) - n
            points = points_inside(self.site.polygon, len(sizes), rng)
            compound = ""
            community = self.site.community_pk
            for b, (size, point) in enumerate(zip(sizes, points, strict=True)):
                if b % 12 == 0:
                    compound = self.plan.next_compound(community, self.site.code[:12])
                    building = 0
                building += 1
                units = 2 if size <= 24 else 3
                per_floor = 2
                for i in range(size):
                    unit, rest = divmod(i, math.ceil(size / units))
                    floor, door = divmod(rest, per_floor)
                    out.append(
                        self._address(
                            point,
                            AddressElement.ROOM,
                            dates.pop(),
                            compound=compound,
                            building=str(building),
                            unit=str(unit + 1),
                            room=f"{floor + 1}{door + 1:02d}",
                        )
                    )
        else:
            points = points_inside(self.site.polygon, n, rng)
            community = self.site.community_pk
            group, left = "", 0
            for point in points:
                if left == 0:
                    group, left = self.plan.next_group(community), rng.randrange(25, 80)
                left -= 1
                out.append(
                    self._address(
                        point,
                        AddressElement.DOOR_PLATE,
                        dates.pop(),
                        street=group,
                        door_plate=self.plan.next_plate(community, group, rng),
                    )
                )
        return out

    def organisation_addresses(self, n: int) -> list[dict]:
        rng = self.rng
        out = []
        dates = self.plan.pools["organisations"]
        points = points_inside(self.site.polygon, n, rng)
        community = self.site.community_pk
        for point in points:
            if self.site.urban:
                street = rng.choice(ROADS) + _ROAD_SUFFIXES.pick(rng)
            else:  # along a village group: the last one laid out, or a new one
                street = self.plan.last_group(community) or self.plan.next_group(community)
            out.append(
                self._address(
                    point,
                    AddressElement.DOOR_PLATE,
                    dates.pop(),
                    street=street,
                    door_plate=self.plan.next_plate(community, street, rng, step=9),
                )
            )
        return out

    # -- people

    def person(
        self,
        *,
        name: str,
        sex: str,
        age: int,
        household: int,
        address: dict,
        resident_type: str,
        county: str | None,
        ethnicity: str,
        collected_at: dt.date,
        **extra,
    ) -> _Person:
        rng = self.rng
        born = self._birth(age)
        if age < 18:
            marital = MaritalStatus.UNMARRIED.value
        elif age < 24:
            marital = MaritalStatus.UNMARRIED.value if rng.random() < 0.7 else MaritalStatus.MARRIED.value
        else:
            marital = (_MARITAL_OLD if age > 60 else _MARITAL_ADULT).pick(rng)
        if age < 6:
            occupation = "学龄前儿童"
        elif age < 18:
            occupation = "学生"
        elif age >= 65:
            occupation = "离退休人员" if rng.random() < 0.3 else "无业"
        else:
            occupation = ""  # set below for residents, or by the workplace
        row = {
            "id": self.plan.ids.take("person"),
            "id_number": self.plan.id_numbers.new(rng, county, born, sex) if county else None,
            "name": name,
            "sex": sex,
            "ethnicity": ethnicity,
            "birth_date": born,
            "marital_status": marital,
            "education": education_for(rng, age),
            "occupation": occupation,
            "workplace": "",
            "phone": mobile(rng) if age >= 16 and rng.random() < 0.9 else "",
            "current_address_id": address["id"],
            "grid_id": self.site.pk,
            "resident_type": resident_type,
            "collected_at": collected_at,
            "collected_by_id": self.site.collector_pk,
            **extra,
        }
        p = _Person(row, age, household)
        self.people.append(p)
        self.out.rows["person"].append(row)
        return p

    def family(self, size: int, house_index: int, address: dict) -> list[_Person]:
        """A registered household of ``size`` living in its own house."""
        rng, site = self.rng, self.site
        county = site.county_code
        home = address["full_text"]
        native = f"宁夏回族自治区{site.county_name}"
        surname = names.surname(rng)
        dates = self.plan.pools["people"]
        # Wuzhong is about half Hui; most people with a Hui surname are Hui
        hui_share = 0.9 if surname in names.HUI_SURNAMES else 0.4
        family_ethnicity = Ethnicity.HUI.value if rng.random() < hui_share else Ethnicity.HAN.value
        other_ethnicity = (
            Ethnicity.HAN.value if family_ethnicity == Ethnicity.HUI.value else Ethnicity.HUI.value
        )

        # an urban family may have bought its flat while its hukou stayed in the village (人户分离)
        separated = site.urban and rng.random() < 0.15
        hukou = home
        if separated:
            villages = self.plan.villages.get(site.county_code) or [township_label(site.township_name)]
            hukou = f"{site.county_name}{rng.choice(villages)}{rural_place(rng)}"
        # (name, sex, age, ethnicity): the head, a spouse, the head's parents, the children
        members: list[tuple[str, str, int, str]] = []
        if size == 1:
            head_sex = Sex.MALE if rng.random() < 0.6 else Sex.FEMALE
            head_age = rng.randint(22, 86)
        else:
            head_sex = Sex.MALE if rng.random() < 0.9 else Sex.FEMALE
            head_age = rng.randint(28, 68)
        members.append((surname + names.given_name(rng, head_sex), head_sex, head_age, family_ethnicity))
        left = size - 1
        father = (surname, family_ethnicity) if head_sex == Sex.MALE else None
        if left and rng.random() < 0.93:
            sex = Sex.FEMALE if head_sex == Sex.MALE else Sex.MALE
            spouse_surname = names.surname(rng)
            spouse_ethnicity = family_ethnicity if rng.random() < 0.92 else other_ethnicity
            age = max(20, head_age + rng.randint(-5, 4))
            members.append((spouse_surname + names.given_name(rng, sex), sex, age, spouse_ethnicity))
            father = father or (spouse_surname, spouse_ethnicity)
            left -= 1
        father_surname, children_ethnicity = father or (surname, family_ethnicity)
        if left and head_age <= 62 and (left >= 3 or rng.random() < 0.2):
            for k in range(min(left, 2 if left >= 4 else 1)):
                sex = Sex.MALE if k == 0 else Sex.FEMALE
                parent_surname = surname if sex == Sex.MALE else names.surname(rng)
                age = min(95, head_age + rng.randint(22, 31))
                members.append((parent_surname + names.given_name(rng, sex), sex, age, family_ethnicity))
                left -= 1
        top = max(2, head_age - 21)
        for _ in range(left):
            sex = Sex.MALE if rng.random() < 0.52 else Sex.FEMALE
            age = rng.randint(2, min(top, 40))
            members.append((father_surname + names.given_name(rng, sex), sex, age, children_ethnicity))

        made = []
        for name, sex, age, ethnicity in members:
            rural_dependant = not site.urban and (age < 16 or age >= 65)
            resident_type = (
                ResidentType.LEFT_BEHIND
                if rural_dependant and rng.random() < LEFT_BEHIND_SHARE
                else ResidentType.REGISTERED
            )
            p = self.person(
                name=name,
                sex=sex,
                age=age,
                household=house_index,
                address=address,
                resident_type=resident_type,
                county=county,
                ethnicity=ethnicity,
                collected_at=dates.pop(),
                native_place=native,
                hukou_address=hukou,
            )
            if not p.row["occupation"]:
                p.row["occupation"] = _OCCUPATIONS[site.urban].pick(rng)
            since = p.row["birth_date"] if age < 18 or rng.random() < 0.5 else self._moved_in(age)
            self._residence(
                p, house_index, ResidenceType.OWNER if separated else ResidenceType.HUKOU, since, None
            )
            made.append(p)
        return made

    def _moved_in(self, age: int) -> dt.date:
        years = self.rng.randint(2, max(2, min(age - 18, 40)))
        return self.plan.today - dt.timedelta(days=years * 365 + self.rng.randrange(365))

    def tenants(
        self, size: int, house_index: int, address: dict, overseas: int, show: str = ""
    ) -> list[_Person]:
        """A household of floating (or, for ``overseas`` of them, overseas) tenants. ``show``
        forces what a showcase grid must have: ``late`` (reported late), ``unreported`` (moved
        in a week or two ago, not reported yet) or ``permit`` (a residence permit expiring within
        the month)."""
        rng, plan = self.rng, self.plan
        dates = plan.pools["people"]
        origin_code, origin_name, _w = ORIGINS[
            bisect.bisect_right(_ORIGIN_CUM, rng.random() * _ORIGIN_CUM[-1])
        ]
        reason = REASONS[bisect.bisect_right(_REASON_CUM, rng.random() * _REASON_CUM[-1])][0]
        surname = names.surname(rng)
        made = []
        # When the landlord reported them: most within three working days, some late, a few not yet.
        collected = dates.pop()
        roll = rng.random()
        if show == "unreported":
            collected = plan.today - dt.timedelta(days=rng.randrange(0, 4))
            roll = LATE_REPORTS  # → not reported yet
        elif show == "late":
            roll = 0.0
        elif show == "permit":  # here long enough for a permit, issued 11 months ago
            collected = plan.today - dt.timedelta(days=rng.randrange(560, 700))
            roll = 1.0
        if roll < LATE_REPORTS:
            registered_on, delay = collected, rng.randrange(6, 40)  # reported late
        elif roll < LATE_REPORTS + UNREPORTED and (plan.today - collected).days < 30:
            registered_on, delay = None, rng.randrange(5, 25)  # found on patrol, not reported yet
        else:
            registered_on, delay = collected, _working_days_back(collected, rng.randrange(0, 4))
        start = (
            collected - dt.timedelta(days=delay)
            if registered_on is None
            else registered_on - dt.timedelta(days=delay)
        )
        for i in range(size):
            if i < overseas:
                p = self._overseas(house_index, address, start, collected if i == 0 else dates.pop())
            else:
                if i == 0:
                    sex, age = (Sex.MALE if rng.random() < 0.7 else Sex.FEMALE), rng.randint(19, 55)
                    name = surname + names.given_name(rng, sex)
                elif i == 1:
                    sex, age = (
                        (Sex.FEMALE if made and made[0].row["sex"] == Sex.MALE else Sex.MALE),
                        rng.randint(19, 52),
                    )
                    name = names.surname(rng) + names.given_name(rng, sex)
                else:
                    sex = Sex.MALE if rng.random() < 0.52 else Sex.FEMALE
                    age = rng.randint(2, 15)
                    name = surname + names.given_name(rng, sex)
                permit = {}
                if show == "permit" and i == 0:
                    expires = plan.today + dt.timedelta(days=rng.randrange(7, 28))
                    number = f"{self.site.county_code}{expires.year - 1}{plan.next_permit():07d}"
                    permit = {"residence_permit_number": number, "residence_permit_expires": expires}
                elif (plan.today - start).days > 183 and age >= 16 and rng.random() < 0.75:
                    issued = start + dt.timedelta(
                        days=rng.randrange(183, max(184, (plan.today - start).days + 1))
                    )
                    # renewed every year: the permit in force is the last issue
                    while issued + dt.timedelta(days=365) < plan.today and rng.random() < 0.8:
                        issued += dt.timedelta(days=365)
                    number = f"{self.site.county_code}{issued.year}{plan.next_permit():07d}"
                    permit = {
                        "residence_permit_number": number,
                        "residence_permit_expires": issued + dt.timedelta(days=365),
                    }
                p = self.person(
                    name=name,
                    sex=sex,
                    age=age,
                    household=house_index,
                    address=address,
                    resident_type=ResidentType.FLOATING,
                    county=origin_code,
                    ethnicity=Ethnicity.HUI.value
                    if name[0] in names.HUI_SURNAMES and rng.random() < 0.6
                    else Ethnicity.HAN.value,
                    collected_at=collected if i == 0 else dates.pop(),
                    native_place=origin_name,
                    hukou_address=f"{origin_name}{rural_place(rng)}",
                    reason_for_coming=reason if age >= 16 else "投靠亲友",
                    registered_on=registered_on,
                    **permit,
                )
                if not p.row["occupation"]:
                    p.row["occupation"] = {"务工": "工人", "经商": "个体经营", "求学": "学生"}.get(
                        reason, "无业"
                    )
            self._residence(p, house_index, ResidenceType.RENTING, start, registered_on)
            made.append(p)
        return made

    def _overseas(self, house_index: int, address: dict, start: dt.date, collected: dt.date) -> _Person:
        rng = self.rng
        nation, alpha3, numeric = rng.choice(NATIONALITIES)
        sex = Sex.MALE if rng.random() < 0.65 else Sex.FEMALE
        name = f"{rng.choice(FOREIGN_GIVEN[sex])}·{rng.choice(FOREIGN_FAMILY)}"
        age = rng.randint(20, 60)
        entry = min(start, collected)
        # A few have a permanent-residence ID, shaped like a citizen's: 9 + the province + the
        # nationality code, the birth date, a sequence, the GB 11643 check. The others only a passport.
        permanent = rng.random() < 0.2
        return self.person(
            name=name,
            sex=sex,
            age=age,
            household=house_index,
            address=address,
            resident_type=ResidentType.OVERSEAS,
            county="964" + numeric if permanent else None,
            ethnicity="",
            collected_at=collected,
            native_place="",
            hukou_address="",
            nationality=nation,
            document_type="护照",
            document_number=f"{alpha3[0]}{rng.randrange(10_000_000, 99_999_999)}",
            entry_date=entry,
            planned_exit_date=entry + dt.timedelta(days=rng.randrange(180, 1100)),
            occupation=rng.choice(("留学生", "教师", "商人", "工程师")),
        )

    def _residence(self, p: _Person, house_index: int, kind: str, start: dt.date, registered_on) -> None:
        self.out.rows["residence"].append(
            {
                "id": self.plan.ids.take("residence"),
                "person_id": p.row["id"],
                "house_index": house_index,  # replaced by house_id once the houses exist
                "kind": kind,
                "start_date": start,
                "end_date": None,
                "registered_on": registered_on,
                "grid_id": self.site.pk,
            }
        )

    # -- the grid

    def make(self) -> GridRows:
        site, rng, plan = self.site, self.rng, self.plan
        n_houses, n_people = self.counts["houses"], self.counts["people"]
        n_floating, n_overseas = self.counts["floating"], self.counts["overseas"]
        n_registered = n_people - n_floating - n_overseas
        house_addresses = self.house_addresses(n_houses)

        # Tenant households (floating families; overseas residents alone or in pairs), and which
        # houses are rented out.
        singles = min(3, n_floating) if site.showcase else 0  # one household for each duty to show
        tenant_sizes = [(1, 0)] * singles
        tenant_sizes += [
            (size, 0) for size in _household_sizes(rng, n_floating - singles, FLOATING_HOUSEHOLDS)
        ]
        tenant_sizes += [(size, size) for size in _household_sizes(rng, n_overseas, OVERSEAS_HOUSEHOLDS)]
        rng.shuffle(tenant_sizes)
        max_rented = n_houses if n_registered == 0 else max(0, n_houses - 1)
        if tenant_sizes and max_rented == 0:
            raise PlanError(f"grid {site.code} has tenants but no house to rent")
        rented = min(len(tenant_sizes), max_rented)
        order = list(range(n_houses))
        rng.shuffle(order)
        rented_houses = order[:rented]
        owner_houses = sorted(order[rented:])
        # A few owner houses stand empty, unless people need them.
        vacant = round(len(owner_houses) * 0.03)
        occupied = min(len(owner_houses) - vacant, n_registered) if n_registered else 0
        occupied = max(occupied, 1 if n_registered else 0)
        occupied_houses = owner_houses[:occupied]
        if n_registered and not occupied_houses:
            raise PlanError(f"grid {site.code} has residents but no house for them")

        # Family sizes: one each, the rest spread by seeded weights (rural households are larger).
        sizes = [1] * occupied
        if occupied:
            weights = [rng.uniform(0.5, 1.5) * (1.0 if site.urban else 1.3) for _ in range(occupied)]
            for i in rng.choices(range(occupied), weights=weights, k=n_registered - occupied):
                sizes[i] += 1
        heads: list[_Person] = []
        head_of: dict[int, _Person] = {}
        for house_index, size in zip(occupied_houses, sizes, strict=True):
            members = self.family(size, house_index, house_addresses[house_index])
            heads.append(members[0])
            head_of[house_index] = members[0]
        occupants = dict(zip(occupied_houses, sizes, strict=True))

        # A showcase grid (where a demo account works) shows each floating-population duty.
        shows = ["late", "unreported", "permit"] if site.showcase else []
        floating_households = [k for k, (_size, abroad) in enumerate(tenant_sizes) if not abroad]
        show_of = dict(zip(floating_households, shows, strict=False))
        for k, (size, abroad) in enumerate(tenant_sizes):
            house_index = rented_houses[k % rented]
            self.tenants(size, house_index, house_addresses[house_index], abroad, show_of.get(k, ""))
            occupants[house_index] = occupants.get(house_index, 0) + size

        # The houses.
        house_ids: dict[int, int] = {}
        rented_set = set(rented_houses)
        for i, address in enumerate(house_addresses):
            is_rented = i in rented_set
            owner = heads[rng.randrange(len(heads))] if is_rented and heads else None
            if i in head_of:
                owner = head_of[i]
            urban = site.urban
            row = {
                "id": plan.ids.take("house"),
                "address_id": address["id"],
                "use": HouseUse.RESIDENTIAL if i in occupants else HouseUse.VACANT,
                "ownership": (_URBAN_OWNERSHIP.pick(rng) if urban else HouseOwnership.SELF_BUILT),
                "owner_id": owner.row["id"] if owner else None,
                "area_m2": Decimal(rng.randrange(5500, 14500) if urban else rng.randrange(9000, 22000)) / 100,
                "rooms": rng.randint(2, 4) if urban else rng.randint(3, 7),
                "is_rented": is_rented,
                "landlord_id": owner.row["id"] if is_rented and owner else None,
                "occupant_count": occupants.get(i, 0),
                "grid_id": site.pk,
                "collected_at": address["collected_at"],
                "collected_by_id": site.collector_pk,
            }
            house_ids[i] = row["id"]
            self.out.rows["house"].append(row)
        for residence in self.out.rows["residence"]:
            residence["house_id"] = house_ids[residence.pop("house_index")]

        self.organisations(self.counts["organisations"])
        self.care_tags()
        return self.out

    def organisations(self, n: int) -> None:
        rng, site, plan = self.rng, self.site, self.plan
        if not n:
            return
        addresses = self.organisation_addresses(n)
        adults = [
            p for p in self.people if 20 <= p.age <= 60 and p.row["resident_type"] != ResidentType.OVERSEAS
        ]
        rng.shuffle(adults)
        free = list(adults)  # not yet employed
        registered_adults = [p for p in adults if p.row["resident_type"] != ResidentType.FLOATING]
        county_short = site.county_name
        for address in addresses:
            kind, _w, prefix, (lo, hi), style = ORG_KINDS[
                bisect.bisect_right(_ORG_CUM, rng.random() * _ORG_CUM[-1])
            ]
            flags = {"hotel": False, "internet_cafe": False, "logistics": False, "hazardous_goods": False}
            boss = rng.choice(registered_adults) if registered_adults else None
            staff = []  # the legal representative first, when not working elsewhere yet
            if boss is not None and boss in free:
                free.remove(boss)
                staff.append(boss)
            boss_name = boss.row["name"] if boss else names.surname(rng) + names.given_name(rng, Sex.MALE)
            village = village_label(site.village_name)
            if style == "shop":
                ending, industry, _w = SHOPS[bisect.bisect_right(_SHOP_CUM, rng.random() * _SHOP_CUM[-1])]
                name = (
                    f"{county_short}{boss_name[0]}记{ending}"
                    if rng.random() < 0.5
                    else f"{county_short}{trade_name(rng)}{ending}"
                )
                flags["hotel"] = ending == "宾馆"
                flags["internet_cafe"] = ending == "网吧"
                flags["logistics"] = ending == "快递服务站"
                flags["hazardous_goods"] = ending == "加油站"
            elif style == "company":
                industry, ending, _w = INDUSTRIES[
                    bisect.bisect_right(_INDUSTRY_CUM, rng.random() * _INDUSTRY_CUM[-1])
                ]
                if industry == "住宿和餐饮业" and rng.random() < 0.4:
                    ending = "酒店管理有限公司"
                    flags["hotel"] = True
                flags["logistics"] = ending == "物流有限公司"
                flags["hazardous_goods"] = ending == "能源有限公司" or (
                    ending == "食品有限公司" and rng.random() < 0.05
                )
                name = f"吴忠市{trade_name(rng)}{ending}"
            elif style == "institution":
                industry = rng.choice(("教育", "卫生和社会工作"))
                name = f"{county_short}{township_label(site.township_name)}{village}" + (
                    "小学" if industry == "教育" else "卫生室"
                )
            elif style == "government":
                industry = "公共管理、社会保障和社会组织"
                name = f"{county_short}{township_label(site.township_name)}{village}" + rng.choice(
                    ("便民服务站", "综治中心")
                )
            elif style == "society":
                industry = "公共管理、社会保障和社会组织"
                name = f"{county_short}{trade_name(rng)}" + rng.choice(("志愿者协会", "养殖协会", "老年协会"))
            else:
                industry = rng.choice(("教育", "卫生和社会工作"))
                name = f"{county_short}{trade_name(rng)}" + rng.choice(("幼儿园", "培训学校", "养老院"))
            collected = address["collected_at"]
            row = {
                "id": plan.ids.take("organisation"),
                "credit_code": plan.credit_codes.new(rng, prefix, site.county_code),
                "name": name,
                "org_type": kind,
                "legal_representative": boss_name,
                "legal_representative_id": boss.row["id_number"] if boss else None,
                "address_id": address["id"],
                "industry": industry,
                **flags,
                "phone": landline(rng) if rng.random() < 0.6 else mobile(rng),
                "grid_id": site.pk,
                "collected_at": collected,
                "collected_by_id": site.collector_pk,
            }
            self.out.rows["organisation"].append(row)
            founded = collected - dt.timedelta(days=rng.randrange(30, 3650))
            staff += [free.pop() for _ in range(min(len(free), rng.randint(lo, hi) - len(staff)))]
            for k, p in enumerate(staff):
                p.row["workplace"] = name
                if p.row["occupation"] in ("", "农民", "无业", "工人"):
                    p.row["occupation"] = "个体经营" if style == "shop" and k == 0 else "职员"
                self.out.rows["employment"].append(
                    {
                        "id": plan.ids.take("employment"),
                        "person_id": p.row["id"],
                        "organisation_id": row["id"],
                        "role": "负责人" if k == 0 else rng.choice(ROLES),
                        "start_date": founded
                        + dt.timedelta(days=rng.randrange(0, max(1, (plan.today - founded).days))),
                        "end_date": None,
                        "grid_id": site.pk,
                    }
                )

    def care_tags(self) -> None:
        rng, plan, site = self.rng, self.plan, self.site
        for p in self.people:
            if p.age < 14 or p.row["resident_type"] == ResidentType.OVERSEAS:
                continue
            kinds = []
            if p.age >= 18:
                male = p.row["sex"] == Sex.MALE
                for kind, share in CARE_SHARES:
                    bias = 1.0 if kind == CareTagKind.MENTAL_ILLNESS else 1.6 if male else 0.4
                    if rng.random() < share * bias:
                        kinds.append(kind)
            if p.age <= 25 and rng.random() < KEY_YOUTH_SHARE:
                kinds.append(CareTagKind.KEY_YOUTH)
            for kind in kinds:
                since = plan.today - dt.timedelta(days=rng.randrange(30, 365 * 8))
                since = max(since, p.row["birth_date"] + dt.timedelta(days=365 * 14))
                until = None
                if kind == CareTagKind.COMMUNITY_CORRECTION:
                    until = since + dt.timedelta(days=rng.randrange(180, 365 * 3))
                    if until < plan.today:
                        until = plan.today + dt.timedelta(days=rng.randrange(30, 400))
                risk = None
                if kind == CareTagKind.MENTAL_ILLNESS:
                    risk = bisect.bisect_right(RISK_GRADE_CUM, rng.random() * RISK_GRADE_CUM[-1])
                self.out.rows["care_tag"].append(
                    {
                        "id": plan.ids.take("care_tag"),
                        "person_id": p.row["id"],
                        "kind": kind,
                        "risk_grade": risk,
                        "since": since,
                        "until": until,
                        "note": "",
                        "grid_id": site.pk,
                    }
                )


FLOATING_HOUSEHOLDS = Weighted(((1, 35), (2, 30), (3, 20), (4, 15)))
OVERSEAS_HOUSEHOLDS = Weighted(((1, 70), (2, 30)))


def _household_sizes(rng: random.Random, total: int, sizes: Weighted) -> list[int]:
    """Household sizes drawn from ``sizes`` adding up to ``total`` (the last one cut to fit)."""
    out: list[int] = []
    left = total
    while left > 0:
        size = min(left, sizes.pick(rng))
        out.append(size)
        left -= size
    return out


def _working_days_back(day: dt.date, n: int) -> int:
    """How many calendar days back from ``day`` lie ``n`` working days (Monday to Friday)."""
    back, counted = 0, 0
    while counted < n:
        back += 1
        if (day - dt.timedelta(days=back)).weekday() < 5:
            counted += 1
    return back


@dataclass
class _Plan:
    seed: int
    today: dt.date
    ids: _Ids
    pools: dict[str, list[dt.date]]
    id_numbers: IdNumbers = field(default_factory=IdNumbers)
    credit_codes: CreditCodes = field(default_factory=CreditCodes)
    permits: int = 0
    villages: dict[str, list[str]] = field(default_factory=dict)  # county → 金积镇金积村, rural ones

    # Address parts numbered per village (community), so that no two addresses of a village read
    # the same: village groups (组) in order, compounds by name, door plates along each street.
    groups: dict[int, int] = field(default_factory=dict)
    compounds: dict[int, int] = field(default_factory=dict)
    compound_names: dict[int, list[str]] = field(default_factory=dict)
    plates: dict[tuple[int, str], int] = field(default_factory=dict)

    def next_permit(self) -> int:
        self.permits += 1
        return self.permits

    def next_group(self, community: int) -> str:
        """The next village group (三组) of a village."""
        n = self.groups[community] = self.groups.get(community, 0) + 1
        return f"{names.chinese_number(min(n, 999))}组"

    def last_group(self, community: int) -> str | None:
        n = self.groups.get(community)
        return f"{names.chinese_number(min(n, 999))}组" if n else None

    def next_compound(self, community: int, code: str) -> str:
        """The next compound name of a village: names drawn without repeating (in an order seeded
        by the village), then their second phases (二期) and so on."""
        order = self.compound_names.get(community)
        if order is None:
            order = [a + b for a in COMPOUNDS for b in COMPOUND_SUFFIXES]
            seeded(self.seed, "compounds", code).shuffle(order)
            self.compound_names[community] = order
        k = self.compounds[community] = self.compounds.get(community, 0) + 1
        phase, i = divmod(k - 1, len(order))
        return order[i] + (f"{names.chinese_number(phase + 1)}期" if phase else "")

    def next_plate(self, community: int, street: str, rng: random.Random, step: int = 1) -> str:
        """The next door plate along a street of a village, ``1`` to ``step`` numbers on."""
        n = self.plates[(community, street)] = self.plates.get((community, street), 0) + rng.randint(1, step)
        return str(n)


def share_out(sites: Sequence[GridSite], targets: Targets, seed: int) -> list[dict[str, int]]:
    """How many houses, people, floating and overseas people and organisations each grid gets:
    exactly the targets in total, by seeded weights of each grid's density."""
    n = len(sites)
    density = [
        DENSITY.get(s.urban_rural_code, 1.0) * seeded(seed, "registry-weight", s.code).lognormvariate(0, 0.3)
        for s in sites
    ]
    houses = apportion(targets.houses, density, minimum=1 if targets.houses >= n else 0)
    with_houses = [1.0 if h else 0.0 for h in houses]
    people = apportion(targets.people, [h * 1.0 for h in houses], minimum=0, caps=[h * 40 for h in houses])
    # at least one house must stay with residents where anyone lives
    floating_caps = [int(p * 0.6) if h > 1 else 0 for p, h in zip(people, houses, strict=True)]
    if sum(floating_caps) < targets.floating + targets.overseas:
        floating_caps = [p if h > 1 else 0 for p, h in zip(people, houses, strict=True)]
    if sum(floating_caps) < targets.floating + targets.overseas:
        raise PlanError("too few houses to rent to the floating population at this scale")
    floating_weight = [
        FLOATING_PULL.get(s.urban_rural_code, 1.0) * p * w
        for s, p, w in zip(sites, people, with_houses, strict=True)
    ]
    # a showcase grid gets three floating households at least, one for each kind of duty
    wanted = [min(6, cap) if s.showcase else 0 for s, cap in zip(sites, floating_caps, strict=True)]
    if sum(wanted) > targets.floating:
        wanted = [0] * n
    movers = apportion(
        targets.floating + targets.overseas, floating_weight, minimum=wanted, caps=floating_caps
    )
    overseas = apportion(
        targets.overseas,
        [FLOATING_PULL.get(s.urban_rural_code, 1.0) * m for s, m in zip(sites, movers, strict=True)],
        minimum=0,
        caps=movers,
    )
    organisations = apportion(
        targets.organisations,
        [ORGANISATION_PULL.get(s.urban_rural_code, 1.0) * d for s, d in zip(sites, density, strict=True)],
        minimum=0,
    )
    return [
        {
            "houses": houses[i],
            "people": people[i],
            "floating": movers[i] - overseas[i],
            "overseas": overseas[i],
            "organisations": organisations[i],
        }
        for i in range(n)
    ]


def plan_registry(
    sites: Sequence[GridSite],
    *,
    scale: float,
    seed: int,
    today: dt.date,
    first_ids: dict[str, int] | None = None,
) -> Iterator[GridRows]:
    """The registry of the demo city, grid by grid in code order (see the module docstring)."""
    if not 0 < scale <= 1:
        raise PlanError(f"the registry scale must be more than 0 and at most 1, not {scale}")
    if not sites:
        raise PlanError("there are no grids to fill")
    sites = sorted(sites, key=lambda s: s.code)
    targets = Targets.at(scale)
    counts = share_out(sites, targets, seed)
    pools = {
        kind: collection_dates(n, GROWTH[kind], today, seeded(seed, "registry-dates", kind))
        for kind, n in (
            ("people", targets.people),
            ("houses", targets.houses),
            ("organisations", targets.organisations),
        )
    }
    villages: dict[str, list[str]] = {}
    for s in sites:
        label = township_label(s.township_name) + village_label(s.village_name)
        if not s.urban and label not in villages.setdefault(s.county_code, []):
            villages[s.county_code].append(label)
    plan = _Plan(seed=seed, today=today, ids=_Ids(first_ids or {}), pools=pools, villages=villages)
    for site, grid_counts in zip(sites, counts, strict=True):
        yield _GridMaker(plan, site, grid_counts).make()
