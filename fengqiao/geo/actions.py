"""Every change to the territory: imports of divisions, outlines and grids; grid edits; exports.

Each function runs in one transaction, takes the acting user as keyword-only ``actor``, checks that
they may, and writes its audit entry in the same transaction. An import is one audit entry (the
counts and the file's sha256); inside it each row or feature is tried in its own savepoint, so a
bad one is reported by its position and reason and the good ones go in.
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from fengqiao.core import audit, relocate
from fengqiao.core.importing import ImportFileError, readers
from fengqiao.core.roles import can_manage_grids, can_set_territory
from fengqiao.core.scoping import OutOfScope, ensure_still_visible
from fengqiao.geo.choices import DivisionLevel, UnitKind
from fengqiao.geo.datum import DATUMS, to_wgs84
from fengqiao.geo.geometry import GeometryError, clean_area
from fengqiao.geo.models import Division, Grid, PoliceUnit, division_code_validator

LEVEL_RANK = {
    DivisionLevel.PROVINCE: 0,
    DivisionLevel.CITY: 1,
    DivisionLevel.COUNTY: 2,
    DivisionLevel.TOWN: 3,
    DivisionLevel.VILLAGE: 4,
}
# Levels that may stand at the top of an import when their parent is not known.
ROOT_LEVELS = {DivisionLevel.PROVINCE, DivisionLevel.CITY}
# How many leading digits a division shares with its parent, by the parent's level.
SHARED_PREFIX = {DivisionLevel.COUNTY: 6, DivisionLevel.TOWN: 9}

UNSCOPED_IMPORT = "import: upsert by code across the whole territory"


@dataclass(frozen=True)
class RowError:
    """One rejected row or feature. ``position`` is the CSV line number (the header is line 1) or
    the feature's index in the GeoJSON ``features`` array (counted from 0, as in the file)."""

    position: int
    reason: str
    kind: str = "feature"  # "line" or "feature"

    def __str__(self):
        if self.kind == "line":
            return _("line %(n)d: %(reason)s") % {"n": self.position, "reason": self.reason}
        return _("features[%(n)d]: %(reason)s") % {"n": self.position, "reason": self.reason}


@dataclass
class ImportReport:
    """What an import did: counts, and every rejected row with its reason."""

    source: str = ""
    sha256: str = ""
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)

    def reject(self, position: int, reason: str, kind: str = "feature") -> None:
        self.rejected += 1
        self.errors.append(RowError(position, str(reason), kind))

    def counts(self) -> dict:
        return {
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "rejected": self.rejected,
        }

    def summary(self) -> str:
        return _(
            "%(source)s: %(read)d read, %(inserted)d inserted, %(updated)d updated, "
            "%(unchanged)d unchanged, %(skipped)d skipped, %(rejected)d rejected"
        ) % {"source": self.source, **self.counts()}


# ---------------------------------------------------------------------------------------------
# helpers


def _read_bytes(path) -> tuple[bytes, str]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(
            _("%(path)s cannot be read: %(error)s") % {"path": path, "error": exc.strerror}
        ) from None
    return data, hashlib.sha256(data).hexdigest()


def _read_json(path) -> tuple[object, str]:
    data, digest = _read_bytes(path)
    try:
        return json.loads(data.decode("utf-8-sig")), digest
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFileError(
            _("%(path)s is not valid JSON: %(error)s") % {"path": path, "error": exc}
        ) from None


def _require(allowed: bool, what: str) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not %(what)s.") % {"what": what})


def _check_datum(datum: str) -> None:
    if datum not in DATUMS:
        raise ValueError(
            _("unknown datum %(datum)r: use one of %(choices)s")
            % {"datum": datum, "choices": ", ".join(DATUMS)}
        )


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(str(m) for m in msgs)}" for name, msgs in exc.message_dict.items()
        )
    return " ".join(str(m) for m in exc.messages)


