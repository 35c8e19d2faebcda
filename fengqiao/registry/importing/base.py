"""What every registry importer shares: the context of one import, the look-ups a chunk needs,
and the writes.

Per chunk an importer (one subclass per kind):

1. takes each row's key (ID number, credit code, address code …) — a bad key rejects the row,
   a key seen earlier in the file rejects it as a duplicate;
2. looks up, in a few queries for the whole chunk, the records that exist already and the
   addresses, grids and points the rows refer to;
3. validates each row with the registry's rules (``fengqiao.registry.rules`` and the validators),
   merged over the stored record when there is one, and checks that it lands in the actor's scope;
4. sorts the rows into inserted, updated and unchanged, and writes them with ``bulk_create``
   (new records, then changed ones as an upsert on their id) and their history rows with
   ``history.write_history``, as the actions do one record at a time.

Steps 1–3 read only; step 4 runs inside the chunk's transaction (the runner's).
"""

from dataclasses import dataclass, field
from functools import cache

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import ForeignKey
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.importing import copy_in
from fengqiao.core.importing.columns import HeaderMap, Kind
from fengqiao.core.importing.rows import Row, RowRejected, rejected_from
from fengqiao.core.scoping import path_within, scope_prefixes
from fengqiao.geo import datum as datums
from fengqiao.geo import locator
from fengqiao.geo.models import Grid
from fengqiao.registry import history
from fengqiao.registry.choices import HistoryAction
from fengqiao.registry.validators import InvalidValue

UNSCOPED_IMPORT = "registry import: upsert by key across the territory; scope checked per row"

# The import report's address counts (ImportBatch.options).
ADDRESS_COUNTS = ("matched", "pending", "new_pending")

# Largest IN (...) list per query: below every backend's parameter limit.
IN_CHUNK = 900
# New records of a chunk from which PostgreSQL gets them by COPY rather than bulk_create.
COPY_FROM = 1000


@dataclass
class Planned:
    """What a chunk will write."""

    inserts: list = field(default_factory=list)  # (row, unsaved instance)
    updates: list = field(default_factory=list)  # (row, instance, before, after) of changed records
    unchanged: int = 0

    @property
    def inserted(self) -> int:
        return len(self.inserts)

    def singles(self):
        """Each planned write on its own (to find the one row the database refuses)."""
        for item in self.inserts:
            yield item[0], Planned(inserts=[item])
        for item in self.updates:
            yield item[0], Planned(updates=[item])


class Context:
    """What every chunk of one import needs: the actor and their scope, the clock, the grids."""

    def __init__(self, *, actor, batch, source: str):
        self.actor = actor
        self.batch = batch
        self.source = source
        self.prefixes = scope_prefixes(actor)
        self.now = timezone.now()
        self.today = timezone.localdate()
        # the grids, for the records' derived state (their scope path) and the rows' grid codes
        self.grids = {
            grid.pk: grid
            for grid in Grid.objects.unscoped(reason=UNSCOPED_IMPORT).only(
                "id", "code", "scope_path", "community_id", "is_active"
            )
        }
        self.grid_path = {pk: grid.scope_path for pk, grid in self.grids.items()}
        self.grid_community = {pk: grid.community_id for pk, grid in self.grids.items()}
        self.grid_by_code = {grid.code: pk for pk, grid in self.grids.items()}
        self.active_grids = {pk for pk, grid in self.grids.items() if grid.is_active}
        self._grid_allowed: dict[int, bool] = {}

    def in_scope(self, path: str) -> bool:
        return path_within(path, self.prefixes)

    def grid_of_code(self, code: str) -> int:
        pk = self.grid_by_code.get(code.strip())
        if pk is None or pk not in self.active_grids:
            raise RowRejected("grid", _("no grid has the code %(code)s") % {"code": code})
        return pk

    def check_scope(self, grid_id: int, field_name: str) -> None:
        allowed = self._grid_allowed.get(grid_id)
        if allowed is None:
            allowed = self._grid_allowed[grid_id] = self.in_scope(self.grid_path[grid_id])
        if not allowed:
            raise RowRejected(field_name, _("the record would lie outside your scope"))


def point_of(row: Row) -> tuple[float, float] | None:
    """The row's WGS-84 point, None without one; RowRejected for a half or bad point."""
    lon, lat = row.data.get("lon"), row.data.get("lat")
    if lon is None and lat is None:
        return None
    if lon is None or lat is None:
        raise RowRejected("lat" if lat is None else "lon", _("a point needs both longitude and latitude"))
    try:
        point = locator.check_lon_lat(lon, lat)
    except ValueError as exc:
        raise RowRejected("lon", str(exc)) from None
    datum = "".join(c for c in (row.data.get("datum") or "").lower() if c.isalnum())
    if datum in _GCJ02:
        return datums.gcj02_point_to_wgs84(*point)
    if datum and datum not in _WGS84:
        raise RowRejected("datum", _("write WGS-84 or GCJ-02"))
    return point


