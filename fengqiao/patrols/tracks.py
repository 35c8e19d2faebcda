"""Tracks: the GeoJSON a patrol keeps, its length, GPX in and out, and the grids it passed through.

Coverage asks the grids' spatial index (the locator's shapely STRtree over the active grids, its
outlines prepared) which outlines each track meets, many tracks in one query, and times each
grid by the track's positions inside it (``passages_many``). No loop over polygons.
"""

import datetime as dt
from dataclasses import dataclass

import gpxpy
import gpxpy.gpx
import numpy as np
import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from fengqiao.geo.locator import Locator, current_locator

EARTH_RADIUS_M = 6_371_000
# At most this many points are read from one GPX file (a day at one point a second).
MAX_GPX_POINTS = 86_400


@dataclass(frozen=True)
class Track:
    """A track as arrays: longitudes, latitudes and times (epoch microseconds), in time order."""

    lons: np.ndarray
    lats: np.ndarray
    times: np.ndarray

    @classmethod
    def of(cls, points) -> "Track":
        """From (time, lon, lat) tuples, sorted by time."""
        points = sorted(points, key=lambda p: p[0])
        return cls(
            np.array([p[1] for p in points], dtype=float),
            np.array([p[2] for p in points], dtype=float),
            np.array([_micros(p[0]) for p in points], dtype=np.int64),
        )

    def __len__(self):
        return len(self.lons)


def length_m(track: Track) -> float:
    """The track's length along the ground (haversine between consecutive points)."""
    if len(track) < 2:
        return 0.0
    lon, lat = np.radians(track.lons), np.radians(track.lats)
    dlat, dlon = np.diff(lat), np.diff(lon)
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(dlon / 2) ** 2
    return float(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1))).sum())


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _micros(when: dt.datetime) -> int:
    # Exact (a float of seconds would round away the microseconds).
    return (when - EPOCH) // dt.timedelta(microseconds=1)


def from_micros(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=int(us))


def _iso(us: int) -> str:
    return from_micros(us).isoformat().replace("+00:00", "Z")


def geojson(track: Track) -> dict | None:
    """The track as a GeoJSON Feature: a LineString (a Point while it has one position), with
    the time of each position in ``properties.times``."""
    if len(track) == 0:
        return None
    coordinates = np.column_stack([track.lons, track.lats]).round(7).tolist()
    geometry = (
        {"type": "Point", "coordinates": coordinates[0]}
        if len(coordinates) == 1
        else {"type": "LineString", "coordinates": coordinates}
    )
    return {"type": "Feature", "geometry": geometry, "properties": {"times": [_iso(t) for t in track.times]}}


def segments(track: Track) -> np.ndarray:
    """The track's pieces as shapely geometries: each step from one position to the next (a
    single position is a point)."""
    coords = np.column_stack([track.lons, track.lats])
    if len(coords) == 1:
        return shapely.points(coords)
    return shapely.linestrings(np.stack([coords[:-1], coords[1:]], axis=1))


def passages_many(tracks: list[Track], locator: Locator | None = None) -> list[dict[int, tuple[int, int]]]:
    """For each track, {grid id: (first, last)} (epoch microseconds) of the grids it passed through.

    Which grids: each whole track (one line) put to the grids' STRtree, all tracks in one query,
    so a grid the line only clips between two positions counts too. When: from the positions
    inside the grid, the segment that entered it (from the position before the first inside) to
    the one that left it (to the position after the last inside); for a grid no position lies in,
    the first and last of the track's segments that meet it. No segment is made as a geometry
    unless a grid holds none of the track's positions.
    """
    locator = locator or current_locator()
    results: list[dict[int, tuple[int, int]]] = [{} for _ in tracks]
    kept = [i for i, t in enumerate(tracks) if len(t)]
    if not kept or len(locator) == 0:
        return results
    lines = np.array(
        [
            shapely.points(tracks[i].lons[0], tracks[i].lats[0])
            if len(tracks[i]) == 1
            else shapely.linestrings(tracks[i].lons, tracks[i].lats)
            for i in kept
        ],
        dtype=object,
    )
    line_idx, tree_idx = locator.tree.query(lines, predicate="intersects")
    for li, gi in zip(line_idx.tolist(), tree_idx.tolist(), strict=True):
        track, polygon = tracks[kept[li]], locator.geometries[gi]
        inside = np.flatnonzero(shapely.contains_xy(polygon, track.lons, track.lats))
        if inside.size:
            a, b = max(int(inside[0]) - 1, 0), min(int(inside[-1]) + 1, len(track) - 1)
        elif len(track) == 1:
            a = b = 0
        else:
            hit = np.flatnonzero(shapely.intersects(polygon, segments(track)))
            a, b = int(hit[0]), int(hit[-1]) + 1
        results[kept[li]][int(locator.ids[gi])] = (int(track.times[a]), int(track.times[b]))
    return results


def passages(track: Track, locator: Locator | None = None) -> dict[int, tuple[int, int]]:
    return passages_many([track], locator)[0]


# --- GPX -------------------------------------------------------------------------------------


def read_gpx(data: bytes | str) -> list[tuple[dt.datetime, float, float]]:
    """The timed positions of a GPX file's tracks (and routes' timed points), in time order. A
    ValidationError on ``file`` says what is wrong: not GPX, no points, a point without a time."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        gpx = gpxpy.parse(text)
    except (UnicodeDecodeError, gpxpy.gpx.GPXException, ValueError) as error:
        raise ValidationError({"file": [_("This is not a GPX file: %(error)s") % {"error": error}]}) from None
    points = []
    for track in gpx.tracks:
        for segment in track.segments:
            points.extend(segment.points)
    if len(points) > MAX_GPX_POINTS:
        raise ValidationError({"file": [_("The file has more than %(n)s points.") % {"n": MAX_GPX_POINTS}]})
    if not points:
        raise ValidationError({"file": [_("The GPX file holds no track points.")]})
    out = []
    for number, point in enumerate(points, start=1):
        if point.time is None:
            raise ValidationError({"file": [_("Track point %(n)s has no time.") % {"n": number}]})
        when = point.time if point.time.tzinfo else point.time.replace(tzinfo=dt.UTC)
        if not (-180 <= point.longitude <= 180 and -90 <= point.latitude <= 90):
            raise ValidationError({"file": [_("Track point %(n)s is not a valid position.") % {"n": number}]})
        out.append((when, float(point.longitude), float(point.latitude)))
    out.sort(key=lambda p: p[0])
    return out


def write_gpx(points, *, name: str) -> str:
    """A GPX 1.1 document of one track from (time, lon, lat) tuples."""
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "Fengqiao"
    track = gpxpy.gpx.GPXTrack(name=name)
    segment = gpxpy.gpx.GPXTrackSegment()
    segment.points = [
        gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon, time=when) for when, lon, lat in points
    ]
    track.segments.append(segment)
    gpx.tracks.append(track)
    return gpx.to_xml(version="1.1")
