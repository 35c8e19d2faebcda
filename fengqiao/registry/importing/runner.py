"""The import: a file streamed in chunks, each chunk validated and written in one transaction
together with the batch's checkpoint, so a killed import leaves only whole chunks behind and a
re-run of the same file (same SHA-256) carries on after the last one.

    batch = run_import("people", "people.csv", actor=user)
    batch.counts()  # {"read": …, "inserted": …, "updated": …, "unchanged": …, "rejected": …}

A bad row never stops the import: it is reported with its line, column and reason in an error file
of the input's format. Only a file that cannot be read at all (ImportFileError) stops it, before
anything is written. The import is one audit entry (``import``) with the file's SHA-256, written
when it completes.
"""

import datetime as dt
import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.context import Source
from fengqiao.env import env_bool
from fengqiao.geo.actions import ImportFileError
from fengqiao.registry.choices import ImportStatus
from fengqiao.registry.importing import readers
from fengqiao.registry.importing.base import Context, Planned, Row, RowRejected
from fengqiao.registry.importing.columns import kind_named, match_header
from fengqiao.registry.importing.errors import Rejection, Spool, error_file_suffix, write_error_file
from fengqiao.registry.models import ImportBatch
from fengqiao.registry.selectors import may_collect

CHUNK_SIZE = 20000
UNFINISHED = (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.FAILED)


class ImportInterrupted(RuntimeError):
    """Another run of the same batch moved its checkpoint: this one stops, writing nothing more."""


def importer_class(kind_name: str):
    from fengqiao.registry.importing.organisations import OrganisationsImporter
    from fengqiao.registry.importing.people import PeopleImporter
    from fengqiao.registry.importing.places import AddressesImporter, HousesImporter
    from fengqiao.registry.importing.relations import RelationsImporter

    return {
        "addresses": AddressesImporter,
        "people": PeopleImporter,
        "houses": HousesImporter,
        "organisations": OrganisationsImporter,
        "relations": RelationsImporter,
    }[kind_name]


def imports_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _count_lines(source: readers.SourceFile) -> int:
    """Roughly how many data rows the file has (for the progress bar), without parsing it."""
    if source.format == readers.XLSX:
        try:
            import python_calamine

            book = python_calamine.CalamineWorkbook.from_path(str(source.path))
            try:
                return max(book.get_sheet_by_index(0).height - 1, 0)
            finally:
                book.close()
        except Exception:  # the table reader reports unreadable workbooks properly
            return 0
    lines = 0
    last = b""
    with source.path.open("rb") as fh:
        while block := fh.read(1 << 20):
            lines += block.count(b"\n")
            last = block
    if last and not last.endswith(b"\n"):
        lines += 1
    return max(lines - 1, 0)


def _check_writable(path: Path) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if (
        not directory.is_dir()
        or not os.access(directory, os.W_OK)
        or (path.exists() and not os.access(path, os.W_OK))
    ):
        raise ImportFileError(_("the error file %(path)s cannot be written") % {"path": path})


@dataclass
class _Chunk:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


def queue_upload(kind_name: str, path, *, actor, file_name: str) -> ImportBatch:
    """A queued batch for an uploaded file, to be run by the worker (``tasks.run_import_batch``).
    Uploading the same file again while its import is unfinished gives that batch back, so the
    worker resumes it. ImportFileError when the file cannot be read at all."""
    kind = kind_named(kind_name)
    if not may_collect(actor):
        raise PermissionDenied(_("You may not change the registry."))
    source = readers.inspect_file(path, name=file_name)
    with readers.open_table(source) as table:
        match_header(kind, table.header, file_name=source.name)
    with transaction.atomic():
        batch = (
            ImportBatch.objects.select_for_update()
            .filter(kind=kind.record_kind, file_sha256=source.sha256, status__in=UNFINISHED, actor=actor)
            .order_by("-id")
            .first()
        )
        options = {"path": str(Path(path)), "kind": kind.name, "total": _count_lines(source)}
        if batch is not None:
            running = batch.status == ImportStatus.RUNNING and not _stale(batch)
            if batch.status == ImportStatus.QUEUED or running:
                return batch  # on its way: the page shows its progress
            batch.options = {**batch.options, **options}
            batch.status = ImportStatus.QUEUED
            batch.message = ""
            batch.save(update_fields=["options", "status", "message"])
            return batch
        return ImportBatch.objects.create(
            kind=kind.record_kind,
            file_name=source.name[:255],
            file_sha256=source.sha256,
            file_format=source.format,
            encoding=source.encoding,
            status=ImportStatus.QUEUED,
            actor=actor,
            options=options,
        )