def _record_import(report: ImportReport, *, actor, object_type: str, extra: dict | None = None) -> None:
    audit.record(
        audit.IMPORT,
        actor=actor,
        object_type=object_type,
        object_repr=report.source,
        after={**report.counts(), "sha256": report.sha256, "file": report.source, **(extra or {})},
    )


# ---------------------------------------------------------------------------------------------
# divisions


DIVISION_COLUMNS = ("code", "parent", "name", "level")


def _float_or_none(value: str, name: str, low: float, high: float) -> float | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(_("%(name)s %(value)r is not a number") % {"name": name, "value": value}) from None
    if not low <= number <= high:
        raise ValueError(
            _("%(name)s %(value)s is outside %(low)s…%(high)s")
            % {"name": name, "value": value, "low": low, "high": high}
        )
    return number


@transaction.atomic
def import_divisions(path, *, actor, datum: str = "wgs84") -> ImportReport:
    """Upsert administrative divisions from a CSV (UTF-8 or GBK) or XLSX shaped like
    ``divisions_2016.csv``.

    Columns used: code, parent, name, level (province/city/county/town/village), and when present
    ur_code, longitude, latitude (a centre point, in ``datum``) and virtual. Rows may come in any
    order: they are applied top level first. A division is matched by its 12-digit code and
    updated in place; its outline is left alone.

    Rows flagged ``virtual`` (``t``) are skipped: they are statistical placeholders such as
    市辖区 ("city districts") that have no territory and no children, so nothing can hang under
    them. A province or city whose parent is not known becomes a root; any lower level needs its
    parent in the file or already in the database.
    """
    _require(can_set_territory(actor), _("import divisions"))
    _check_datum(datum)
    source = readers.inspect_file(path)
    report = ImportReport(source=source.name, sha256=source.sha256)
    rows = []  # (line, cleaned dict)
    seen: dict[str, int] = {}
    with readers.open_table(source) as table:
        header = [h.strip() for h in table.header]
        missing = [c for c in DIVISION_COLUMNS if c not in header]
        if missing:
            raise ImportFileError(
                _("%(path)s lacks the column(s) %(columns)s")
                % {"path": source.name, "columns": ", ".join(missing)}
            )
        for line, cells in table.rows():
            report.read += 1
            row = dict(zip(header, cells, strict=True))
            if row.get("virtual", "").lower() in ("t", "true", "1"):
                report.skipped += 1
                continue
            try:
                cleaned = _clean_division_row(row, datum)
            except (ValueError, ValidationError) as exc:
                report.reject(line, _messages(exc) if isinstance(exc, ValidationError) else str(exc), "line")
                continue
            if cleaned["code"] in seen:
                report.reject(
                    line,
                    _("code %(code)s already appeared on line %(first)d")
                    % {"code": cleaned["code"], "first": seen[cleaned["code"]]},
                    "line",
                )
                continue
            seen[cleaned["code"]] = line
            rows.append((line, cleaned))

    rows.sort(key=lambda item: (LEVEL_RANK[item[1]["level"]], item[1]["code"]))
    existing = {d.code: d for d in Division.objects.all()}
    for line, row in rows:
        try:
            with transaction.atomic():
                outcome = _upsert_division(row, existing)
        except (ValueError, ValidationError, DatabaseError) as exc:
            report.reject(line, _messages(exc) if isinstance(exc, ValidationError) else str(exc), "line")
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)

    report.errors.sort(key=lambda e: e.position)
    _record_import(report, actor=actor, object_type="geo.division", extra={"datum": datum})
    return report


