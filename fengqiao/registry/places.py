"""Places found by name: villages and communities, townships, grids, police units and standard
addresses, typed in Chinese or pinyin (full or initials), each with a point or bounds for a map.

Staff get the places of their scope; the resident portal (``public=True``) gets divisions, grids
and the road and building level of standard addresses, never a unit or room, so nothing says who
lives where.

The territory's names (a city has a few thousand) are kept in memory per process and read again
when a grid, division or unit changes (the same freshness check as the grid locator); addresses
are looked for in the database by an indexed prefix of their text.
"""

import re
import threading
import unicodedata
from dataclasses import dataclass, field

from django.db.models import Count, Max
from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin

from fengqiao.core.scoping import is_staff, path_within, scope_prefixes
from fengqiao.geo.choices import DivisionLevel
from fengqiao.geo.models import Division, Grid, PoliceUnit
from fengqiao.registry import addressing
from fengqiao.registry.models import Address
from fengqiao.registry.search import text_prefix, text_prefix_order
from fengqiao.registry.text import search_key

LIMIT = 10
MAX_QUERY = 60
UNSCOPED_PUBLIC = "registry.places: the portal's place search shows grids and road-level addresses"
UNSCOPED_INDEX = "registry.places: the in-memory index of names; every answer is filtered by scope"

KINDS = {
    "town": _("township / street"),
    "village": _("village / community"),
    "grid": _("grid"),
    "unit": _("police unit"),
    "address": _("address"),
}
PUBLIC_KINDS = ("town", "village", "grid", "address")
# Divisions first (what people name a place by), then grids, units and addresses.
KIND_ORDER = {"village": 0, "town": 1, "grid": 2, "unit": 3, "address": 4}

_HAN = re.compile(r"[\u3400-\u9fff]")
_ADDRESS_VALUES = ("code", "full_text", "lon", "lat", "unit", "room")
_ADDRESS_CODE = re.compile(r"^[0-9A-Za-z]{12,64}$")


@dataclass
class Place:
    """One suggestion: what it is, its key (a code or a unit's path), what to show, where it is."""

    kind: str
    value: str
    label: str
    detail: str = ""
    lon: float | None = None
    lat: float | None = None
    bounds: tuple[float, float, float, float] | None = None  # west, south, east, north

    def as_dict(self) -> dict:
        point = [round(self.lon, 6), round(self.lat, 6)] if self.lon is not None else None
        return {
            "kind": self.kind,
            "kind_label": str(KINDS[self.kind]),
            "value": self.value,
            "label": self.label,
            "detail": self.detail,
            "point": point,
            "bounds": [round(v, 6) for v in self.bounds] if self.bounds else None,
        }


@dataclass
class _Entry:
    place: Place
    name: str
    full: str
    initials: str
    path: str = ""  # a grid's scope path or a unit's path
    grid_paths: list[str] = field(default_factory=list)  # a division's grids, for scoping


def pinyin_of(name: str) -> tuple[str, str]:
    """Full toneless pinyin and initials of a place name (read as words, not as a surname)."""
    syllables = [s for s in lazy_pinyin(name, style=Style.NORMAL, errors="ignore") if s.isascii()]
    syllables = [search_key(s) for s in syllables]
    return "".join(syllables), "".join(s[0] for s in syllables if s)


def _bounds(points: list[tuple[float, float]]) -> tuple[float, float, float, float] | None:
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    pad = 0.005  # grid centres: widen by about half a grid so the outlines show
    return (min(lons) - pad, min(lats) - pad, max(lons) + pad, max(lats) + pad)