# A running batch whose checkpoint has not moved for this long has lost its process.
STALE_AFTER = dt.timedelta(minutes=10)


def _stale(batch: ImportBatch) -> bool:
    beat = batch.options.get("heartbeat")
    if not beat:
        return True
    return timezone.now() - dt.datetime.fromisoformat(beat) > STALE_AFTER


def _claim(kind, source, *, actor, batch: ImportBatch | None, total: int) -> ImportBatch:
    """The batch this run works on: the given one, an unfinished one of the same file (resumed),
    or a new one."""
    now = timezone.now()
    with transaction.atomic():
        if batch is None:
            candidates = (
                ImportBatch.objects.select_for_update()
                .filter(kind=kind.record_kind, file_sha256=source.sha256, status__in=UNFINISHED)
                .order_by("-id")
            )
            for candidate in candidates:
                if candidate.actor_id == actor.pk:
                    batch = candidate
                    break
                if candidate.status != ImportStatus.FAILED:
                    raise ImportFileError(
                        _("%(file)s is being imported by %(user)s (batch %(id)d)")
                        % {"file": source.name, "user": candidate.actor, "id": candidate.pk}
                    )
        else:
            batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch is None:
            try:
                with transaction.atomic():
                    return ImportBatch.objects.create(
                        kind=kind.record_kind,
                        file_name=source.name[:255],
                        file_sha256=source.sha256,
                        file_format=source.format,
                        encoding=source.encoding,
                        status=ImportStatus.RUNNING,
                        actor=actor,
                        started_at=now,
                        options={"kind": kind.name, "total": total},
                    )
            except IntegrityError:
                raise ImportFileError(
                    _("%(file)s is being imported already") % {"file": source.name}
                ) from None
        batch.status = ImportStatus.RUNNING
        batch.started_at = batch.started_at or now
        batch.file_format = source.format
        batch.encoding = source.encoding
        batch.message = ""
        batch.options = {**batch.options, "kind": kind.name, "total": total}
        batch.save(update_fields=["status", "started_at", "file_format", "encoding", "message", "options"])
        return batch


