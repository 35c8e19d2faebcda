"""Point → grid, through a spatial index: a shapely STRtree over the prepared grid outlines.

``Locator`` is the index itself and needs no database. The module-level :func:`locate` and
:func:`locate_many` use one process-wide Locator over the active grids, built on first use and
rebuilt when the grids change (checked with one index-only query per call: the latest
``updated_at``, which every insert and edit moves; a grid deleted outright is noticed when the
point it held finds no row, and the Locator is rebuilt then).

A point on a border shared by several grids belongs to the first of them in the Locator's order;
the process-wide Locator orders grids by code, so the grid with the lowest code wins.
"""

import threading

import numpy as np
import shapely
from django.db.models import Max
from django.utils.translation import gettext as _
from shapely.geometry import shape

OUTSIDE = -1


class OutsideTerritory(LookupError):
    """The point lies in no grid."""

    def __init__(self, lon: float, lat: float):
        self.lon, self.lat = lon, lat
        super().__init__(_("(%(lon)s, %(lat)s) is outside the territory") % {"lon": lon, "lat": lat})


def check_lon_lat(lon, lat) -> tuple[float, float]:
    """The point as floats, or ValueError naming the coordinate that is not a valid WGS-84 value."""
    values = {}
    for name, value, limit in (("lon", lon, 180), ("lat", lat, 90)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            message = _("%(name)s must be a number, not %(value)r") % {"name": name, "value": value}
            raise ValueError(message) from None
        if not np.isfinite(number) or not -limit <= number <= limit:
            raise ValueError(
                _("%(name)s must be between -%(limit)d and %(limit)d, not %(value)s")
                % {"name": name, "limit": limit, "value": value}
            )
        values[name] = number
    return values["lon"], values["lat"]


def _check_arrays(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    lons = np.asarray(lons, dtype=float).ravel()
    lats = np.asarray(lats, dtype=float).ravel()
    if lons.shape != lats.shape:
        message = _("lons and lats differ in length (%(a)d and %(b)d)") % {"a": lons.size, "b": lats.size}
        raise ValueError(message)
    for name, values, limit in (("lon", lons, 180), ("lat", lats, 90)):
        bad = ~(np.isfinite(values) & (np.abs(values) <= limit))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                _("%(name)s[%(i)d] must be between -%(limit)d and %(limit)d, not %(value)s")
                % {"name": name, "i": i, "limit": limit, "value": values[i]}
            )
    return lons, lats


class Locator:
    """An index of areas (id, polygon) that places points: ``locate`` one, ``locate_many`` a batch.

    The geometries are prepared (``shapely.prepare``) and put in a ``shapely.STRtree``. A point
    on a border shared by several areas belongs to the one given first.
    """

    def __init__(self, ids, geometries):
        self.ids = np.asarray(list(ids), dtype=np.int64)
        self.geometries = np.asarray(list(geometries), dtype=object)
        if self.ids.shape != self.geometries.shape:
            raise ValueError("ids and geometries differ in length")
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)

    def __len__(self):
        return len(self.ids)

    def locate(self, lon: float, lat: float) -> int | None:
        """The id of the area holding the point, or None."""
        lon, lat = check_lon_lat(lon, lat)
        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        if hits.size == 0:
            return None
        return int(self.ids[hits.min()])

    def locate_many(self, lons, lats) -> np.ndarray:
        """The ids of the areas holding each point, -1 for points outside them all."""
        lons, lats = _check_arrays(lons, lats)
        result = np.full(lons.size, OUTSIDE, dtype=np.int64)
        if lons.size == 0 or len(self.ids) == 0:
            return result
        points = shapely.points(lons, lats)
        point_idx, tree_idx = self.tree.query(points, predicate="intersects")
        if point_idx.size == 0:
            return result
        # Where a point hits several areas (a shared border), keep the lowest tree index.
        order = np.lexsort((tree_idx, point_idx))
        point_idx, tree_idx = point_idx[order], tree_idx[order]
        first = np.ones(point_idx.size, dtype=bool)
        first[1:] = point_idx[1:] != point_idx[:-1]
        result[point_idx[first]] = self.ids[tree_idx[first]]
        return result


# ---------------------------------------------------------------------------------------------
# the process-wide locator over the active grids

_lock = threading.Lock()
_state: dict = {"key": None, "locator": None}


def _grids():
    from fengqiao.geo.models import Grid

    return Grid.objects.unscoped(reason="locator: placing points needs every active grid")


def _version():
    """The latest change to any grid (an indexed column)."""
    return _grids().aggregate(latest=Max("updated_at"))["latest"]


def current_locator() -> Locator:
    """The process-wide Locator, rebuilt if the grids changed since it was built."""
    key = _version()
    locator = _state["locator"]
    if locator is not None and _state["key"] == key:
        return locator
    with _lock:
        if _state["locator"] is None or _state["key"] != key:
            rows = _grids().filter(is_active=True).order_by("code").values_list("id", "geometry")
            ids, geometries = [], []
            for pk, geometry in rows:
                ids.append(pk)
                geometries.append(shape(geometry))
            _state["locator"] = Locator(ids, geometries)
            _state["key"] = key
        return _state["locator"]


def reset() -> None:
    """Forget the process-wide Locator (the next call rebuilds it)."""
    with _lock:
        _state["key"] = _state["locator"] = None


def locate(lon: float, lat: float):
    """The active grid holding a WGS-84 point; OutsideTerritory if none does, ValueError for a
    coordinate out of range. This is placement, not a read for a user: callers showing the grid
    check the user's scope themselves. The grid comes without its outline: callers place points,
    they do not draw."""
    lon, lat = check_lon_lat(lon, lat)
    for _attempt in range(2):
        grid_id = current_locator().locate(lon, lat)
        if grid_id is None:
            raise OutsideTerritory(lon, lat)
        grid = _grids().defer("geometry").filter(pk=grid_id).first()
        if grid is not None:
            return grid
        reset()  # deleted since the Locator was built: rebuild it and look again
    raise OutsideTerritory(lon, lat)


def locate_many(lons, lats) -> np.ndarray:
    """Grid ids for many WGS-84 points (-1 where outside every active grid)."""
    return current_locator().locate_many(lons, lats)