def _build() -> list[_Entry]:
    grids = list(
        Grid.objects.unscoped(reason=UNSCOPED_INDEX)
        .filter(is_active=True)
        .values_list("code", "name", "scope_path", "centroid_lon", "centroid_lat", "community__code")
    )
    divisions = {
        d["code"]: d
        for d in Division.objects.filter(
            level__in=[DivisionLevel.COUNTY, DivisionLevel.TOWN, DivisionLevel.VILLAGE]
        ).values("code", "name", "level", "lon", "lat", "parent__name", "parent__parent__name")
    }
    entries: list[_Entry] = []
    by_village: dict[str, list] = {}
    by_town: dict[str, list] = {}
    for code, name, path, lon, lat, village in grids:
        by_village.setdefault(village, []).append((path, lon, lat))
        by_town.setdefault(village[:9], []).append((path, lon, lat))
        full, initials = pinyin_of(name)
        place = Place("grid", code, name, divisions.get(village, {}).get("name", ""), lon, lat)
        entries.append(_Entry(place, name, full, initials, path=path))
    for code, d in divisions.items():
        if d["level"] == DivisionLevel.VILLAGE:
            kind, members, detail = "village", by_village.get(code, []), d["parent__name"] or ""
            if d["parent__parent__name"]:
                detail = f"{d['parent__parent__name']} · {detail}"
        elif d["level"] == DivisionLevel.TOWN:
            kind, members, detail = "town", by_town.get(code[:9], []), d["parent__name"] or ""
        else:
            continue
        points = [(lon, lat) for _, lon, lat in members]
        bounds = _bounds(points)
        lon, lat = d["lon"], d["lat"]
        if lon is None and bounds:
            lon, lat = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
        full, initials = pinyin_of(d["name"])
        place = Place(kind, code, d["name"], detail, lon, lat, bounds)
        entries.append(_Entry(place, d["name"], full, initials, grid_paths=[p for p, _, _ in members]))
    units = PoliceUnit.objects.values_list("path", "name", "parent__name")
    for path, name, parent in units:
        members = [(lon, lat) for p, _, _, lon, lat, _ in grids if p.startswith(path + "/")]
        bounds = _bounds(members)
        lon = (bounds[0] + bounds[2]) / 2 if bounds else None
        lat = (bounds[1] + bounds[3]) / 2 if bounds else None
        full, initials = pinyin_of(name)
        place = Place("unit", path, name, parent or "", lon, lat, bounds)
        entries.append(_Entry(place, name, full, initials, path=path))
    return entries


class _Index:
    def __init__(self):
        self._lock = threading.Lock()
        self._version = None
        self._entries: list[_Entry] = []

    @staticmethod
    def version():
        # Counts and the latest change of each table: any edit, import or deletion moves one.
        grids = Grid.objects.unscoped(reason=UNSCOPED_INDEX).aggregate(n=Count("id"), t=Max("updated_at"))
        divisions = Division.objects.aggregate(n=Count("id"), t=Max("updated_at"))
        units = PoliceUnit.objects.aggregate(n=Count("id"), t=Max("updated_at"))
        return tuple(v for d in (grids, divisions, units) for v in d.values())

    def entries(self) -> list[_Entry]:
        version = self.version()
        if version != self._version:
            built = _build()
            with self._lock:
                self._entries, self._version = built, version
        return self._entries


_index = _Index()


def _rank(entry: _Entry, text: str, key: str) -> int | None:
    """0 for an exact name, 1 for a prefix, 2 for a contained name or pinyin prefix; None: no match."""
    if text:
        if entry.name == text:
            return 0
        if entry.name.startswith(text):
            return 1
        if text in entry.name:
            return 2
    if key and (entry.full.startswith(key) or entry.initials.startswith(key)):
        return 1 if entry.full == key or entry.initials == key else 2
    return None


def _visible(entry: _Entry, prefixes: list[str] | None) -> bool:
    if prefixes is None:
        return True
    if entry.place.kind in ("grid", "unit"):
        return path_within(entry.path, prefixes)
    return any(path_within(p, prefixes) for p in entry.grid_paths)


