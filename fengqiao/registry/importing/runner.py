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
import pickle
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fengqiao.core.context import Source
from fengqiao.core.importing import ImportFileError, imports_dir, readers, record_import, when
from fengqiao.core.importing import summary as import_summary
from fengqiao.core.importing.columns import match_header
from fengqiao.core.importing.errors import Rejection, Spool, error_file_suffix, write_error_file
from fengqiao.env import env_bool
from fengqiao.registry.choices import ImportStatus
from fengqiao.registry.importing.base import Context, Planned, Row, RowRejected, row_data
from fengqiao.registry.importing.columns import kind_named
from fengqiao.registry.models import ImportBatch
from fengqiao.registry.selectors import may_collect

# Rows per transaction. On SQLite each commit writes out every page its chunk changed, and a
# city's people change most leaf pages of their random-keyed indexes (ID number, name, phone …)
# in every chunk, so fewer, larger chunks write less. The writer holds about 2 KB per row of a
# chunk: at 100,000 rows the import of the city's 733,000 people peaks under 900 MB.
CHUNK_SIZE = 100_000
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
    # the line feeds inspect_file counted, and a last line without one
    with source.path.open("rb") as fh:
        fh.seek(-1, os.SEEK_END)
        unterminated = fh.read(1) != b"\n"
    return max(source.newlines + unterminated - 1, 0)


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
    last_line: int
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
    parallel = importer.parallel and _worth_a_worker(total - batch.rows_read)
    # The import keeps a few large, long-lived structures (every key of the file, the addresses
    # met so far); the collector's full passes over them would cost more than the import's own
    # work. Young garbage is collected after each chunk instead (and by the worker, per part).
    collecting = gc.isenabled()
    gc.disable()
    parts = None
    try:
        resume_after = batch.last_line
        if parallel:
            parts = _Worker(importer, table, header, seen, resume_after=resume_after, chunk_size=chunk_size)
            ready = parts.ready
        else:
            rows = _rows(table, header, importer, seen, resume_after=resume_after)
            parts = _cleaned_here(importer, _parts(rows, chunk_size=chunk_size, part_size=chunk_size))
            ready = _never
        for first in parts:
            counts = _process_chunk(
                importer, _chunk(first, parts), ready, seen, spool, header, batch, state["last_line"]
            )
            del first
            state["last_line"] = counts.last_line
            state["done"] += counts.read
            gc.collect(1)
            if progress is not None:
                progress(state["done"], max(total, state["done"]))
    finally:
        if parts is not None:
            parts.close()  # a worker still running is stopped
        spool.close()
        if collecting:
            gc.enable()
    return _finish(kind, source, table.header, batch, actor, spool, errors_path)


# Below this many rows a worker process costs more than it saves.
PARALLEL_MIN_ROWS = 20_000
# Rows the worker sends at a time: the writer starts on a chunk as soon as its first part is
# cleaned, rather than waiting for the whole chunk (and holds only a part in memory).
PART_SIZE = 5000


def _worth_a_worker(rows: int) -> bool:
    return (
        env_bool("FENGQIAO_IMPORT_WORKER", True)
        and rows >= PARALLEL_MIN_ROWS
        and (os.cpu_count() or 1) > 1
        and not connection.in_atomic_block
        and "fork" in multiprocessing.get_all_start_methods()
    )


def _rows(table, header, importer, seen: dict, *, resume_after: int):
    """The file's rows after ``resume_after``. Rows an earlier run of the batch has done are
    skipped; their keys are remembered in ``seen``, for duplicates further down."""
    for line, cells in table.rows():
        row = Row(line, cells, row_data(header, cells))
        if line <= resume_after:
            try:
                key = importer.key(row)
            except RowRejected:
                continue
            if key is not None:
                seen.setdefault(key, line)
            continue
        yield row


