"""The machinery every kind of import shares: rows, rejections, the look-ups a chunk needs, and
the bulk writes (one INSERT/UPDATE statement run over the whole chunk, history rows in bulk).

Per chunk an importer (one subclass per kind):

1. takes each row's key (ID number, credit code, address code …) — a bad key rejects the row,
   a key seen earlier in the file rejects it as a duplicate;
2. looks up, in a few queries for the whole chunk, the records that exist already and the
   addresses, grids and points the rows refer to;
3. validates each row with the actions' own rules (``fengqiao.registry.actions``, the validators),
   merged over the stored record when there is one, and checks that it lands in the actor's scope;
4. sorts the rows into inserted, updated and unchanged, and writes them with one executemany per
   statement and the history rows in bulk.

Steps 1–3 read only; step 4 runs inside the chunk's transaction (the runner's).
"""

import datetime as dt
import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import ForeignKey
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.importing.columns import HeaderMap, Kind
from fengqiao.core.importing.rows import RowRejected, rejected_from  # noqa: F401 - the importers' names
from fengqiao.core.scoping import path_within, scope_prefixes
from fengqiao.geo import locator
from fengqiao.geo.models import Grid
from fengqiao.registry import history
from fengqiao.registry.choices import HistoryAction
from fengqiao.registry.models import RecordHistory
from fengqiao.registry.validators import InvalidValue

UNSCOPED_IMPORT = "registry import: upsert by key across the territory; scope checked per row"

# Largest IN (...) list per query: below every backend's parameter limit.
IN_CHUNK = 900


@dataclass(slots=True)
class Row:
    """One data row: its line, its cells as read (for the error file), and the known fields that
    have a value (cells left empty mean "not given": they never erase a stored value)."""

    line: int
    cells: list[str]
    data: dict[str, str]
    key: object = None
    pre: object = None  # what the importer's preclean() made of the row (None when it has none)


@dataclass
class Planned:
    """What a chunk will write."""

    inserts: list = field(default_factory=list)  # (row, unsaved instance)
    updates: list = field(default_factory=list)  # (row, instance, before, after) of changed records
    fast: list = field(default_factory=list)  # (row, INSERT parameters) (people)
    unchanged: int = 0

    @property
    def inserted(self) -> int:
        return len(self.inserts) + len(self.fast)

    def extend(self, other: "Planned") -> None:
        self.inserts += other.inserts
        self.updates += other.updates
        self.fast += other.fast
        self.unchanged += other.unchanged

    def singles(self):
        """Each planned write on its own (to find the one row the database refuses)."""
        for item in self.inserts:
            yield item[0], Planned(inserts=[item])
        for item in self.fast:
            yield item[0], Planned(fast=[item])
        for item in self.updates:
            yield item[0], Planned(updates=[item])


def row_data(header: HeaderMap, cells: list[str]) -> dict[str, str]:
    """A row's known fields that have a value, from its cells."""
    return {name: cells[i] for name, i in header.positions.items() if cells[i]}


class Context:
    """What every chunk of one import needs: the actor and their scope, the clock, the grids."""

    def __init__(self, *, actor, batch, source: str):
        self.actor = actor
        self.batch = batch
        self.source = source
        self.prefixes = scope_prefixes(actor)
        self.now = timezone.now()
        self.today = timezone.localdate()
        grids = Grid.objects.unscoped(reason=UNSCOPED_IMPORT).values_list(
            "id", "code", "scope_path", "community_id", "is_active"
        )
        self.grid_path: dict[int, str] = {}
        self.grid_community: dict[int, int] = {}
        self.grid_by_code: dict[str, int] = {}
        self.active_grids: set[int] = set()
        self._grid_allowed: dict[int, bool] = {}
        for pk, code, path, community_id, active in grids:
            self.grid_path[pk] = path
            self.grid_community[pk] = community_id
            self.grid_by_code[code] = pk
            if active:
                self.active_grids.add(pk)

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
        return locator.check_lon_lat(lon, lat)
    except ValueError as exc:
        raise RowRejected("lon", str(exc)) from None


