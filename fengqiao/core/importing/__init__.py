"""The one import machinery every importer shares (territory, registry, 110 incidents).

``readers`` (CSV in UTF-8, UTF-8 with BOM or GB18030/GBK, and XLSX), ``columns`` (headers
matched to fields), ``rows`` (rows, rejected rows, chunks), ``errors`` (the spool of rejected
rows and the error file) and, here, what a whole import needs: where its files go, the error
file's check, the summary line and the audit entry. The domain apps bring their rules and their
writes; this package knows no domain.
"""

import os
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
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
    """Insert new records of one model into PostgreSQL with ``COPY``, each value made as
    ``bulk_create`` makes it (``pre_save``, ``get_db_prep_save``); their ids are not set.
    ``bulk_create`` sends a chunk as arrays that the client quotes value by value in Python: on
    a file of people that costs more than everything else the import does (docs/adr/0005)."""
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not its per-thread proxy
    quote = db.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    with db.cursor() as cursor, db.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields])