def _clean_division_row(row: dict, datum: str) -> dict:
    code = row.get("code", "")
    division_code_validator(code)
    level = row.get("level", "")
    if level not in DivisionLevel.values:
        raise ValueError(
            _("level %(level)r is not one of %(choices)s")
            % {"level": level, "choices": ", ".join(DivisionLevel.values)}
        )
    name = row.get("name", "")
    if not name:
        raise ValueError(_("the name is empty"))
    if len(name) > Division._meta.get_field("name").max_length:
        raise ValueError(
            _("the name is longer than %(n)d characters") % {"n": Division._meta.get_field("name").max_length}
        )
    parent = row.get("parent", "")
    if parent:
        try:
            division_code_validator(parent)
        except ValidationError:
            raise ValueError(
                _("parent %(parent)r is not a 12-digit division code") % {"parent": parent}
            ) from None
        if parent == code:
            raise ValueError(_("a division cannot be its own parent"))
    ur_code = row.get("ur_code", "")
    if ur_code and not (ur_code.isascii() and ur_code.isdigit() and len(ur_code) == 3):
        raise ValueError(_("ur_code %(value)r is not a 3-digit urban–rural class") % {"value": ur_code})
    lon = _float_or_none(row.get("longitude", ""), "longitude", -180, 180)
    lat = _float_or_none(row.get("latitude", ""), "latitude", -90, 90)
    if (lon is None) != (lat is None):
        raise ValueError(_("give both longitude and latitude, or neither"))
    if lon is not None and datum != "wgs84":
        point = to_wgs84({"type": "Point", "coordinates": [lon, lat]}, datum)
        lon, lat = point["coordinates"][:2]
    return {
        "code": code,
        "level": level,
        "name": name,
        "parent": parent,
        "urban_rural_code": ur_code,
        "lon": lon,
        "lat": lat,
    }


def _upsert_division(row: dict, existing: dict[str, Division]) -> str:
    parent = existing.get(row["parent"]) if row["parent"] else None
    level = DivisionLevel(row["level"])
    if parent is None and row["parent"] and level not in ROOT_LEVELS:
        raise ValueError(_("unknown parent %(parent)s") % {"parent": row["parent"]})
    if parent is None and not row["parent"] and level not in ROOT_LEVELS:
        raise ValueError(_("a %(level)s needs a parent") % {"level": level.label})
    if parent is not None:
        if LEVEL_RANK[DivisionLevel(parent.level)] >= LEVEL_RANK[level]:
            raise ValueError(
                _("parent %(parent)s is a %(plevel)s, which cannot hold a %(level)s")
                % {"parent": parent.code, "plevel": DivisionLevel(parent.level).label, "level": level.label}
            )
        shared = SHARED_PREFIX.get(DivisionLevel(parent.level))
        if shared and row["code"][:shared] != parent.code[:shared]:
            raise ValueError(
                _("code %(code)s does not start with its parent's %(n)d digits %(prefix)s")
                % {"code": row["code"], "n": shared, "prefix": parent.code[:shared]}
            )
    values = {
        "name": row["name"],
        "level": row["level"],
        "parent_id": parent.pk if parent else None,
        "urban_rural_code": row["urban_rural_code"],
        "lon": row["lon"],
        "lat": row["lat"],
    }
    division = existing.get(row["code"])
    if division is None:
        division = Division(code=row["code"], **values)
        division.full_clean(exclude=["parent"], validate_unique=False)
        division.save()
        existing[division.code] = division
        return "inserted"
    if all(getattr(division, k) == v for k, v in values.items()):
        return "unchanged"
    if division.level != row["level"] and division.children.exists():
        raise ValueError(
            _("%(code)s has divisions under it; its level cannot change") % {"code": row["code"]}
        )
    for k, v in values.items():
        setattr(division, k, v)
    division.full_clean(exclude=["parent"], validate_unique=False)
    division.save()
    return "updated"


# ---------------------------------------------------------------------------------------------
# outlines


