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

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core.context import Source
from fengqiao.core.importing import ImportFileError, check_writable, imports_dir, readers, record_import, when
from fengqiao.core.importing import summary as import_summary
from fengqiao.core.importing.columns import match_header
from fengqiao.core.importing.errors import Rejections, Spool, error_file_suffix, write_error_file
from fengqiao.core.importing.rows import RowRejected, chunks
from fengqiao.registry.choices import ImportStatus
from fengqiao.registry.importing.base import Context, Planned
from fengqiao.registry.importing.columns import kind_named
from fengqiao.registry.models import ImportBatch
from fengqiao.registry.selectors import may_collect

# Rows per transaction: a chunk's rows, records and history rows are held in memory together
# (a few KB a row), and on SQLite each commit writes out the pages its chunk changed, so fewer,
# larger chunks write less.
CHUNK_SIZE = 20_000
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
        options = {"path": str(Path(path)), "kind": kind.name, "total": readers.count_rows(source)}
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
            check_writable(errors_path)
        total = readers.count_rows(source)
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
    importer = importer_class(kind.name)(Context(actor=actor, batch=batch, source=Source.IMPORT), header)
    spool = Spool(imports_dir() / f"batch-{batch.pk}.rejected.jsonl")
    spool.truncate_to(batch.rejected)
    last_line, done = batch.last_line, batch.rows_read
    seen: dict = {}  # key → the line it was first met on
    if progress is not None:
        progress(done, max(total, done))
    try:
        for rows in chunks(table, header, chunk_size):
            # Rows an earlier run of the batch has done are skipped; their keys are remembered,
            # for duplicates further down.
            for row in rows:
                if row.line <= batch.last_line:
                    with contextlib.suppress(RowRejected):
                        key = importer.key(row)
                        if key is not None:
                            seen.setdefault(key, row.line)
            rows = [row for row in rows if row.line > batch.last_line]
            if not rows:
                continue
            counts = _process_chunk(importer, rows, seen, spool, header, batch, last_line)
            last_line = counts.last_line
            done += counts.read
            if progress is not None:
                progress(done, max(total, done))
    finally:
        spool.close()
    return _finish(kind, source, table.header, batch, actor, spool, errors_path)


def _process_chunk(importer, rows, seen, spool, header, batch, last_line) -> _Chunk:
    """One chunk, in one transaction: its rows planned and written, its rejections spooled and
    the batch's checkpoint moved."""
    counts = _Chunk(last_line=rows[-1].line, read=len(rows))
    reject = Rejections(header)
    keys_in_chunk = {}
    good = []
    for row in rows:
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
        _write(importer, importer.plan(good, reject), reject, counts)
        counts.rejected = len(reject)
        for rejection in reject.in_order():
            spool.add(rejection)
        spool.flush()
        moved = ImportBatch.objects.filter(pk=batch.pk, last_line=last_line).update(
            last_line=counts.last_line,
            rows_read=F("rows_read") + counts.read,
            inserted=F("inserted") + counts.inserted,
            updated=F("updated") + counts.updated,
            unchanged=F("unchanged") + counts.unchanged,
            rejected=F("rejected") + counts.rejected,
            options={**batch.options, **importer.address_counts, "heartbeat": timezone.now().isoformat()},
        )
        if moved != 1:
            raise ImportInterrupted(_("another run of this import moved its checkpoint"))
    seen.update(keys_in_chunk)
    return counts


def _write(importer, planned: Planned, reject, counts: _Chunk) -> None:
    counts.unchanged += planned.unchanged
    if not (planned.inserts or planned.updates):
        return
    try:
        with transaction.atomic():
            importer.write(planned)
    except DatabaseError:
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
            {**batch.counts(), **batch.address_counts(), "batch": batch.pk},
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
    text = import_summary(source.name, source.encoding_label, batch.counts(), before=before)
    addresses = batch.address_counts()
    if addresses["matched"] or addresses["pending"]:
        text += (
            _(
                "; addresses: %(matched)d row(s) matched a standard address, %(pending)d went to "
                "addresses to standardise (%(new_pending)d new)"
            )
            % addresses
        )
    return text
