"""GCJ-02 ↔ WGS-84 for GeoJSON geometries.

GCJ-02 is the offset datum of Chinese consumer maps; every coordinate Fengqiao stores is WGS-84.
The forward transform (WGS-84 → GCJ-02) is a public closed formula; its inverse has no closed form
and is found iteratively (``eviltransform.gcj2wgs_exact``, a bisection to about 0.1 m, refined here
by a few fixed-point steps to well under a centimetre). Outside China both directions are the
identity, as the formula itself defines.

Coordinates are rounded to 7 decimal places (about 1 cm), so stored outlines are tidy and a
re-import of the same file gives the same numbers.
"""

import eviltransform

DECIMALS = 7
_REFINE_STEPS = 4
_TOLERANCE = 1e-10  # degrees, ~0.01 mm


def gcj02_point_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """One GCJ-02 point to WGS-84, as (lon, lat)."""
    wlat, wlon = eviltransform.gcj2wgs_exact(lat, lon)
    # Fixed-point refinement: the offset varies slowly, so wgs -= (forward(wgs) - gcj) converges fast.
    for _ in range(_REFINE_STEPS):
        glat, glon = eviltransform.wgs2gcj(wlat, wlon)
        dlat, dlon = glat - lat, glon - lon
        if abs(dlat) < _TOLERANCE and abs(dlon) < _TOLERANCE:
            break
        wlat, wlon = wlat - dlat, wlon - dlon
    return round(wlon, DECIMALS), round(wlat, DECIMALS)


def wgs84_point_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """One WGS-84 point to GCJ-02, as (lon, lat)."""
    glat, glon = eviltransform.wgs2gcj(lat, lon)
    return round(glon, DECIMALS), round(glat, DECIMALS)


def _convert_position(position, fn):
    if not isinstance(position, list | tuple) or len(position) < 2:
        raise ValueError(f"not a coordinate position: {position!r}")
    lon, lat = fn(float(position[0]), float(position[1]))
    return [lon, lat, *position[2:]]


def _convert_coordinates(coordinates, depth: int, fn):
    """Walk a GeoJSON coordinates array ``depth`` levels deep and convert each position."""
    if depth == 0:
        return _convert_position(coordinates, fn)
    if not isinstance(coordinates, list | tuple):
        raise ValueError(f"expected an array of coordinates, got {coordinates!r}")
    return [_convert_coordinates(item, depth - 1, fn) for item in coordinates]


_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}


def _convert_geometry(geometry: dict, fn) -> dict:
    if not isinstance(geometry, dict):
        raise ValueError("a GeoJSON geometry is an object")
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        return {**geometry, "geometries": [_convert_geometry(g, fn) for g in geometry.get("geometries", [])]}
    if kind not in _DEPTH:
        raise ValueError(f"not a GeoJSON geometry type: {kind!r}")
    return {**geometry, "coordinates": _convert_coordinates(geometry.get("coordinates"), _DEPTH[kind], fn)}


def gcj02_to_wgs84(geojson_geometry: dict) -> dict:
    """A copy of a GeoJSON geometry (Polygon, MultiPolygon, or any other type) with every
    coordinate moved from GCJ-02 to WGS-84. Raises ValueError on a malformed geometry."""
    return _convert_geometry(geojson_geometry, gcj02_point_to_wgs84)


def wgs84_to_gcj02(geojson_geometry: dict) -> dict:
    """A copy of a GeoJSON geometry with every coordinate moved from WGS-84 to GCJ-02."""
    return _convert_geometry(geojson_geometry, wgs84_point_to_gcj02)


DATUMS = ("wgs84", "gcj02")


def to_wgs84(geojson_geometry: dict, datum: str) -> dict:
    """A geometry given in ``datum`` ("wgs84" or "gcj02"), in WGS-84."""
    if datum == "wgs84":
        return geojson_geometry
    if datum == "gcj02":
        return gcj02_to_wgs84(geojson_geometry)
    raise ValueError(f"unknown datum {datum!r}: use one of {', '.join(DATUMS)}")