def _geometry_items(document, default_code: str | None):
    """(index, code, geometry, problem) for each area of a bare geometry, a Feature or a FeatureCollection."""
    if not isinstance(document, dict):
        raise ImportFileError(_("the file holds no GeoJSON object"))
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise ImportFileError(_("the FeatureCollection has no features array"))
        single = len(features) == 1
        for i, feature in enumerate(features):
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                yield i, None, None, _("not a GeoJSON Feature")
                continue
            props = feature.get("properties") or {}
            code = props.get("code") or (default_code if single else None)
            yield i, code, feature.get("geometry"), None
    elif kind == "Feature":
        props = document.get("properties") or {}
        yield 0, props.get("code") or default_code, document.get("geometry"), None
    elif kind in ("Polygon", "MultiPolygon"):
        yield 0, default_code, document, None
    else:
        raise ImportFileError(
            _("the file holds a %(kind)s, not a Polygon, Feature or FeatureCollection") % {"kind": kind}
        )


def _pad_code(code) -> str:
    code = str(code).strip()
    return code.ljust(12, "0") if code.isascii() and code.isdigit() and len(code) in (2, 4, 6, 9) else code


@transaction.atomic
def import_outlines(path, *, actor, datum: str = "wgs84", code: str | None = None) -> ImportReport:
    """Set ``Division.outline`` from a GeoJSON Polygon/MultiPolygon, Feature or FeatureCollection.

    A feature names its division by ``properties.code``. A bare geometry, or a single feature
    without one, belongs to ``code``, which defaults to the file's stem: the shipped
    ``boundaries/640302.json`` is county 640302 (codes of 2, 4, 6 or 9 digits are padded with
    zeros to 12). Coordinates in ``datum`` ("gcj02" for the shipped files) are stored in WGS-84.
    """
    _require(can_set_territory(actor), _("import division outlines"))
    _check_datum(datum)
    document, digest = _read_json(path)
    report = ImportReport(source=Path(path).name, sha256=digest)
    default_code = _pad_code(code if code is not None else Path(path).stem)
    for index, item_code, geometry, problem in _geometry_items(document, default_code):
        report.read += 1
        if problem:
            report.reject(index, problem)
            continue
        if not item_code:
            report.reject(index, _("missing property 'code'"))
            continue
        item_code = _pad_code(item_code)
        try:
            division = Division.objects.get(code=item_code)
        except Division.DoesNotExist:
            report.reject(index, _("unknown division %(code)s") % {"code": item_code})
            continue
        if geometry is None:
            report.reject(index, _("the feature has no geometry"))
            continue
        try:
            outline, _measures = clean_area(geometry, datum)
        except GeometryError as exc:
            report.reject(index, exc.reason)
            continue
        if division.outline == outline:
            report.unchanged += 1
            continue
        inserted = division.outline is None
        division.outline = outline
        division.save(update_fields=["outline", "updated_at"])
        if inserted:
            report.inserted += 1
        else:
            report.updated += 1
    _record_import(
        report, actor=actor, object_type="geo.division", extra={"datum": datum, "what": "outlines"}
    )
    return report


# ---------------------------------------------------------------------------------------------
# grids


GRID_FIELDS = [
    "code",
    "name",
    "community_id",
    "district_id",
    "geometry",
    "centroid_lon",
    "centroid_lat",
    "area_km2",
    "is_active",
    "scope_path",
]


class _Districts:
    """Police districts by code and by path, loaded once for an import."""

    def __init__(self):
        self.by_code: dict[str, list[PoliceUnit]] = defaultdict(list)
        self.by_path: dict[str, PoliceUnit] = {}
        for unit in PoliceUnit.objects.filter(kind=UnitKind.DISTRICT):
            self.by_code[unit.code].append(unit)
            self.by_path[unit.path] = unit

    def resolve(self, ref: str) -> PoliceUnit:
        """A district by its full path (``640300/640302/ps01/d01``) or by its code, which should
        be unique across the territory (station code + ``Q`` + sequence)."""
        if "/" in ref:
            unit = self.by_path.get(ref)
            if unit is None:
                raise ValueError(_("unknown police district %(ref)s") % {"ref": ref})
            return unit
        units = self.by_code.get(ref, [])
        if not units:
            raise ValueError(_("unknown police district %(ref)s") % {"ref": ref})
        if len(units) > 1:
            raise ValueError(
                _(
                    "police district code %(ref)s is ambiguous: it matches %(paths)s; "
                    "give the district's full path"
                )
                % {"ref": ref, "paths": ", ".join(sorted(u.path for u in units))}
            )
        return units[0]


