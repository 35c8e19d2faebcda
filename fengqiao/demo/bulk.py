"""Writing generated rows fast: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

The demo generator makes hundreds of thousands of rows that need no validation (it made them
valid), so they skip model instances and ``save()``: each row is a dict keyed by field attname
(``grid_id``, not ``grid``), turned into a tuple in column order and written in large batches.
Fields a row leaves out get their model default (``auto_now``/``auto_now_add`` get one shared
"now"); a key that names no field is an error, so a renamed field cannot be dropped silently.
Primary keys come with the rows; :meth:`BulkWriter.finish` moves PostgreSQL's sequences past them.

Loading into empty tables, the writer can drop the tables' secondary indexes first and build them
again at the end (``defer_indexes``): building an index once from sorted data is much cheaper than
keeping a dozen B-trees in order through hundreds of thousands of random inserts. Indexes that back
a table constraint (primary keys, ``unique=True`` columns) stay; conditional unique indexes go and
come back, so they are checked once, when built again. On PostgreSQL the tables' foreign keys
are likewise dropped and added back at the end, which checks every row in one join per key instead
of one trigger call per row and key (as pg_restore does). Both databases change their schema
inside the transaction, so a failure leaves every index and constraint where it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from operator import itemgetter

from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone


class BulkWriteError(ValueError):
    """A generated row does not fit its table."""


class _Table:
    def __init__(self, model: type[models.Model], now: dt.datetime):
        self.model = model
        fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in fields]
        self.allowed = frozenset(self.attnames)
        self.defaults = {}
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                default = now
            elif f.primary_key:
                continue
            else:
                default = f.get_default()
            # adapted once here, not once per row
            self.defaults[f.attname] = (
                f.get_db_prep_save(default, connection) if default is not None else None
            )
        # Values the drivers cannot take as they are: JSON to dump, aware datetimes to adapt.
        # (Dates, decimals, booleans and strings go to both drivers unchanged.)
        self.preps = [
            (i, f) for i, f in enumerate(fields) if isinstance(f, models.JSONField | models.DateTimeField)
        ]
        self.getter = itemgetter(*self.attnames)
        self.columns = [f.column for f in fields]
        self.rows: list[tuple] = []

    def add(self, rows: list[dict]) -> None:
        allowed, defaults, getter = self.allowed, self.defaults, self.getter
        out = self.rows
        preps = self.preps
        for row in rows:
            if not row.keys() <= allowed:
                unknown = sorted(set(row) - allowed)
                raise BulkWriteError(f"{self.model._meta.label} has no field {', '.join(unknown)}")
            values = getter({**defaults, **row})
            # only values the row gave (the defaults are adapted already)
            given = [(i, f) for i, f in preps if row.get(f.attname) is not None] if preps else None
            if given:
                values = list(values)
                for i, f in given:
                    values[i] = f.get_db_prep_save(values[i], connection)
                values = tuple(values)
            out.append(values)

    def flush(self) -> int:
        rows, self.rows = self.rows, []
        if not rows:
            return 0
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        return len(rows)


def secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes of ``table`` that back no constraint."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL ORDER BY name",
                [table],
            )
            return list(cursor.fetchall())
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() AND i.tablename = %s "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = "
                "(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass) "
                "ORDER BY i.indexname",
                [table],
            )
            return list(cursor.fetchall())
    return []


def foreign_keys(table: str) -> list[tuple[str, str]]:
    """(name, definition) of the foreign keys declared on ``table`` (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [connection.ops.quote_name(table)],
        )
        return list(cursor.fetchall())


def run_pending_checks(cursor) -> None:
    """PostgreSQL alters no table and builds no index while foreign-key checks of the transaction
    are pending: run them now, then defer again as Django's constraints are."""
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class BulkWriter:
    """Buffers rows per model and writes them in the order the models were given (so foreign
    keys point at rows already written), a batch at a time."""

    def __init__(
        self,
        models_by_key: dict[str, type[models.Model]],
        *,
        batch_size: int = 50_000,
        defer_indexes: bool = False,
    ):
        now = timezone.now()
        self.tables = {key: _Table(model, now) for key, model in models_by_key.items()}
        self.batch_size = batch_size
        self.written = dict.fromkeys(models_by_key, 0)
        self.dropped: list[tuple[str, str]] = []  # indexes: (name, CREATE statement)
        self.dropped_keys: list[tuple[str, str, str]] = []  # foreign keys: (table, name, definition)
        if defer_indexes:
            self._set_aside()

    def _set_aside(self) -> None:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            run_pending_checks(cursor)
            for table in self.tables.values():
                db_table = table.model._meta.db_table
                for name, definition in foreign_keys(db_table):
                    cursor.execute(f"ALTER TABLE {quote(db_table)} DROP CONSTRAINT {quote(name)}")
                    self.dropped_keys.append((db_table, name, definition))
                for name, sql in secondary_indexes(db_table):
                    cursor.execute(f"DROP INDEX {quote(name)}")
                    self.dropped.append((name, sql))

    def add(self, key: str, rows: list[dict]) -> None:
        self.tables[key].add(rows)

    def pending(self) -> int:
        return max(len(t.rows) for t in self.tables.values())

    def maybe_flush(self) -> None:
        if self.pending() >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        for key, table in self.tables.items():
            self.written[key] += table.flush()

    def finish(self) -> dict[str, int]:
        """Write what is left, build the set-aside indexes and keys again, move the primary-key
        sequences past the rows written and gather the tables' statistics."""
        self.flush()
        statements = connection.ops.sequence_reset_sql(no_style(), [t.model for t in self.tables.values()])
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if self.dropped or self.dropped_keys:
                run_pending_checks(cursor)
            for _name, sql in self.dropped:
                cursor.execute(sql)
            # Added back as they were (DEFERRABLE INITIALLY DEFERRED, as Django declares them),
            # each checked against every row at once.
            for db_table, name, definition in self.dropped_keys:
                cursor.execute(f"ALTER TABLE {quote(db_table)} ADD CONSTRAINT {quote(name)} {definition}")
            for sql in statements:
                cursor.execute(sql)
            # Fresh statistics for the planner: without them PostgreSQL takes a table it has just
            # filled with a million rows for empty and joins it in nested loops.
            for table in self.tables.values():
                cursor.execute(f"ANALYZE {quote(table.model._meta.db_table)}")
        self.dropped, self.dropped_keys = [], []
        return dict(self.written)


@contextlib.contextmanager
def bulk_load(cache_mib: int = 256):
    """Settings for one big load on this connection, put back afterwards: on SQLite a page cache
    of ``cache_mib`` MiB (the default 2 MiB thrashes on tables of a million rows). And no cyclic
    garbage collection meanwhile: the rows are plain dicts and tuples without cycles, and a full
    collection walks every live object again and again as they pile up."""
    old_cache = None
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            old_cache = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = {-int(cache_mib) * 1024}")
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
        if old_cache is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(old_cache)}")
