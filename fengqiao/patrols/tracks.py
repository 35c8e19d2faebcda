"""Tracks: the GeoJSON a patrol keeps, its length, GPX in and out, and the grids it passed through.

Coverage cuts a track into its segments (point to next point) and asks the grids' spatial index
(the locator's shapely STRtree over the active grids) which outlines each segment meets, for many
tracks in one query; a grid's first and last time are those of the first and last segment in it.
No loop over polygons.
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
    """For each track, {grid id: (first, last)} (epoch microseconds) of the grids it passed through: every
    track's segments in one query of the grids' STRtree."""
    locator = locator or current_locator()
    results: list[dict[int, tuple[int, int]]] = [{} for _ in tracks]
    pieces = [segments(t) for t in tracks if len(t)]
    if not pieces or len(locator) == 0:
        return results
    owners = np.concatenate([np.full(len(p), i) for i, p in zip(_nonempty(tracks), pieces, strict=True)])
    starts = np.concatenate([t.times if len(t) == 1 else t.times[:-1] for t in tracks if len(t)])
    ends = np.concatenate([t.times if len(t) == 1 else t.times[1:] for t in tracks if len(t)])
    seg_idx, tree_idx = locator.tree.query(np.concatenate(pieces), predicate="intersects")
    if seg_idx.size == 0:
        return results
    # One row per (track, grid): the earliest start and latest end of its segments there.
    track_of, grid_of = owners[seg_idx], locator.ids[tree_idx]
    order = np.lexsort((grid_of, track_of))
    track_of, grid_of = track_of[order], grid_of[order]
    first, last = starts[seg_idx][order], ends[seg_idx][order]
    cut = np.flatnonzero(np.r_[True, (track_of[1:] != track_of[:-1]) | (grid_of[1:] != grid_of[:-1])])
    firsts, lasts = np.minimum.reduceat(first, cut), np.maximum.reduceat(last, cut)
    for i, at in enumerate(cut):
        results[int(track_of[at])][int(grid_of[at])] = (int(firsts[i]), int(lasts[i]))
    return results


def _nonempty(tracks):
    return [i for i, t in enumerate(tracks) if len(t)]


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