def _resolve_community(ref, villages: dict[str, Division] | None = None) -> Division:
    if isinstance(ref, Division):
        division = ref
    else:
        code = str(ref).strip()
        division = villages.get(code) if villages is not None else Division.objects.filter(code=code).first()
        if division is None and villages is not None:
            division = Division.objects.filter(code=code).first()
        if division is None:
            raise ValueError(_("unknown community %(code)s") % {"code": code})
    if division.level != DivisionLevel.VILLAGE:
        raise ValueError(
            _("%(division)s is a %(level)s, not a village or community")
            % {"division": division, "level": DivisionLevel(division.level).label}
        )
    return division


def _resolve_district(ref, districts: _Districts | None = None) -> PoliceUnit:
    unit = ref if isinstance(ref, PoliceUnit) else (districts or _Districts()).resolve(str(ref).strip())
    if unit.kind != UnitKind.DISTRICT:
        raise ValueError(
            _("%(unit)s is a %(kind)s, not a police district")
            % {"unit": unit, "kind": UnitKind(unit.kind).label}
        )
    return unit


def _grid_code_errors(code: str, community: Division) -> str | None:
    try:
        Grid._meta.get_field("code").run_validators(code)
    except ValidationError as exc:
        return _messages(exc)
    if not code.startswith(community.code):
        return _("grid code %(code)s does not start with its community's code %(community)s") % {
            "code": code,
            "community": community.code,
        }
    return None


@transaction.atomic
def import_grids(path, *, actor, datum: str = "wgs84") -> ImportReport:
    """Upsert grids from a GeoJSON FeatureCollection.

    Each feature carries ``properties``: ``code`` (the 12-digit community code and a 2–3 digit
    sequence), ``name``, ``community`` (the village/community's 12-digit code), ``district`` (the
    police district's code, or its full path when the code is not unique) and optionally
    ``is_active`` (default true), and a Polygon or MultiPolygon geometry in ``datum``.

    A grid is matched by code and updated in place; an identical one counts as unchanged. A
    feature is rejected, by index and reason, when a property is missing or wrong, its community
    or district is unknown, its outline is invalid, or the grid would lie outside the actor's scope.
    """
    _require(can_manage_grids(actor), _("import grids"))
    _check_datum(datum)
    document, digest = _read_json(path)
    report = ImportReport(source=Path(path).name, sha256=digest)
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ImportFileError(_("%(path)s is not a GeoJSON FeatureCollection") % {"path": path})
    features = document.get("features")
    if not isinstance(features, list):
        raise ImportFileError(_("the FeatureCollection has no features array"))

    villages = {d.code: d for d in Division.objects.filter(level=DivisionLevel.VILLAGE)}
    districts = _Districts()
    existing = {g.code: g for g in Grid.objects.unscoped(reason=UNSCOPED_IMPORT).select_related("district")}
    seen: dict[str, int] = {}
    for index, feature in enumerate(features):
        report.read += 1
        try:
            values = _clean_grid_feature(feature, villages, districts, datum)
        except (ValueError, GeometryError) as exc:
            report.reject(index, str(exc))
            continue
        code = values["code"]
        if code in seen:
            report.reject(
                index,
                _("grid code %(code)s already appeared in features[%(first)d]")
                % {"code": code, "first": seen[code]},
            )
            continue
        seen[code] = index
        try:
            with transaction.atomic():
                outcome = _upsert_grid(values, existing.get(code), actor)
        except OutOfScope:
            report.reject(index, _("grid %(code)s would lie outside your scope") % {"code": code})
            continue
        except ValidationError as exc:
            report.reject(index, _messages(exc))
            continue
        except DatabaseError as exc:
            report.reject(index, str(exc))
            continue
        if outcome[1] is not None:
            existing[code] = outcome[1]
        setattr(report, outcome[0], getattr(report, outcome[0]) + 1)
    _record_import(report, actor=actor, object_type="geo.grid", extra={"datum": datum})
    return report