def run_import(
    kind_name: str,
    path,
    *,
    actor,
    errors_path=None,
    file_name: str | None = None,
    batch: ImportBatch | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> ImportBatch:
    """Import a file of ``kind_name`` records (addresses, people, houses, organisations,
    relations) as ``actor``. Returns the finished batch with its counts. Raises ImportFileError
    (nothing written) when the file cannot be read, PermissionDenied when the actor may not
    collect registry records."""
    kind = kind_named(kind_name)
    if not may_collect(actor):
        _fail(batch, _("You may not change the registry."))
        raise PermissionDenied(_("You may not change the registry."))
    try:
        source = readers.inspect_file(path, name=file_name)
        table = readers.open_table(source)
    except ImportFileError as exc:
        _fail(batch, str(exc))
        raise
    with table:
        try:
            header = match_header(kind, table.header, file_name=source.name)
        except ImportFileError as exc:
            _fail(batch, str(exc))
            raise
        if errors_path is not None:
            _check_writable(Path(errors_path))
        total = _count_lines(source)
        batch = _claim(kind, source, actor=actor, batch=batch, total=total)
        try:
            return _run(kind, source, table, header, batch, actor, errors_path, chunk_size, progress, total)
        except ImportInterrupted:
            raise  # the other run carries the batch on
        except BaseException as exc:
            _fail(batch, _("stopped: %(error)s") % {"error": str(exc) or type(exc).__name__})
            raise


def _fail(batch: ImportBatch | None, message: str) -> None:
    if batch is None or batch.pk is None:
        return
    ImportBatch.objects.filter(pk=batch.pk).exclude(status=ImportStatus.DONE).update(
        status=ImportStatus.FAILED, message=message[:2000], finished_at=timezone.now()
    )


def _run(kind, source, table, header, batch, actor, errors_path, chunk_size, progress, total) -> ImportBatch:
    importer_cls = importer_class(kind.name)
    ctx = Context(actor=actor, batch=batch, source=Source.IMPORT)
    importer = importer_cls(ctx, header)
    spool = Spool(imports_dir() / f"batch-{batch.pk}.rejected.jsonl")
    spool.truncate_to(batch.rejected)
    state = {"last_line": batch.last_line, "done": batch.rows_read}
    seen: dict = {}
    if progress is not None:
        progress(state["done"], max(total, state["done"]))
    chunks = _chunks(table, header, importer, seen, resume_after=batch.last_line, chunk_size=chunk_size)
    parallel = importer.parallel and _worth_a_worker(total - batch.rows_read)
    # The import keeps a few large, long-lived structures (every key of the file, the addresses
    # met so far); the collector's full passes over them would cost more than the import's own
    # work. Young garbage is collected after each chunk instead (and by the worker, per chunk).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for chunk in _precleaned(importer, chunks, parallel=parallel):
            counts = _process_chunk(importer, chunk, seen, spool, header, batch, state["last_line"])
            state["last_line"] = chunk[-1].line
            state["done"] += counts.read
            gc.collect(1)
            if progress is not None:
                progress(state["done"], max(total, state["done"]))
    finally:
        spool.close()
        if collecting:
            gc.enable()
    return _finish(kind, source, table.header, batch, actor, spool, errors_path)


# Below this many rows a worker process costs more than it saves.
PARALLEL_MIN_ROWS = 20_000
# Cleaning processes next to the writing one.
WORKERS = 1


def _worth_a_worker(rows: int) -> bool:
    return (
        env_bool("FENGQIAO_IMPORT_WORKER", True)
        and rows >= PARALLEL_MIN_ROWS
        and (os.cpu_count() or 1) > 1
        and not connection.in_atomic_block
        and "fork" in multiprocessing.get_all_start_methods()
    )


def _chunks(table, header, importer, seen: dict, *, resume_after: int, chunk_size: int):
    """The file's rows in lists of ``chunk_size``. Rows an earlier run of the batch has done
    are skipped; their keys are remembered, for duplicates further down."""
    positions = list(header.positions.items())
    chunk: list[Row] = []
    for line, cells in table.rows():
        data = {name: cells[i] for name, i in positions if cells[i]}
        row = Row(line, cells, data)
        if line <= resume_after:
            try:
                key = importer.key(row)
            except RowRejected:
                continue
            if key is not None:
                seen.setdefault(key, line)
            continue
        chunk.append(row)
        if len(chunk) >= chunk_size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_worker_importer = None


def _start_worker(importer, language: str) -> None:
    global _worker_importer
    translation.activate(language)
    _worker_importer = importer


def _preclean_in_worker(rows):
    try:
        return _worker_importer.preclean(rows)
    finally:
        gc.collect(1)


def _precleaned(importer, chunks, *, parallel: bool):
    """The chunks with each row's ``pre`` set by ``importer.preclean``: in this process, or —
    for big files — in a forked worker process, two chunks ahead of the writing, so cleaning and
    writing overlap. The worker touches no database."""
    if not parallel:
        for chunk in chunks:
            for row, pre in zip(chunk, importer.preclean([(r.line, r.data) for r in chunk]), strict=True):
                row.pre = pre
            yield chunk
        return
    connections.close_all()  # the worker must not inherit open database connections
    context = multiprocessing.get_context("fork")
    start = (importer, translation.get_language())
    with context.Pool(WORKERS, initializer=_start_worker, initargs=start) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(
                (chunk, pool.apply_async(_preclean_in_worker, ([(r.line, r.data) for r in chunk],)))
            )
            if len(pending) > WORKERS:
                yield _attach(*pending.popleft())
        while pending:
            yield _attach(*pending.popleft())


def _attach(chunk, result):
    for row, pre in zip(chunk, result.get(), strict=True):
        row.pre = pre
    return chunk


# SQLite, for the importing connection: a page cache (KiB) holding the indexes a city's people
# touch (the default is 2 MB), and a checkpoint of the write-ahead log every 256 MB rather than
# every 4 MB (the default 1000 pages is less than one chunk writes, so each commit would copy the
# hot index pages back into the database file again).
SQLITE_CACHE_KIB = 65536
SQLITE_WAL_AUTOCHECKPOINT = 65536


def _process_chunk(importer, chunk, seen, spool, header, batch, last_line) -> _Chunk:
    counts = _Chunk(read=len(chunk))
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_WAL_AUTOCHECKPOINT}")

    rejections: list[Rejection] = []

    def reject(row: Row, exc: RowRejected) -> None:
        column = header.header_of(exc.field) if exc.field else ""
        rejections.append(Rejection(row.line, column, exc.reason, row.cells))
        counts.rejected += 1

    good = []
    keys_in_chunk = {}
    for row in chunk:
        try:
            key = importer.key(row)
        except RowRejected as exc:
            reject(row, exc)
            continue
        if key is not None:
            first = seen.get(key) or keys_in_chunk.get(key)
            if first is not None:
                reject(row, importer.duplicate(row, first))
                continue
            keys_in_chunk[key] = row.line
        row.key = key
        good.append(row)

    with transaction.atomic():
        planned = importer.plan(good, reject)
        try:
            with transaction.atomic():
                importer.write(planned)
        except DatabaseError:
            # Some row breaks a database rule the checks above did not foresee: write the rows
            # one by one so only that row is rejected.
            planned = _write_one_by_one(importer, planned, reject)
        counts.inserted = planned.inserted
        counts.updated = len(planned.updates)
        counts.unchanged = planned.unchanged
        for rejection in sorted(rejections, key=lambda r: r.line):
            spool.add(rejection)
        spool.flush()
        moved = ImportBatch.objects.filter(pk=batch.pk, last_line=last_line).update(
            last_line=chunk[-1].line,
            rows_read=F("rows_read") + counts.read,
            inserted=F("inserted") + counts.inserted,
            updated=F("updated") + counts.updated,
            unchanged=F("unchanged") + counts.unchanged,
            rejected=F("rejected") + counts.rejected,
            options={**batch.options, "heartbeat": timezone.now().isoformat()},
        )
        if moved != 1:
            raise ImportInterrupted(_("another run of this import moved its checkpoint"))
    seen.update(keys_in_chunk)
    return counts


