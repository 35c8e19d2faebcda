"""Areas of the territory as GeoJSON in, shapely out: parse with clear reasons, measure, write back.

Coordinates are (longitude, latitude) in degrees, WGS-84 (see ``datum`` for GCJ-02 input).
"""

import math
import re

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.validation import explain_validity

AREA_TYPES = ("Polygon", "MultiPolygon")

# WGS-84 ellipsoid.
_A = 6378137.0
_E2 = 0.00669437999014


class GeometryError(ValueError):
    """A geometry that cannot be a grid or division outline; ``reason`` says why, for people."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def __str__(self):
        return str(self.reason)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_ring(ring, where: str) -> None:
    if not isinstance(ring, list | tuple):
        raise GeometryError(_("%(where)s is not an array of positions") % {"where": where})
    for i, position in enumerate(ring):
        if (
            not isinstance(position, list | tuple)
            or len(position) < 2
            or not all(_is_number(v) for v in position[:2])
        ):
            raise GeometryError(
                _("%(where)s, point %(i)d is not a [longitude, latitude] pair: %(value)s")
                % {"where": where, "i": i, "value": position}
            )
        lon, lat = position[0], position[1]
        if not -180 <= lon <= 180 or not -90 <= lat <= 90:
            raise GeometryError(
                _("%(where)s, point %(i)d (%(lon)s, %(lat)s) is outside longitude −180…180 / latitude −90…90")
                % {"where": where, "i": i, "lon": lon, "lat": lat}
            )
    if len(ring) < 4:
        raise GeometryError(
            _("%(where)s has %(n)d points; a closed ring needs at least 4 (the first repeated last)")
            % {"where": where, "n": len(ring)}
        )
    first, last = list(ring[0][:2]), list(ring[-1][:2])
    if first != last:
        raise GeometryError(
            _("%(where)s is not closed: it starts at %(first)s and ends at %(last)s")
            % {"where": where, "first": first, "last": last}
        )


def _check_polygon(rings, where: str) -> None:
    if not isinstance(rings, list | tuple) or not rings:
        raise GeometryError(_("%(where)s has no rings") % {"where": where})
    for r, ring in enumerate(rings):
        label = _("outer ring") if r == 0 else _("hole %(n)d") % {"n": r}
        _check_ring(ring, f"{where}{label}" if where else label)


_VALIDITY = re.compile(r"^(?P<what>[^\[]+)\[(?P<x>\S+) (?P<y>\S+)\]")


def _validity_reason(geom) -> str:
    detail = explain_validity(geom)
    match = _VALIDITY.match(detail)
    if match:
        what = match["what"].strip().lower()
        return _("the outline is invalid: %(what)s at (%(lon)s, %(lat)s)") % {
            "what": what,
            "lon": match["x"],
            "lat": match["y"],
        }
    return _("the outline is invalid: %(detail)s") % {"detail": detail}


def parse_area(geojson: dict) -> Polygon | MultiPolygon:
    """A GeoJSON Polygon or MultiPolygon as a valid shapely geometry, or GeometryError saying why not.

    Rejects: other types, non-numeric or out-of-range coordinates, rings with fewer than 4 points,
    unclosed rings, self-intersections and any other invalidity GEOS finds, and empty areas.
    """
    if not isinstance(geojson, dict):
        raise GeometryError(_("the geometry is not a GeoJSON object"))
    kind = geojson.get("type")
    if kind not in AREA_TYPES:
        raise GeometryError(_("the geometry is a %(kind)s, not a Polygon or MultiPolygon") % {"kind": kind})
    coordinates = geojson.get("coordinates")
    if not isinstance(coordinates, list | tuple) or not coordinates:
        raise GeometryError(_("the %(kind)s has no coordinates") % {"kind": kind})
    if kind == "Polygon":
        _check_polygon(coordinates, "")
    else:
        for p, rings in enumerate(coordinates):
            _check_polygon(rings, _("polygon %(n)d, ") % {"n": p})
    try:
        geom = shape({"type": kind, "coordinates": coordinates})
    except (ValueError, TypeError, shapely.errors.ShapelyError) as exc:
        raise GeometryError(_("the outline cannot be built: %(error)s") % {"error": exc}) from None
    if not geom.is_valid:
        raise GeometryError(_validity_reason(geom))
    if geom.is_empty or geom.area == 0:
        raise GeometryError(_("the outline encloses no area"))
    return geom


def _local_radius(lat_deg: float) -> float:
    """Gaussian mean radius sqrt(M·N) of the WGS-84 ellipsoid at a latitude, in metres."""
    s2 = math.sin(math.radians(lat_deg)) ** 2
    w = 1 - _E2 * s2
    n = _A / math.sqrt(w)
    m = _A * (1 - _E2) / w**1.5
    return math.sqrt(m * n)


def _project(geom, lon0: float, radius: float):
    """Sinusoidal (equal-area) projection about ``lon0`` on a sphere of ``radius``."""

    def forward(coords):
        lon = np.radians(coords[:, 0] - lon0)
        lat = np.radians(coords[:, 1])
        return np.column_stack([radius * lon * np.cos(lat), radius * lat])

    return shapely.transform(geom, forward)


def measures(geom) -> tuple[float, float, float]:
    """(centroid longitude, centroid latitude, area in km²) of a polygonal geometry.

    The area is computed in a sinusoidal projection, which is exactly equal-area on a sphere,
    centred on the geometry's own meridian and using the ellipsoid's Gaussian mean radius at
    its central latitude. For areas the size of a city the error against the WGS-84 ellipsoid is
    far below 0.1 %, with no projection library needed. The centroid is taken in the same
    projection and mapped back to degrees.
    """
    minx, miny, maxx, maxy = geom.bounds
    lon0 = (minx + maxx) / 2
    radius = _local_radius((miny + maxy) / 2)
    projected = _project(geom, lon0, radius)
    centre = projected.centroid
    lat = math.degrees(centre.y / radius)
    lon = lon0 + math.degrees(centre.x / (radius * math.cos(math.radians(lat))))
    return lon, lat, projected.area / 1e6


def _listify(value):
    if isinstance(value, list | tuple):
        return [_listify(v) for v in value]
    return value


def to_geojson(geom) -> dict:
    """A shapely geometry as a GeoJSON geometry dict (lists, not tuples, so it equals what a
    JSON column gives back)."""
    data = mapping(geom)
    return {"type": data["type"], "coordinates": _listify(data["coordinates"])}


def clean_area(geojson: dict, datum: str = "wgs84") -> tuple[dict, tuple[float, float, float]]:
    """Validate an area given in ``datum``, convert it to WGS-84 and measure it:
    (GeoJSON geometry in WGS-84, (centroid lon, centroid lat, area km²)). Raises GeometryError."""
    from fengqiao.geo.datum import to_wgs84

    parse_area(geojson)  # first on the input, so reasons name the coordinates as given
    if datum != "wgs84":
        geojson = to_wgs84(geojson, datum)
    geom = parse_area(geojson)
    return to_geojson(geom), measures(geom)