def _clean_grid_feature(feature, villages, districts: _Districts, datum: str) -> dict:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError(_("not a GeoJSON Feature"))
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise ValueError(_("the feature has no properties"))
    for name in ("code", "name", "community", "district"):
        value = props.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError(_("missing property '%(name)s'") % {"name": name})
    code, name = str(props["code"]).strip(), str(props["name"]).strip()
    community = _resolve_community(props["community"], villages)
    problem = _grid_code_errors(code, community)
    if problem:
        raise ValueError(problem)
    max_name = Grid._meta.get_field("name").max_length
    if len(name) > max_name:
        raise ValueError(_("name: longer than %(n)d characters") % {"n": max_name})
    district = _resolve_district(props["district"], districts)
    is_active = props.get("is_active", True)
    if not isinstance(is_active, bool):
        raise ValueError(_("property 'is_active' must be true or false"))
    geometry = feature.get("geometry")
    if geometry is None:
        raise ValueError(_("the feature has no geometry"))
    geometry, (lon, lat, area) = clean_area(geometry, datum)
    return {
        "code": code,
        "name": name,
        "community": community,
        "district": district,
        "is_active": is_active,
        "geometry": geometry,
        "centroid_lon": lon,
        "centroid_lat": lat,
        "area_km2": area,
    }


def _upsert_grid(values: dict, grid: Grid | None, actor) -> tuple[str, Grid | None]:
    if grid is not None and not grid.is_visible_to(actor):
        raise OutOfScope(grid.code)
    if grid is None:
        grid = Grid(**values)
        grid.save()
        ensure_still_visible(actor, grid)
        return "inserted", grid
    same = (
        grid.name == values["name"]
        and grid.community_id == values["community"].pk
        and grid.district_id == values["district"].pk
        and grid.is_active == values["is_active"]
        and grid.geometry == values["geometry"]
    )
    if same:
        return "unchanged", None
    old_path = grid.scope_path
    for key, value in values.items():
        setattr(grid, key, value)
    _save_grid(grid, old_path, actor)
    return "updated", grid


def _save_grid(grid: Grid, old_path: str, actor) -> dict[str, int]:
    """Save a changed grid, which must stay in the actor's scope. Moved to another police
    district, it takes every row stored under it along: the rows moved, per model."""
    grid.save()
    ensure_still_visible(actor, grid)
    return relocate.move_subtree(old_path, grid.scope_path) if grid.scope_path != old_path else {}


def grid_feature(grid: Grid) -> dict:
    """One grid as a GeoJSON Feature, in the shape ``import_grids`` reads back."""
    return {
        "type": "Feature",
        "id": grid.code,
        "geometry": grid.geometry,
        "properties": {
            "code": grid.code,
            "name": grid.name,
            "community": grid.community.code,
            "community_name": grid.community.name,
            "district": grid.district.path,
            "district_code": grid.district.code,
            "district_name": grid.district.name,
            "is_active": grid.is_active,
            "area_km2": round(grid.area_km2, 6),
        },
    }


@transaction.atomic
def export_grids(*, actor, queryset) -> dict:
    """The grids of ``queryset`` that ``actor`` may see, as a GeoJSON FeatureCollection (WGS-84).
    The district is named by its full path, so the file imports back unambiguously."""
    grids = list(queryset.visible_to(actor).select_related("community", "district").order_by("code"))
    collection = {"type": "FeatureCollection", "features": [grid_feature(g) for g in grids]}
    audit.record(
        audit.EXPORT,
        actor=actor,
        object_type="geo.grid",
        object_repr=_("grids as GeoJSON"),
        after={"count": len(grids)},
    )
    return collection


