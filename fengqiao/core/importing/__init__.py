"""The one import machinery every importer shares (territory, registry, 110 incidents).

``readers`` (CSV in UTF-8, UTF-8 with BOM or GB18030/GBK, and XLSX), ``columns`` (headers
matched to fields), ``rows`` (rows, rejected rows, chunks), ``errors`` (the spool of rejected
rows and the error file) and, here, what a whole import needs: where its files go, the error
file's check, the summary line and the audit entry. The domain apps bring their rules and their
writes; this package knows no domain.
"""

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit


class ImportFileError(ValueError):
    """The file as a whole cannot be read or parsed; nothing was imported."""


def imports_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_writable(path: Path) -> None:
    """ImportFileError, before anything is imported, when the error file could not be written."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if (
        not directory.is_dir()
        or not os.access(directory, os.W_OK)
        or (path.exists() and not (path.is_file() and os.access(path, os.W_OK)))
    ):
        raise ImportFileError(_("the error file %(path)s cannot be written") % {"path": path})


def summary(file: str, encoding: str, counts: dict, *, before: str = "") -> str:
    """The import's one-line summary. ``before`` is the importer's sentence saying the same file
    was imported already (which batch, when); it is shown when the import changed nothing."""
    text = _(
        "%(file)s (%(encoding)s): %(read)d read, %(inserted)d inserted, %(updated)d updated, "
        "%(unchanged)d unchanged, %(rejected)d rejected"
    ) % {"file": file, "encoding": encoding, **counts}
    if not counts["inserted"] and not counts.get("updated") and counts["unchanged"]:
        text += " — " + (before or _("nothing changed: every record is on file already"))
    return text


def when(moment) -> str:
    """A moment as the summaries show it."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def record_import(source, counts: dict, *, actor, kind: str, obj=None, **audit_fields) -> None:
    """The import's audit entry: its counts and the file's SHA-256, format and encoding.
    ``source`` is a ``readers.SourceFile``."""
    extra = audit_fields.pop("after", {})
    audit.record(
        audit.IMPORT,
        obj,
        actor=actor,
        after={
            **counts,
            "sha256": source.sha256,
            "file": source.name,
            "kind": kind,
            "format": source.format,
            "encoding": source.encoding_label,
            **extra,
        },
        **audit_fields,
    )


def copy_in(objs: list) -> None:
    """Insert new records of one model, each value made as ``bulk_create`` makes it (``pre_save``,
    ``get_db_prep_save``): with ``COPY`` on PostgreSQL, one ``executemany`` on SQLite. Records
    that carry their primary key keep it (the caller numbered them: :func:`bulk_load` moves the
    sequences past them at the end); otherwise their ids are not set. (A str, int, float or bool
    in one of Django's plain fields goes as it is: that is what its preparation makes of it.)
    ``bulk_create`` sends a chunk as arrays that the client quotes value by value in Python on
    PostgreSQL, and as statements of at most 999 parameters on SQLite: on a file of people that
    costs more than everything else the import does (docs/adr/0005)."""
    if not objs:
        return
    model = type(objs[0])
    keep_pk = objs[0].pk is not None
    fields = [f for f in model._meta.concrete_fields if keep_pk or not f.primary_key]
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not its per-thread proxy
    quote = db.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    as_is = [_passed_as_is(f) for f in fields]
    # Every value is made before the COPY opens: a field's preparation may read the database (an
    # encrypted field's first use looks for values written under another key), and a connection
    # in the middle of a COPY waits for its data and answers nothing else: it would wait forever.
    rows: list[list[Any]] = [
        [
            value
            if plain is not None and ((value := getattr(obj, f.attname)) is None or type(value) is plain)
            else f.get_db_prep_save(f.pre_save(obj, True), db)
            for f, plain in zip(fields, as_is, strict=True)
        ]
        for obj in objs
    ]
    with db.cursor() as cursor, db.wrap_database_errors:
        if db.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


# Django's own plain fields, and the one type of value their preparation gives back unchanged
# (``get_db_prep_save`` of a str in a CharField is that str). Exact classes only: a subclass (an
# encrypted field, say) may prepare its values otherwise, and goes the whole way.
_AS_IS: dict[type, type] = {
    **dict.fromkeys((models.CharField, models.TextField), str),
    **dict.fromkeys(
        (
            models.AutoField,
            models.BigAutoField,
            models.IntegerField,
            models.BigIntegerField,
            models.SmallIntegerField,
            models.PositiveIntegerField,
            models.PositiveSmallIntegerField,
            models.PositiveBigIntegerField,
        ),
        int,
    ),
    models.BooleanField: bool,
    models.FloatField: float,
}


def _passed_as_is(field) -> type | None:
    """The type of value ``field`` stores as it is (a foreign key: its target's), else None."""
    if type(field) in (models.ForeignKey, models.OneToOneField):
        field = field.target_field
    return _AS_IS.get(type(field))


def secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes of ``table`` that back no constraint."""
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL ORDER BY name",
                [table],
            )
        else:
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() AND i.tablename = %s "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = "
                "(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass) "
                "ORDER BY i.indexname",
                [table],
            )
        return list(cursor.fetchall())


def _foreign_keys(cursor, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        [connections[DEFAULT_DB_ALIAS].ops.quote_name(table)],
    )
    return list(cursor.fetchall())


@contextlib.contextmanager
def bulk_load(models: Iterable[type[Model]], *, defer_indexes: bool = False) -> Iterator[None]:
    """One big load into the tables of ``models`` (inside the caller's transaction), tidied up
    at the end: the primary-key sequences moved past the ids the rows brought (:func:`copy_in`
    keeps them) and fresh statistics for the planner (without them PostgreSQL takes a table it
    has just filled with a million rows for empty and joins it in nested loops).

    ``defer_indexes``, for tables being filled from empty: their secondary indexes are dropped
    first and built once at the end, from all the rows at once, instead of kept in order through
    every insert; indexes that back a constraint (primary keys, ``unique`` columns) stay. On
    PostgreSQL their foreign keys are likewise dropped and added back, which checks every row in
    one join per key instead of one trigger call per row and key (as pg_restore does). Both
    databases change their schema inside the transaction: a failure leaves every index and key
    where it was. Figures in docs/adr/0005."""
    models = list(models)
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    postgres = db.vendor == "postgresql"
    indexes: list[tuple[str, str]] = []
    keys: list[tuple[str, str, str]] = []  # (table, name, definition)

    def run_pending_checks(cursor) -> None:
        # PostgreSQL alters no table and builds no index while the transaction's foreign-key
        # checks are pending: run them now, then defer again as Django declares them.
        if postgres:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    if defer_indexes:
        with db.cursor() as cursor:
            run_pending_checks(cursor)
            for model in models:
                table = model._meta.db_table
                for name, definition in _foreign_keys(cursor, table) if postgres else []:
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                    keys.append((table, name, definition))
                for name, sql in secondary_indexes(table):
                    cursor.execute(f"DROP INDEX {quote(name)}")
                    indexes.append((name, sql))
    yield
    with db.cursor() as cursor:
        if indexes or keys:
            run_pending_checks(cursor)
        for _name, sql in indexes:
            cursor.execute(sql)
        for table, name, definition in keys:  # as they were: DEFERRABLE INITIALLY DEFERRED
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
        for sql in db.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
        for model in models:
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")