def locate_points(rows: list[Row], points: dict[int, tuple[float, float]]) -> dict[int, int]:
    """Grid ids of the rows' points (index → grid id), placed in one call of the locator;
    points outside every grid are left out."""
    if not points:
        return {}
    order = list(points)
    found = locator.locate_many([points[i][0] for i in order], [points[i][1] for i in order])
    return {i: int(g) for i, g in zip(order, found, strict=True) if g != locator.OUTSIDE}


def draft(model, values: dict):
    """A model instance made from stored or default values without running ``__init__`` (which
    costs more than validating the row); it behaves like any instance of the model."""
    obj = model.__new__(model)
    obj.__dict__.update(values)
    obj._state = ModelState()
    obj._state.adding = "id" not in values or values["id"] is None
    obj._state.db = None if obj._state.adding else "default"
    return obj


class Importer:
    """One kind of import. Subclasses give the model, the key and the rules of a row."""

    kind: Kind
    model = None
    key_field = ""  # the model field that identifies a record (unique)
    # Whether preclean() is worth running in a worker process next to the writing one.
    parallel = False
    # The unique column new records are found again by (None: no single one).
    insert_key: str | None = None
    # Model fields a row may set (attnames); the rest keep their stored or default values.
    fields: tuple[str, ...] = ()

    def __init__(self, ctx: Context, header: HeaderMap):
        self.ctx = ctx
        self.header = header
        meta = self.model._meta
        self.concrete = [f for f in meta.concrete_fields if f.attname != "id"]
        self.defaults = {}
        for f in meta.concrete_fields:
            self.defaults[f.attname] = None if f.attname == "id" else f.get_default()
        self.defaults.update(
            {"created_at": ctx.now, "updated_at": ctx.now, "collected_by_id": ctx.actor.pk}
            if "collected_by_id" in self.defaults
            else {"created_at": ctx.now, "updated_at": ctx.now}
        )
        if "collected_at" in self.defaults:
            self.defaults["collected_at"] = ctx.today
        self.compared = [a for a in self.attnames() if a not in history.IGNORED_FIELDS]
        self._max_length = {
            f.attname: f.max_length
            for f in meta.concrete_fields
            if getattr(f, "max_length", None) and not isinstance(f, ForeignKey)
        }
        self._writer = Writer(self.model, self.concrete)
        self._history = CreationHistory(ctx)

    def attnames(self) -> list[str]:
        return [f.attname for f in self.concrete]

    # -- step 0 -------------------------------------------------------------------------------
    def before_worker(self) -> None:
        """What to look up before a worker process is forked to run ``preclean``."""

    def preclean(self, rows: list[Row]) -> None:
        """Work on a chunk's rows that needs no database (so it can run in a worker process,
        which also reads the file): it sets each ``row.pre``."""

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
        """Stored records by key: key → dict of attnames. The keys are probed with plain SQL
        first (in a new file most are not on record); only the records found are loaded."""
        found = {}
        qs = self.model.objects.unscoped(reason=UNSCOPED_IMPORT)
        names = ["id", *self.attnames()]
        keys = probe(self.model, self.key_field, [k for k in keys if k is not None])
        for i in range(0, len(keys), IN_CHUNK):
            for values in qs.filter(**{f"{self.key_field}__in": keys[i : i + IN_CHUNK]}).values(*names):
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
            old = {name: before[name] for name in self.compared}
            new = {name: getattr(obj, name) for name in self.compared}
            old, new = history.changes(history_json(old), history_json(new))
            if not old and not new:
                planned.unchanged += 1
            else:
                planned.updates.append((row, obj, old, new))
        return planned

    def replan(self, planned: Planned, reject) -> Planned | None:
        """A careful plan for the rows of ``planned``, which the database refused, when their plan
        took a short cut; None when it took none (the rows are then written one by one)."""
        return None

    def identity(self, obj):
        """What makes a new record unique (its key field's value)."""
        return getattr(obj, self.key_field)

    # -- step 4 --------------------------------------------------------------------------------
    def write(self, planned: Planned) -> None:
        """Write a chunk: inserts, updates, their history rows. Inside the chunk's transaction."""
        ctx = self.ctx
        inserts = [obj for _row, obj in planned.inserts]
        if inserts:
            ids = self._writer.insert(inserts, key=self.insert_key)
            for obj, pk in zip(inserts, ids if ids is not None else self.ids_of(inserts), strict=True):
                obj.id = pk
                obj._state.adding = False
        updates = [obj for _row, obj, _old, _new in planned.updates]
        if updates:
            for obj in updates:
                obj.updated_at = ctx.now
            self._writer.update(updates)
        self._history.write(inserts, self.compared)
        rows = []
        rows += [
            history.history_row(
                obj,
                action=HistoryAction.UPDATE,
                before=old,
                after=new,
                actor=ctx.actor,
                source=ctx.source,
                batch=ctx.batch,
                created_at=ctx.now,
            )
            for _row, obj, old, new in planned.updates
        ]
        history.write_history(rows)
        self.after_write(planned)

    def after_write(self, planned: Planned) -> None:
        """Derived state of other records to bring up to date (occupant counts …)."""

    def ids_of(self, objs: list) -> list[int]:
        """The primary keys of just-inserted records, found again by their key field."""
        keys = [getattr(obj, self.key_field) for obj in objs]
        qs = self.model.objects.unscoped(reason=UNSCOPED_IMPORT)
        found = {}
        for i in range(0, len(keys), IN_CHUNK):
            found.update(
                qs.filter(**{f"{self.key_field}__in": keys[i : i + IN_CHUNK]}).values_list(
                    self.key_field, "id"
                )
            )
        return [found[k] for k in keys]