def _parts(rows, *, chunk_size: int, part_size: int):
    """The rows in lists of at most ``part_size``, each with whether it ends a chunk (of
    ``chunk_size`` rows, the last one shorter)."""
    part: list[Row] = []
    in_chunk = 0
    for row in rows:
        part.append(row)
        in_chunk += 1
        if in_chunk == chunk_size:
            yield _take(part), True
            in_chunk = 0
        elif len(part) == part_size:
            yield _take(part), False
    if part:
        yield _take(part), True


def _take(items: list) -> list:
    """The items in a new list, ``items`` left empty. A generator yields rows this way so that it
    keeps no reference to them: when the writer is done with a chunk nothing of it is left, and
    the collection of young garbage after it has little to look at."""
    taken = items.copy()
    items.clear()
    return taken


def _chunk(first, parts):
    """The parts of one chunk: ``first``, then those ``parts`` gives up to the chunk's end."""
    rows, last = first
    yield _take(rows)
    while not last:
        rows, last = next(parts)
        yield _take(rows)


def _cleaned_here(importer, parts):
    for rows, last in parts:
        importer.preclean(rows)
        yield _take(rows), last


def _never() -> bool:
    return False


class _Worker:
    """The parts of ``_parts``, read and precleaned by a forked worker process ahead of the
    writing, so reading and cleaning overlap the database work. The worker touches no database;
    it sends each part's rows as ``(line, cells, pre)``, and the writer makes a row's ``data``
    again from its cells only when it needs it. The keys of rows skipped on a resume come first.

    The worker may run a chunk ahead (a thread of its own sends what it has cleaned), so the
    writer finds parts waiting (``ready``) and writes them together, in fewer and larger sorted
    batches, unless it would otherwise wait."""

    def __init__(self, importer, table, header, seen: dict, *, resume_after: int, chunk_size: int):
        importer.before_worker()
        connections.close_all()  # the worker must not inherit open database connections
        context = multiprocessing.get_context("fork")
        self._receiving, sending = context.Pipe(duplex=False)
        self._seen = seen
        part_size = min(PART_SIZE, chunk_size)
        self._process = context.Process(
            target=_clean_in_worker,
            args=(importer, table, header, sending, resume_after, chunk_size, part_size),
            kwargs={"language": translation.get_language(), "ahead": chunk_size // part_size + 1},
            daemon=True,
        )
        self._process.start()
        sending.close()

    def __iter__(self):
        return self

    def __next__(self) -> tuple[list[Row], bool]:
        while True:
            try:
                message = self._receiving.recv_bytes()
            except EOFError:
                self._process.join()
                raise RuntimeError(
                    _("the import's worker process stopped (exit code %(code)s)")
                    % {"code": self._process.exitcode}
                ) from None
            what, payload, last = pickle.loads(message)
            if what == "rows":
                return [Row(line, cells, None, pre=pre) for line, cells, pre in _take(payload)], last
            if what == "seen":
                self._seen.update(payload)
            elif what == "error":
                raise payload
            else:  # "end"
                raise StopIteration

    def ready(self) -> bool:
        """Whether the next part is waiting already."""
        return self._receiving.poll()

    def close(self) -> None:
        self._receiving.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()


# The worker runs ahead of the writing, which is what the import waits on (the writer and, with
# PostgreSQL, the server's process): it yields them the CPU when they want it, and on a busy
# server it yields to the web requests too.
WORKER_NICENESS = 10


def _clean_in_worker(
    importer, table, header, sending, resume_after, chunk_size, part_size, *, language, ahead
):
    os.nice(WORKER_NICENESS)
    translation.activate(language)
    outbox: queue.Queue = queue.Queue(maxsize=ahead)
    stopped = threading.Event()

    def send_all():
        while (message := outbox.get()) is not None:
            if stopped.is_set():
                continue  # drained, so that nothing waits on a full outbox
            try:
                sending.send_bytes(message)
            except OSError:  # the writer has stopped
                stopped.set()

    def post(*message) -> None:
        # pickled here, so the sender starts on the next message the moment one is read
        outbox.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    sender = threading.Thread(target=send_all, daemon=True)
    sender.start()
    skipped: dict = {}
    try:
        rows = _rows(table, header, importer, skipped, resume_after=resume_after)
        for part, last in _parts(rows, chunk_size=chunk_size, part_size=part_size):
            if skipped:
                post("seen", skipped, None)
                skipped = {}
            importer.preclean(part)
            post("rows", [(row.line, row.cells, row.pre) for row in part], last)
            del part
            gc.collect(1)
            if stopped.is_set():
                return
        if skipped:
            post("seen", skipped, None)
        post("end", None, None)
    except BaseException as exc:  # the writer raises it (an unreadable CSV line …)
        post("error", _sendable(exc), None)
    finally:
        outbox.put(None)
        sender.join()
        sending.close()


def _sendable(exc: BaseException) -> BaseException:
    """The exception, or one that says what it was if it cannot be pickled."""
    try:
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


# SQLite, for the importing connection: a page cache (KiB) holding the indexes a city's people
# touch and the pages a chunk writes (the default is 2 MB; the benchmark's ceiling gets the same),
# and a checkpoint of the write-ahead log every 256 MB rather than every 4 MB (the default 1000
# pages is less than one chunk writes, so each commit would copy the hot index pages back into the
# database file again).
SQLITE_CACHE_KIB = 262144
SQLITE_WAL_AUTOCHECKPOINT = 65536


def _process_chunk(importer, parts, ready, seen, spool, header, batch, last_line) -> _Chunk:
    """One chunk, in one transaction: its parts (lists of rows) planned as they come and written
    together when no next part is ``ready`` (or at the chunk's end), then its rejections spooled
    and the batch's checkpoint moved."""
    counts = _Chunk(last_line=last_line)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_WAL_AUTOCHECKPOINT}")

    rejections: list[Rejection] = []

    def reject(row: Row, exc: RowRejected) -> None:
        column = header.header_of(exc.field) if exc.field else ""
        rejections.append(Rejection(row.line, column, exc.reason, row.cells))
        counts.rejected += 1

    keys_in_chunk = {}
    with transaction.atomic():
        pending = Planned()
        for part in parts:
            counts.read += len(part)
            counts.last_line = part[-1].line
            good = []
            for row in part:
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
            del part
            pending.extend(importer.plan(good, reject))
            if not ready():
                _write(importer, pending, reject, counts)
                pending = Planned()
        _write(importer, pending, reject, counts)
        for rejection in sorted(rejections, key=lambda r: r.line):
            spool.add(rejection)
        spool.flush()
        moved = ImportBatch.objects.filter(pk=batch.pk, last_line=last_line).update(
            last_line=counts.last_line,
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


def _write(importer, planned: Planned, reject, counts: _Chunk) -> None:
    counts.unchanged += planned.unchanged
    if not (planned.inserts or planned.fast or planned.updates):
        return
    try:
        with transaction.atomic():
            importer.write(planned)
    except DatabaseError as exc:
        again = importer.replan(planned, reject) if isinstance(exc, IntegrityError) else None
        if again is not None:
            _write(importer, again, reject, counts)
            return
        # Some row breaks a database rule the checks above did not foresee: write the rows one
        # by one so only that row is rejected.
        planned = _write_one_by_one(importer, planned, reject)
    counts.inserted += planned.inserted
    counts.updated += len(planned.updates)


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
        record_import(
            source,
            {**batch.counts(), "batch": batch.pk},
            actor=actor,
            kind=kind.name,
            obj=batch,
            object_repr=f"{kind.name}: {source.name}",
        )
    spool.remove()
    return batch


def summary(batch: ImportBatch, source: readers.SourceFile, previous: ImportBatch | None = None) -> str:
    before = ""
    if previous is not None:
        before = _("nothing changed: this file was imported before (batch %(id)d, %(when)s)") % {
            "id": previous.pk,
            "when": when(previous.finished_at),
        }
    return import_summary(source.name, source.encoding_label, batch.counts(), before=before)
