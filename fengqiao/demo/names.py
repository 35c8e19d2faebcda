"""Names for the demo city: people, police units and grids, all drawn from a seeded generator.

Surnames are weighted roughly as they occur in Ningxia, where Hui surnames (马, 丁, 金, 海, 纳 …)
stand next to the common Han ones. Given names are one or two characters from everyday lists.
"""

import random
import re

# Surname and relative frequency, roughly as in Ningxia; enough for a plausible mix.
_WEIGHTED_SURNAMES = (
    "马90 王70 李65 张55 杨40 刘40 田18 丁16 金12 海10 白10 何10 周12 陈14 赵14 吴10 "
    "孙9 郭9 冯8 韩8 苏7 高9 朱7 徐7 胡7 吕5 梁6 罗6 宋5 郑5 谢4 许4 "
    "纳5 撒3 穆4 锁3 拜3 虎3 黑2 哈2 兰3 余3 沙3 冶2 闫4 魏4 贺3 康3"
)
SURNAMES: tuple[tuple[str, int], ...] = tuple((item[0], int(item[1:])) for item in _WEIGHTED_SURNAMES.split())

MALE_CHARS = (
    "军伟强磊勇涛斌超明刚平辉鹏华飞鑫波宁俊杰峰建国文武学忠义德福成海龙虎彪林森东新兵宏志祥荣贵有宝山"
)
FEMALE_CHARS = "芳娟敏静丽艳霞燕玲萍红梅琴花兰英慧娜婷雪洁丹莉倩佳琳秀凤雅悦蓉月"

_SURNAME_LIST = [name for name, _ in SURNAMES]
_SURNAME_WEIGHTS = [weight for _, weight in SURNAMES]

_DIGITS = "零一二三四五六七八九"


def person_name(rng: random.Random) -> str:
    """A plausible Chinese full name: a surname and a one- or two-character given name."""
    surname = rng.choices(_SURNAME_LIST, weights=_SURNAME_WEIGHTS)[0]
    chars = MALE_CHARS if rng.random() < 0.6 else FEMALE_CHARS
    length = 1 if rng.random() < 0.35 else 2
    given = "".join(rng.choice(chars) for _ in range(length))
    return surname + given


HUI_SURNAMES = frozenset("马丁金海纳撒穆锁拜虎黑哈兰沙冶")
"""Surnames common among the Hui of Ningxia; most people bearing them are Hui."""

_SURNAME_CUM = [sum(_SURNAME_WEIGHTS[: i + 1]) for i in range(len(_SURNAME_WEIGHTS))]


def surname(rng: random.Random) -> str:
    """A surname, weighted as in Ningxia."""
    return rng.choices(_SURNAME_LIST, cum_weights=_SURNAME_CUM)[0]


def given_name(rng: random.Random, sex: str) -> str:
    """A one- or two-character given name for a man (``"M"``) or a woman (``"F"``)."""
    chars = MALE_CHARS if sex == "M" else FEMALE_CHARS
    if rng.random() < 0.35:
        return rng.choice(chars)
    return rng.choice(chars) + rng.choice(chars)


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 21 → 二十一, 105 → 一百零五; for ordinals such as 第十二网格."""
    if not 0 < n < 1000:
        raise ValueError(f"chinese_number covers 1–999, got {n}")
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += _DIGITS[hundreds] + "百"
        if rest and tens == 0:
            return out + "零" + _DIGITS[ones]
    if tens:
        out += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    if ones:
        out += _DIGITS[ones]
    return out


def village_short_name(name: str) -> str:
    """The name people use: 北门村委会 → 北门村, 金丰社区居委会 → 金丰社区, 园艺场 stays."""
    if name.endswith("社区居委会"):
        return name[: -len("居委会")]
    if name.endswith("居委会"):
        return name[: -len("居委会")] + "社区"
    if name.endswith("村委会"):
        return name[: -len("委会")]
    return name


_COUNTY_PREFIXES = ("红寺堡区",)
_TOWN_SUFFIXES = ("街道办事处", "办事处", "管委会", "街道", "镇", "乡")


def township_short_name(name: str) -> str:
    """What a police station is named after: 金积镇 → 金积, 裕民街道办事处 → 裕民,
    红寺堡区大河乡 → 大河, 巴浪湖农场 stays."""
    for prefix in _COUNTY_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            name = name[len(prefix) :]
            break
    for suffix in _TOWN_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def city_bureau_name(city_name: str) -> str:
    return f"{city_name}公安局"


def county_bureau_name(county_name: str) -> str:
    """Districts (区) have a branch bureau (分局); counties and county-level cities a bureau."""
    return f"{county_name}分局" if county_name.endswith("区") else f"{county_name}公安局"


def station_name(township_name: str) -> str:
    return f"{township_short_name(township_name)}派出所"


def district_name(station_name: str, seq: int) -> str:
    """金积派出所, 2 → 金积第二警务区."""
    return f"{station_name.removesuffix('派出所')}第{chinese_number(seq)}警务区"


def grid_name(village_name: str, seq: int) -> str:
    return f"{village_short_name(village_name)}第{chinese_number(seq)}网格"


# --- accounts ---------------------------------------------------------------------------------


class DemoAccount:
    """The fixed usernames of the demo accounts, in the order they are listed."""

    ADMIN = "admin"
    CITY = "city"
    STATION = "station"
    OFFICER = "officer"
    GRID = "grid"
    GRID2 = "grid2"
    VOLUNTEER = "volunteer"  # a member of a team in ``grid``'s grid (the patrols' demo links them)
    RESIDENT = "resident"

    ALL = (ADMIN, CITY, STATION, OFFICER, GRID, GRID2, VOLUNTEER, RESIDENT)


# The usernames of the other generated staff come from the code of the post they hold.
def county_username(code: str) -> str:
    return f"bureau{code}"


def station_username(code: str) -> str:
    return f"chief{code}"


def officer_username(code: str) -> str:
    return f"officer{code}"


def grid_worker_username(code: str) -> str:
    return f"grid{code}"


GENERATED_USERNAME = re.compile(r"^(bureau\d{6}|chief\d{12}|officer\d{12}Q\d{2}|grid\d{15})$")