def _clean_geometry_field(geometry) -> tuple[dict, tuple[float, float, float]]:
    try:
        return clean_area(geometry)
    except GeometryError as exc:
        raise ValidationError({"geometry": exc.reason}) from None


@transaction.atomic
def create_grid(*, actor, code: str, name: str, community, district, geometry: dict) -> Grid:
    """A new grid. ``community`` is a village Division or its code; ``district`` a police-district
    PoliceUnit, its unique code or its path; ``geometry`` a GeoJSON Polygon/MultiPolygon in WGS-84.
    Only grid managers may, and only inside their own scope (otherwise OutOfScope, and nothing is
    written)."""
    _require(can_manage_grids(actor), _("create grids"))
    try:
        community = _resolve_community(community)
    except ValueError as exc:
        raise ValidationError({"community": str(exc)}) from None
    try:
        district = _resolve_district(district)
    except ValueError as exc:
        raise ValidationError({"district": str(exc)}) from None
    geometry, (lon, lat, area) = _clean_geometry_field(geometry)
    grid = Grid(
        code=code,
        name=name,
        community=community,
        district=district,
        geometry=geometry,
        centroid_lon=lon,
        centroid_lat=lat,
        area_km2=area,
    )
    grid.scope_path = f"{district.path}/{code}"
    grid.full_clean()
    grid.save()
    ensure_still_visible(actor, grid)
    audit.record(audit.CREATE, grid, actor=actor, after=audit.snapshot(grid, GRID_FIELDS))
    return grid


UPDATABLE_GRID_FIELDS = ("name", "geometry", "community", "district", "is_active")


@transaction.atomic
def update_grid(grid: Grid, *, actor, **changes) -> Grid:
    """Change a grid's name, geometry, community, district or is_active. The grid must be in the
    actor's scope before (else OutOfScope, as if missing) and after the change (else the change
    is rolled back). Moved to another police district, it takes every row stored under it along
    (its events, disputes, registry records...), counted in the audit entry."""
    unknown = set(changes) - set(UPDATABLE_GRID_FIELDS)
    if unknown:
        raise TypeError(f"update_grid() cannot change {', '.join(sorted(unknown))}")
    _require(can_manage_grids(actor), _("change grids"))
    grid = Grid.objects.visible_to(actor).select_for_update().filter(pk=grid.pk).first()
    if grid is None:
        raise OutOfScope(_("No grid matches the given query."))
    before = audit.snapshot(grid, GRID_FIELDS)
    old_path = grid.scope_path
    if "name" in changes:
        grid.name = changes["name"]
    if "is_active" in changes:
        grid.is_active = changes["is_active"]
    if "community" in changes:
        try:
            grid.community = _resolve_community(changes["community"])
        except ValueError as exc:
            raise ValidationError({"community": str(exc)}) from None
    if "district" in changes:
        try:
            grid.district = _resolve_district(changes["district"])
        except ValueError as exc:
            raise ValidationError({"district": str(exc)}) from None
    if "geometry" in changes:
        grid.geometry, (grid.centroid_lon, grid.centroid_lat, grid.area_km2) = _clean_geometry_field(
            changes["geometry"]
        )
    grid.scope_path = f"{grid.district.path}/{grid.code}"
    grid.full_clean()
    after = audit.snapshot(grid, GRID_FIELDS)
    if after == before:
        return grid
    moved = _save_grid(grid, old_path, actor)
    changed_before, changed_after = audit.diff(before, audit.snapshot(grid, GRID_FIELDS))
    if moved:
        changed_after["rows_moved"] = moved
    audit.record(audit.UPDATE, grid, actor=actor, before=changed_before, after=changed_after)
    return grid