def normalise_query(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()[:MAX_QUERY]


def search_places(
    user, text: str, *, kinds=None, limit: int = LIMIT, houses_only: bool = False
) -> list[Place]:
    """Places named by ``text`` that ``user`` may see: staff their scope, everyone else (the
    portal) the public kinds. ``kinds`` narrows the answer to some of :data:`KINDS`;
    ``houses_only`` the addresses to those of a recorded house (staff)."""
    text = normalise_query(text)
    if not text:
        return []
    staff = is_staff(user)
    allowed = set(KINDS if staff else PUBLIC_KINDS)
    if kinds:
        allowed &= set(kinds)
    prefixes = scope_prefixes(user) if staff else None
    han = text if _HAN.search(text) else ""
    key = "" if han else search_key(text)
    found: list[tuple[int, int, str, Place]] = []
    if allowed - {"address"}:
        for entry in _index.entries():
            if entry.place.kind not in allowed:
                continue
            rank = _rank(entry, han or text, key)
            if rank is None or (staff and not _visible(entry, prefixes)):
                continue
            found.append((rank, KIND_ORDER[entry.place.kind], entry.place.value, entry.place))
    found.sort(key=lambda item: item[:3])
    places = [item[3] for item in found[:limit]]
    if "address" in allowed and (han or (staff and _ADDRESS_CODE.match(text))) and len(places) < limit:
        places += _addresses(
            user, han or text, staff=staff, limit=limit - len(places), houses_only=houses_only
        )
    return places


def _address_prefixes(text: str) -> list[str]:
    """What an address's text may start with: the text as typed, and the township's name before
    it when it starts with a village's name (addresses read 金积镇金积村…)."""
    prefixes = [text]
    for entry in _index.entries():
        if entry.place.kind == "village" and text.startswith(entry.name) and entry.place.detail:
            town = entry.place.detail.split(" · ")[-1]
            prefixes.append(town + text)
    return list(dict.fromkeys(prefixes))[:4]


def _addresses(user, text: str, *, staff: bool, limit: int, houses_only: bool = False) -> list[Place]:
    if staff:
        addresses = Address.objects.visible_to(user).filter(retired_at=None, in_use=True)
        if houses_only:
            addresses = addresses.filter(house__isnull=False, house__retired_at__isnull=True)
    else:  # the portal: standard addresses only, not those waiting to be standardised
        addresses = Address.objects.unscoped(reason=UNSCOPED_PUBLIC).filter(**addressing.STANDARD)
    if staff and _ADDRESS_CODE.match(text):
        return [_address_place(row, staff) for row in addresses.filter(code=text).values(*_ADDRESS_VALUES)]
    places: list[Place] = []
    seen: set[str] = set()

    def add(rows) -> bool:
        for row in rows:
            place = _address_place(row, staff)
            if place.label not in seen:
                seen.add(place.label)
                places.append(place)
            if len(places) >= limit:
                return True
        return False

    for prefix in _address_prefixes(text):
        rows = (
            addresses.filter(text_prefix("full_text", prefix))
            .order_by(text_prefix_order("full_text"))
            .values(*_ADDRESS_VALUES)
        )
        # The portal shows buildings, not rooms: several rows make one building.
        if add(rows[: limit * (5 if not staff else 1)]):
            return places
    if staff and len(text) >= 2:
        # A street or compound anywhere in the text (滨河路): within one's scope, a short scan.
        add(addresses.filter(full_text__contains=text).order_by("full_text").values(*_ADDRESS_VALUES)[:limit])
    return places


def _address_place(row: dict, staff: bool) -> Place:
    if staff:
        return Place("address", row["code"], row["full_text"], "", row["lon"], row["lat"])
    # The portal reads the address up to its building: its text without the unit and room.
    probe = Address(unit=row["unit"], room=row["room"])
    rooms = probe.compose_full_text()
    label = row["full_text"]
    if rooms and label.endswith(rooms):
        label = label[: -len(rooms)]
    return Place("address", "", label, "", row["lon"], row["lat"])


def place_by_value(user, kind: str, value: str) -> Place | None:
    """One place by its kind and key, if ``user`` may see it (None alike for missing and hidden)."""
    staff = is_staff(user)
    if kind not in (KINDS if staff else PUBLIC_KINDS):
        return None
    if kind == "address":
        if not staff:
            return None
        row = (
            Address.objects.visible_to(user)
            .filter(code=value, retired_at=None)
            .values(*_ADDRESS_VALUES)
            .first()
        )
        return _address_place(row, True) if row else None
    prefixes = scope_prefixes(user) if staff else None
    for entry in _index.entries():
        if entry.place.kind == kind and entry.place.value == value:
            return entry.place if not staff or _visible(entry, prefixes) else None
    return None