def probe(model, field_name: str, keys: list) -> list:
    """Which of ``keys`` are stored in ``model``'s unique column ``field_name`` (plain SQL: for
    a file of new records this runs once per row and finds nothing)."""
    quote = connection.ops.quote_name
    column = quote(model._meta.get_field(field_name).column)
    table = quote(model._meta.db_table)
    found = []
    keys = sorted(keys)  # in index order the look-ups touch neighbouring pages
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one array parameter, however many keys
            cursor.execute(f"SELECT {column} FROM {table} WHERE {column} = ANY(%s)", [keys])
            return [r[0] for r in cursor.fetchall()]
        for i in range(0, len(keys), IN_CHUNK):
            part = keys[i : i + IN_CHUNK]
            cursor.execute(
                f"SELECT {column} FROM {table} WHERE {column} IN ({', '.join(['%s'] * len(part))})", part
            )
            found.extend(r[0] for r in cursor.fetchall())
    return found


def history_json(values: dict) -> dict:
    """Values as they read back from a JSON column (as ``audit.to_json`` gives them), so stored
    and new values compare alike."""
    out = {}
    for k, v in values.items():
        if isinstance(v, dt.datetime):
            out[k] = audit.to_json(v)
        elif isinstance(v, dt.date):
            out[k] = v.isoformat()
        elif v is not None and not isinstance(v, str | int | float | bool):
            out[k] = str(v)
        else:
            out[k] = v
    return out


def creation_values(obj, names) -> dict:
    """A creation's history: the fields that have a value (as ``history.record_change`` keeps)."""
    return {name: getattr(obj, name) for name in names if getattr(obj, name) not in (None, "", False)}