# How the 坐标系 column names the two datums (GCJ-02: the offset of Chinese consumer maps).
_WGS84 = {"wgs84", "wgs", "gps", "大地坐标"}
_GCJ02 = {"gcj02", "gcj", "火星坐标", "火星坐标系", "国测局坐标", "高德", "腾讯"}


def grid_hint(ctx, row: Row, located: int | None) -> int | None:
    """The grid a row's pending address goes to: its point's (``located``), else its grid
    column's; None without either. RowRejected for a point outside every grid."""
    if located is not None:
        return located
    point = point_of(row)
    if point is not None:
        raise RowRejected(
            "lon", _("the point (%(lon)s, %(lat)s) lies in no grid") % {"lon": point[0], "lat": point[1]}
        )
    return ctx.grid_of_code(row.data["grid"]) if row.data.get("grid") else None


def locate_points(rows: list[Row], points: dict[int, tuple[float, float]]) -> dict[int, int]:
    """Grid ids of the rows' points (index → grid id), placed in one call of the locator;
    points outside every grid are left out."""
    if not points:
        return {}
    order = list(points)
    found = locator.locate_many([points[i][0] for i in order], [points[i][1] for i in order])
    return {i: int(g) for i, g in zip(order, found, strict=True) if g != locator.OUTSIDE}


@cache
def _collected(model) -> bool:
    """Whether the model's records name who collected them, and when."""
    return any(f.attname == "collected_by_id" for f in model._meta.concrete_fields)