def _write_one_by_one(importer, planned: Planned, reject) -> Planned:
    done = Planned(unchanged=planned.unchanged)
    for row, one in planned.singles():
        try:
            with transaction.atomic():
                importer.write(one)
        except DatabaseError as exc:
            reject(row, RowRejected("", _("the database refused the row: %(error)s") % {"error": exc}))
            continue
        done.inserts += one.inserts
        done.fast += one.fast
        done.updates += one.updates
    return done


def _finish(kind, source, header_cells, batch, actor, spool: Spool, errors_path) -> ImportBatch:
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        errors_file = ""
        if batch.rejected:
            dest = (
                Path(errors_path)
                if errors_path
                else imports_dir() / (f"batch-{batch.pk}-errors{error_file_suffix(source)}")
            )
            write_error_file(source, header_cells, spool, dest)
            errors_file = str(dest.resolve())
        previous = (
            ImportBatch.objects.filter(
                kind=batch.kind, file_sha256=batch.file_sha256, status=ImportStatus.DONE
            )
            .exclude(pk=batch.pk)
            .order_by("-finished_at")
            .first()
        )
        batch.status = ImportStatus.DONE
        batch.finished_at = timezone.now()
        batch.errors_file = errors_file
        batch.message = summary(batch, source, previous)
        batch.save(update_fields=["status", "finished_at", "errors_file", "message"])
        audit.record(
            audit.IMPORT,
            batch,
            actor=actor,
            object_repr=f"{kind.name}: {source.name}",
            after={
                **batch.counts(),
                "sha256": source.sha256,
                "file": source.name,
                "kind": kind.name,
                "format": source.format,
                "encoding": source.encoding_label,
                "batch": batch.pk,
            },
        )
    spool.remove()
    return batch


def summary(batch: ImportBatch, source: readers.SourceFile, previous: ImportBatch | None = None) -> str:
    text = _(
        "%(file)s (%(encoding)s): %(read)d read, %(inserted)d inserted, %(updated)d updated, "
        "%(unchanged)d unchanged, %(rejected)d rejected"
    ) % {"file": source.name, "encoding": source.encoding_label, **batch.counts()}
    if not batch.inserted and not batch.updated and batch.unchanged:
        if previous is not None:
            text += " — " + _("nothing changed: this file was imported before (batch %(id)d, %(when)s)") % {
                "id": previous.pk,
                "when": timezone.localtime(previous.finished_at).strftime("%Y-%m-%d %H:%M"),
            }
        else:
            text += " — " + _("nothing changed: every record is on file already")
    return text