class Writer:
    """INSERT and UPDATE statements for one model's columns, run with executemany over a chunk."""

    def __init__(self, model, fields):
        self.model = model
        self.fields = list(fields)
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        columns = [quote(f.column) for f in self.fields]
        self.insert_sql = "INSERT INTO {} ({}) VALUES ({})".format(
            table, ", ".join(columns), ", ".join(["%s"] * len(columns))
        )
        self.update_fields = [f for f in self.fields if f.attname != "created_at"]
        self.update_sql = "UPDATE {} SET {} WHERE {} = %s".format(
            table,
            ", ".join(f"{quote(f.column)} = %s" for f in self.update_fields),
            quote(model._meta.pk.column),
        )
        self._insert = self._plan(self.fields)
        self._update = self._plan(self.update_fields)

    def _plan(self, fields):
        names = [f.attname for f in fields]
        preps = [(i, p) for i, p in enumerate(self._preparer(f) for f in fields) if p is not None]
        return names, preps

    @staticmethod
    def _preparer(f):
        """A function turning a value into its database form, None when the value goes as it is."""
        internal = f.get_internal_type()
        ops = connection.ops
        if internal == "DateTimeField":
            return ops.adapt_datetimefield_value
        if internal == "DateField":
            return ops.adapt_datefield_value
        if internal == "DecimalField":
            return lambda v: ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places)
        if internal == "JSONField":
            return lambda v: f.get_db_prep_save(v, connection)
        return None

    @staticmethod
    def _values(values: dict, plan) -> list:
        names, preps = plan
        out = [values[name] for name in names]
        for i, prep in preps:
            if out[i] is not None:
                out[i] = prep(out[i])
        return out

    def insert(self, objs, key: str | None = None) -> list[int] | None:
        """Insert model instances (or plain dicts of attnames); their new ids, in order."""
        return self.insert_params(
            [self._values(o if isinstance(o, dict) else o.__dict__, self._insert) for o in objs], key=key
        )

    def insert_params(self, params: list, key: str | None = None) -> list[int] | None:
        """Run the INSERT over prepared parameter rows (in ``self._insert`` order) and return the
        new ids in order, where they can be known:

        - SQLite: one executemany; under the write lock its rowids are consecutive (AUTOINCREMENT
          never reuses one);
        - PostgreSQL: COPY (the bulk path the server is built for), then the ids looked up by the
          unique column ``key`` in one query; without a key, a multi-row INSERT … RETURNING.

        None otherwise (the caller finds them by its key)."""
        if not params:
            return []
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                if key is None:
                    return self._insert_values(cursor, params)
                return self._copy(cursor, params, key)
            cursor.executemany(self.insert_sql, params)
            if connection.vendor == "sqlite":
                cursor.execute("SELECT last_insert_rowid()")
                (last,) = cursor.fetchone()
                return list(range(last - len(params) + 1, last + 1))
        return None

    # PostgreSQL takes at most 65535 parameters per statement.
    PG_MAX_PARAMS = 60000

    def _insert_values(self, cursor, params: list) -> list[int]:
        """Multi-row ``INSERT … VALUES (…), (…) RETURNING id`` (what bulk_create does on
        PostgreSQL: the ids come back in the order of the rows)."""
        width = len(params[0])
        per_statement = max(1, self.PG_MAX_PARAMS // width)
        row_sql = "(" + ", ".join(["%s"] * width) + ")"
        head = self.insert_sql.split(" VALUES ", 1)[0]
        pk = connection.ops.quote_name(self.model._meta.pk.column)
        ids: list[int] = []
        for i in range(0, len(params), per_statement):
            part = params[i : i + per_statement]
            sql = f"{head} VALUES {', '.join([row_sql] * len(part))} RETURNING {pk}"
            cursor.execute(sql, [value for row in part for value in row])
            ids.extend(r[0] for r in cursor.fetchall())
        return ids

    def insert_rows(self, params: list) -> None:
        """Insert prepared parameter rows whose ids nobody needs (COPY on PostgreSQL)."""
        if not params:
            return
        if connection.vendor != "postgresql":
            self.insert_params(params)
            return
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        with connection.cursor() as cursor:
            self._copy_rows(cursor, f"COPY {quote(self.model._meta.db_table)} ({columns}) FROM STDIN", params)

    @staticmethod
    def _copy_rows(cursor, sql: str, params: list) -> None:
        # psycopg's own copy object: its errors are made Django's, as the cursor's are, so that a
        # refused row is an IntegrityError to the importer
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in params:
                copy.write_row(row)

    def _copy(self, cursor, params: list, key: str) -> list[int]:
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        columns = ", ".join(quote(f.column) for f in self.fields)
        self._copy_rows(cursor, f"COPY {table} ({columns}) FROM STDIN", params)
        at = self._insert[0].index(key)
        keys = [row[at] for row in params]
        column = quote(self.model._meta.get_field(key).column)
        pk = quote(self.model._meta.pk.column)
        cursor.execute(f"SELECT {column}, {pk} FROM {table} WHERE {column} = ANY(%s)", [keys])
        found = dict(cursor.fetchall())
        return [found[k] for k in keys]

    def update(self, objs) -> None:
        params = [[*self._values(obj.__dict__, self._update), obj.pk] for obj in objs]
        with connection.cursor() as cursor:
            cursor.executemany(self.update_sql, params)


class CreationHistory:
    """The history rows of newly created records, written with one executemany.

    They are the rows ``history.history_row`` makes for a creation (the fields that have a value,
    as JSON) with version 1 — a new record has no earlier version — without the per-value work of
    ``bulk_create``, which would cost more than everything else the import does per row. Updates
    go through ``history.write_history``, which numbers their versions."""

    def __init__(self, ctx):
        self.ctx = ctx
        fields = [f for f in RecordHistory._meta.concrete_fields if f.attname != "id"]
        self.writer = Writer(RecordHistory, fields)
        self.names = [f.attname for f in fields]
        self._templates: dict = {}

    def _template(self, model) -> list:
        if model not in self._templates:
            ctx = self.ctx
            common = {
                "record_kind": history.KIND_OF_MODEL[model],
                "record_model": model._meta.model_name,
                "record_id": None,
                "version": 1,
                "action": HistoryAction.CREATE,
                "actor_id": ctx.actor.pk,
                "source": ctx.source,
                "before": "{}",
                "after": None,
                "reason": "",
                "batch_id": ctx.batch.pk,
                "created_at": connection.ops.adapt_datetimefield_value(ctx.now),
            }
            self._templates[model] = [common[name] for name in self.names]
        return self._templates[model]

    def write(self, objs, names) -> None:
        if objs:
            self.write_after([(obj.pk, creation_values(obj, names)) for obj in objs], type(objs[0]))

    def write_after(self, items, model) -> None:
        """Creation history rows from ``(record id, values)`` pairs of one model."""
        self.write_json([(pk, json_text(history_json(after))) for pk, after in items], model)

    def write_selected(self, model, names: list[str], where: str, params: list) -> None:
        """Creation history rows of the records of ``model`` that ``where`` selects, made by the
        database from the stored rows: their ``names`` fields that have a value, as JSON (what
        ``history.record_change`` keeps). Text, date, integer and foreign-key fields."""
        quote = connection.ops.quote_name
        postgres = connection.vendor == "postgresql"
        pairs = []
        for name in names:
            f = model._meta.get_field(name)
            column = quote(f.column)
            internal = f.get_internal_type()
            if internal in ("CharField", "TextField", "SlugField", "EmailField"):
                value = f"NULLIF({column}, '')"  # empty text is no value
            elif internal in ("DateField", "ForeignKey", "IntegerField", "BigIntegerField", "AutoField"):
                value = column
            else:
                raise ValueError(f"{model.__name__}.{name}: {internal} has no JSON form here")
            pairs.append(f"'{f.attname}', {value}")
        if postgres:
            after = f"jsonb_strip_nulls(jsonb_build_object({', '.join(pairs)}))"
        else:
            # a merge patch into {} leaves out the keys whose value is null
            after = f"json_patch('{{}}', json_object({', '.join(pairs)}))"
        template = self._template(model)
        values, constants = [], []
        for name, value in zip(self.names, template, strict=True):
            if name == "record_id":
                values.append(quote(model._meta.pk.column))
            elif name == "after":
                values.append(after)
            else:
                field_type = RecordHistory._meta.get_field(name).get_internal_type()
                values.append("CAST(%s AS jsonb)" if postgres and field_type == "JSONField" else "%s")
                constants.append(value)
        columns = ", ".join(quote(RecordHistory._meta.get_field(n).column) for n in self.names)
        sql = (
            f"INSERT INTO {quote(RecordHistory._meta.db_table)} ({columns}) "
            f"SELECT {', '.join(values)} FROM {quote(model._meta.db_table)} WHERE {where} "
            f"ORDER BY {quote(model._meta.pk.column)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*constants, *params])

    def write_json(self, items, model) -> None:
        """Creation history rows from ``(record id, JSON text of the values)`` pairs."""
        if not items:
            return
        template = self._template(model)
        at_id, at_after = self.names.index("record_id"), self.names.index("after")
        params = []
        for pk, after in items:
            row = template.copy()
            row[at_id] = pk
            row[at_after] = after
            params.append(row)
        self.writer.insert_rows(params)


# One encoder for every row (json.dumps with options makes a new one per call).
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def json_text(values: dict) -> str:
    """JSON for a JSON column, as text (both backends take text for it)."""
    return _JSON.encode(values)
