"""Address text as stations write it, matched to standard addresses: the one rule.

Stations write the same place many ways: ``吴忠市利通区金积镇金丰村三组12号``, ``金丰村3组１２号``,
``金丰村第三组12``. :func:`normalise_address_text` reduces each to one key (``金丰村3组12号``):

- full-width characters become half-width, letters upper-case, blanks and punctuation go;
- traditional and variant spellings of the parts become one (號→号; 幢, 棟, 座, 号楼 → 栋;
  單元 → 单元), ``3#`` is 3号 and ``3#楼`` 3栋;
- Chinese numerals before a part's word become Arabic (三组 → 3组, 第十二队 → 12队);
- a bare number at the end gets its part's word (…单元501 → …单元501室, …三组12 → …3组12号);
- leading province, city, county and township names are stripped, after checking them against the
  division table: they narrow the match to that division, and names that contradict each other
  (a township of another county) match nothing.

Every standard address stores the key of its own full text (``Address.match_key``, the township
left off), so :func:`match_address` is one indexed look-up.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection

from fengqiao.core.refcache import Reference
from fengqiao.core.scoping import scope_q

# Traditional and variant characters of address words.
_VARIANTS = str.maketrans(
    {
        "號": "号",
        "棟": "栋",
        "幢": "栋",
        "座": "栋",
        "樓": "楼",
        "單": "单",
        "組": "组",
        "隊": "队",
        "區": "区",
        "鎮": "镇",
        "鄉": "乡",
        "縣": "县",
        "門": "门",
        "莊": "庄",
        "〇": "零",
    }
)
_NOISE = re.compile(r"[^0-9A-Z\-\u3400-\u9fff\uf900-\ufaff]+")
_DASHES = re.compile(r"[‐‑‒–—―~～]+")
_NUMERAL = "零一二两三四五六七八九十百千"
_PART_WORDS = "组|队|社|号|栋|单元|室|楼|层|巷|排|弄"
_CHINESE_NUMBER = re.compile(rf"第?([{_NUMERAL}]+)(?={_PART_WORDS})")
_ORDINAL = re.compile(rf"第(\d+)(?={_PART_WORDS})")
_TRAILING_NUMBER = re.compile(r"(单元|栋)?([0-9A-Z]+(?:-[0-9A-Z]+)*)$")
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
_UNITS = {"十": 10, "百": 100, "千": 1000}

# The addresses text is matched to: standard, in use, not retired.
STANDARD = {"status": "standard", "in_use": True, "retired_at__isnull": True}

# The levels whose names lead an address and are stripped from it.
_PREFIX_LEVELS = ("province", "city", "county", "town")


def _chinese_to_int(numeral: str) -> int | None:
    """三 → 3, 十二 → 12, 二十 → 20, 一百零五 → 105; digit strings such as 一二 → 12."""
    if all(c in _DIGITS for c in numeral):
        return int("".join(str(_DIGITS[c]) for c in numeral))
    total, digit = 0, None
    for char in numeral:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _UNITS:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
        else:
            return None
    return total + (digit or 0)


def _arabic(match: re.Match) -> str:
    value = _chinese_to_int(match.group(1))
    return match.group(0) if value is None else str(value)


def _trailing(match: re.Match) -> str:
    word, number = match.group(1) or "", match.group(2)
    return f"{word}{number}{'室' if word else '号'}"


@lru_cache(maxsize=131072)
def canonical(text: str) -> str:
    """The spelling rules without the division table (what a stored address's key is made by)."""
    text = unicodedata.normalize("NFKC", text or "").upper().translate(_VARIANTS)
    text = _DASHES.sub("-", text)
    text = re.sub(r"(\d+)\s*#\s*楼", r"\1栋", text)
    text = re.sub(r"(\d+)\s*#", r"\1号", text)
    text = re.sub(r"号楼", "栋", text)
    text = _NOISE.sub("", text).strip("-")
    text = _CHINESE_NUMBER.sub(_arabic, text)
    text = _ORDINAL.sub(r"\1", text)
    text = re.sub(r"(\d)楼(?=\d+单元|\d+室|$)", r"\1栋", text)
    return (
        _TRAILING_NUMBER.sub(_trailing, text) if text and text[-1].isalnum() and text[-1].isascii() else text
    )


_PARTS = re.compile(
    r"^(?P<street>.*?)(?:(?P<door_plate>[0-9A-Z-]+)号)?(?:(?P<building>[0-9A-Z-]+)栋)?"
    r"(?:(?P<unit>[0-9A-Z-]+)单元)?(?:(?P<room>[0-9A-Z-]+)室)?$"
)


def address_parts(key: str, community_name: str = "") -> dict[str, str]:
    """A key cut into an address's parts (street, door plate, building, unit, room), the
    community's name left off its start: how a pending address is written from a station's text."""
    name = canonical(community_name)
    if name and key.startswith(name):
        key = key[len(name) :]
    found = _PARTS.match(key)
    parts = {k: v or "" for k, v in found.groupdict().items()} if found else {"street": key}
    if not parts["street"] and not any(parts.values()):
        parts["street"] = key
    parts["street"] = parts["street"][:100]
    return parts


def stored_key(full_text: str, township: str = "") -> str:
    """``Address.match_key``: the key of a standard address's full text, its township left off
    (stations often leave it off too; a township that is written narrows the match instead)."""
    if township and full_text.startswith(township):
        full_text = full_text[len(township) :]
    return canonical(full_text)[:400]


@dataclass(frozen=True)
class ParsedAddress:
    """An address text read: its key, the code prefix of the most precise division it names
    (``""`` when it names none, ``"!"`` when the names contradict each other), and the village or
    community the key starts with when it names one that is unique there (the Division id)."""

    key: str
    division: str = ""
    community_id: int | None = None

    def within_division(self, community_code: str) -> bool:
        return community_code.startswith(self.division)


class DivisionNames:
    """The division table as address text uses it: names of provinces down to townships (their
    codes, for stripping and checking) and village/community names (for placing a pending address)."""

    def __init__(self, rows):
        self.prefixes: dict[str, list[str]] = {}  # canonical name → division codes (trimmed)
        self.villages: dict[str, list[tuple[int, str]]] = {}  # canonical name → (id, code)
        for pk, code, name, level in rows:
            if not name:
                continue
            if level in _PREFIX_LEVELS:
                self.prefixes.setdefault(canonical(name), []).append(_trimmed(code, level))
            elif level == "village":
                self.villages.setdefault(canonical(name), []).append((pk, code))
        self._longest_prefix = max(map(len, self.prefixes), default=0)
        self._longest_village = max(map(len, self.villages), default=0)
        self._parsed: dict[str, ParsedAddress] = {}

    @classmethod
    def load(cls) -> "DivisionNames":
        from fengqiao.geo.models import Division

        return cls(Division.objects.values_list("id", "code", "name", "level"))

    def parse(self, text: str) -> ParsedAddress:
        parsed = self._parsed.get(text)
        if parsed is None:
            if len(self._parsed) > 65536:
                self._parsed.clear()
            parsed = self._parsed[text] = self._parse(text)
        return parsed

    def _parse(self, text: str) -> ParsedAddress:
        key = canonical(text)
        division = ""
        while True:
            found = None
            for length in range(min(self._longest_prefix, len(key) - 1), 1, -1):
                codes = self.prefixes.get(key[:length])
                if codes:
                    found = (length, codes)
                    break
            if found is None:
                break
            length, codes = found
            key = key[length:]
            fitting = [c for c in codes if c.startswith(division) or division.startswith(c)]
            if division == "!" or not fitting:
                division = "!"
                continue
            division = max([division, *fitting], key=len) if len(fitting) == 1 else division
        community_id = None
        if division != "!":
            for length in range(min(self._longest_village, len(key)), 1, -1):
                places = [p for p in self.villages.get(key[:length], ()) if p[1].startswith(division)]
                if places:
                    community_id = places[0][0] if len(places) == 1 else None
                    break
        return ParsedAddress(key=key[:400], division=division, community_id=community_id)


def _trimmed(code: str, level: str) -> str:
    """A division code cut to the digits its level fixes (640302000000 → 640302)."""
    return code[: {"province": 2, "city": 4, "county": 6, "town": 9}[level]]


DIVISION_NAMES = Reference("address_division_names", DivisionNames.load, models=("geo.Division",))


def normalise_address_text(text: str) -> str:
    """The key an address text is matched by (see the module's docstring)."""
    return DIVISION_NAMES.get().parse(text).key


def parse_address_text(text: str) -> ParsedAddress:
    return DIVISION_NAMES.get().parse(text)


def candidate_addresses(text: str, *, within: str | None = None, limit: int = 20):
    """The standard addresses (in use, not retired) an address text may mean, closest first:
    those whose key is the text's, then those whose key starts with it (``金丰村三组`` lists the
    group's door plates). ``within``: a scope path the addresses must lie under."""
    from fengqiao.registry.models import Address

    parsed = parse_address_text(text)
    if not parsed.key or parsed.division == "!":
        return []
    qs = (
        Address.objects.unscoped(reason="registry: address matching, the caller scopes by `within`")
        .filter(**STANDARD)
        .select_related("community")
    )
    if within:
        qs = qs.filter(scope_q([within], vendor=connection.vendor))
    out = [
        a for a in qs.filter(match_key=parsed.key)[: limit + 1] if parsed.within_division(a.community.code)
    ]
    if len(out) < limit:
        more = qs.filter(match_key__startswith=parsed.key).exclude(match_key=parsed.key).order_by("match_key")
        out += [a for a in more[: limit * 2] if parsed.within_division(a.community.code)]
    return out[:limit]


def match_address(text: str, *, within: str | None = None):
    """The one standard address whose normalised full text is the text's (within the scope path
    ``within`` when given), None when there is none or more than one."""
    from fengqiao.registry.models import Address

    parsed = parse_address_text(text)
    if not parsed.key or parsed.division == "!":
        return None
    qs = Address.objects.unscoped(reason="registry: address matching, the caller scopes by `within`").filter(
        **STANDARD
    )
    if within:
        qs = qs.filter(scope_q([within], vendor=connection.vendor))
    found = [
        a
        for a in qs.filter(match_key=parsed.key).select_related("community")[:50]
        if parsed.within_division(a.community.code)
    ]
    return found[0] if len(found) == 1 else None