class Importer:
    """One kind of import. Subclasses give the model, the key and the rules of a row."""

    kind: Kind
    model = None
    key_field = ""  # the model field that identifies a record (unique)

    def __init__(self, ctx: Context, header: HeaderMap):
        self.ctx = ctx
        self.header = header
        # rows whose address text matched a standard address, rows placed at a pending address,
        # pending addresses made: counted on from an interrupted run of the same batch
        options = ctx.batch.options if ctx.batch is not None else {}
        self.address_counts = {name: int(options.get(name, 0)) for name in ADDRESS_COUNTS}
        meta = self.model._meta
        self.attnames = [f.attname for f in meta.concrete_fields]
        self.compared = [a for a in self.attnames if a not in history.IGNORED_FIELDS]
        self._max_length = {
            f.attname: f.max_length
            for f in meta.concrete_fields
            if getattr(f, "max_length", None) and not isinstance(f, ForeignKey)
        }

    def new(self, model=None):
        """A new record as the actions start one: collected by the actor, today."""
        model = model or self.model
        fields = {"created_at": self.ctx.now, "updated_at": self.ctx.now}
        if _collected(model):
            fields.update(collected_by_id=self.ctx.actor.pk, collected_at=self.ctx.today)
        return model(**fields)

    def record(self, stored: dict | None, model=None):
        """The stored record (a dict of its values) as an instance, or a new one."""
        return self.new(model) if stored is None else (model or self.model)(**stored)

    # -- step 1 -------------------------------------------------------------------------------
    def key(self, row: Row):
        """The row's key (normalised), None when it has none; RowRejected for a bad one."""
        raise NotImplementedError

    def duplicate(self, row: Row, first_line: int) -> RowRejected:
        field_name = self.key_column(row)
        return RowRejected(
            field_name,
            _("the same %(what)s is on line %(line)d already")
            % {"what": self.header.header_of(field_name), "line": first_line},
        )

    # -- step 2 --------------------------------------------------------------------------------
    def prepare(self, rows: list[Row]) -> None:
        """Chunk-wide look-ups before the rows are cleaned."""

    def existing(self, keys: list) -> dict:
        """Stored records by key: key → dict of attnames."""
        found = {}
        qs = self.model.objects.unscoped(reason=UNSCOPED_IMPORT)
        keys = sorted({k for k in keys if k is not None})
        for i in range(0, len(keys), IN_CHUNK):
            for values in qs.filter(**{f"{self.key_field}__in": keys[i : i + IN_CHUNK]}).values(
                *self.attnames
            ):
                found[values[self.key_field]] = values
        return found

    # -- step 3 --------------------------------------------------------------------------------
    def build(self, row: Row, index: int, stored: dict | None):
        """The record as the row makes it (a model instance), validated; RowRejected otherwise."""
        raise NotImplementedError

    def check_lengths(self, obj) -> None:
        for name, limit in self._max_length.items():
            value = getattr(obj, name)
            if isinstance(value, str) and len(value) > limit:
                raise RowRejected(
                    name, _("longer than %(n)d characters (%(m)d)") % {"n": limit, "m": len(value)}
                )

    def stored_for(self, row: Row, index: int, stored: dict) -> dict | None:
        """The stored record a row is about (by default: by its key), None for a new one;
        RowRejected when the row names something that does not exist."""
        return stored.get(row.key) if row.key is not None else None

    def key_column(self, row: Row) -> str:
        """The field whose column identifies the row's record (for messages)."""
        return self.key_field

    def plan(self, rows: list[Row], reject) -> Planned:
        """Steps 2–3 for a chunk of rows whose keys are good and unique in the file."""
        self.prepare(rows)
        stored = self.existing([r.key for r in rows])
        planned = Planned()
        claimed: dict = {}  # the record each row resolved to → its line (one row per record)
        for index, row in enumerate(rows):
            try:
                before = self.stored_for(row, index, stored)
                if before is not None:
                    if not self.ctx.in_scope(before["scope_path"]):
                        raise RowRejected(
                            self.key_column(row),
                            _("this record exists outside your scope: its grid must change it"),
                        )
                    if before.get("retired_at") is not None:
                        raise RowRejected(
                            self.key_column(row), _("this record is retired and cannot be changed")
                        )
                obj = self.build(row, index, before)
                self.check_lengths(obj)
                identity = ("id", before["id"]) if before is not None else ("key", self.identity(obj))
                if identity in claimed:
                    raise self.duplicate(row, claimed[identity])
                claimed[identity] = row.line
            except RowRejected as exc:
                reject(row, exc)
                continue
            except (ValidationError, InvalidValue) as exc:
                reject(row, rejected_from(exc, self.key_column(row)))
                continue
            if before is None:
                planned.inserts.append((row, obj))
                continue
            old, new = history.changes(
                audit.to_json({name: before[name] for name in self.compared}), history.snapshot(obj)
            )
            if not old and not new:
                planned.unchanged += 1
            else:
                planned.updates.append((row, obj, old, new))
        return planned

    def identity(self, obj):
        """What makes a new record unique (its key field's value)."""
        return getattr(obj, self.key_field)

    # -- step 4 --------------------------------------------------------------------------------
    def write(self, planned: Planned) -> None:
        """Write a chunk: inserts, updates, their history rows. Inside the chunk's transaction."""
        created = [obj for _row, obj in planned.inserts]
        changed = [obj for _row, obj, _old, _new in planned.updates]
        made = self._write_pending(planned)
        try:
            self._write_records(planned, created, changed)
        except BaseException:
            for address in made:  # rolled back: written again should the rows be retried one by one
                address.pk = None
            raise
        for obj in created + changed:
            placement = getattr(obj, "import_placement", None)
            if placement is not None and placement[1].via in self.address_counts:
                self.address_counts[placement[1].via] += 1
        self.address_counts["new_pending"] += len(made)

    def _write_pending(self, planned: Planned) -> list:
        """The chunk's new pending addresses, written before the records that live there."""
        book = getattr(self, "addresses", None)
        if book is None:
            return []
        objs = [obj for _row, obj in planned.inserts] + [u[1] for u in planned.updates]
        placed = [(obj, *obj.import_placement) for obj in objs if getattr(obj, "import_placement", None)]
        made = book.write_pending(placed)
        for _row, obj, old, new in planned.updates:
            placement = getattr(obj, "import_placement", None)
            if placement is not None and placement[1].new is not None:
                attname = placement[0]
                old.setdefault(attname, None)
                new[attname] = getattr(obj, attname)
        return made

    def _write_records(self, planned: Planned, created: list, changed: list) -> None:
        ctx = self.ctx
        for model in {type(obj) for obj in created + changed}:
            qs = model.objects.unscoped(reason=UNSCOPED_IMPORT)
            self.insert(model, [obj for obj in created if type(obj) is model])
            mine = [obj for obj in changed if type(obj) is model]
            if mine:
                for obj in mine:
                    obj.updated_at = ctx.now
                fields = [f.name for f in model._meta.concrete_fields if f.name not in ("id", "created_at")]
                qs.bulk_create(mine, update_conflicts=True, unique_fields=["id"], update_fields=fields)
        made = {"actor": ctx.actor, "source": ctx.source, "batch": ctx.batch, "created_at": ctx.now}
        history.write_history(
            [history.creation_row(obj, **made) for obj in created]
            + [
                history.history_row(obj, action=HistoryAction.UPDATE, before=old, after=new, **made)
                for _row, obj, old, new in planned.updates
            ]
        )
        self.after_write(planned)

    def insert(self, model, objs: list) -> None:
        """New records, their ids set: ``bulk_create``; on PostgreSQL, a big chunk of records
        with a unique key is copied in and their ids found by their keys."""
        if not (connection.vendor == "postgresql" and len(objs) >= COPY_FROM and model is self.model):
            model.objects.unscoped(reason=UNSCOPED_IMPORT).bulk_create(objs)
            return
        copy_in(objs)
        keys = [getattr(obj, self.key_field) for obj in objs]
        found = dict(
            model.objects.unscoped(reason=UNSCOPED_IMPORT)
            .filter(**{f"{self.key_field}__in": keys})
            .values_list(self.key_field, "id")
        )
        for obj, key in zip(objs, keys, strict=True):
            obj.id = found[key]

    def after_write(self, planned: Planned) -> None:
        """Derived state of other records to bring up to date (occupant counts …)."""
