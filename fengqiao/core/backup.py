"""Encrypted backups of a running system, and their restore into an empty one.

A backup is one file: the database (SQLite's online backup API, or ``pg_dump`` in its custom
format from a snapshot the row counts are taken in), the uploaded files (``MEDIA_ROOT``), the audit
archive and anchor file, and a manifest (each file's SHA-256 and size, the rows of every table, the
audit chain's head and count). The whole is streamed through AES-256-GCM in chunks of
:data:`CHUNK` bytes, so a large database never sits in memory; each chunk is authenticated with its
number and whether it is the last, so a chunk cut, swapped or dropped fails like a changed byte.

A restore goes only into an empty database and an empty data directory. It decrypts into a
staging directory and checks every file against the manifest before anything is put in place;
then it restores, counts the rows of every table, and verifies the audit chain
(``core.audit.verify_chain``) before it says done. A wrong key, a tampered or truncated file, or a
restored database that does not match its manifest leaves the target as empty as it found it.

The key: ``FENGQIAO_BACKUP_KEY`` (32 bytes, hex or base64), else the key file
``FENGQIAO_BACKUP_KEY_FILE`` (``DATA_DIR/backup.key``), made with mode 0600 on the first backup.
Raw SQL is limited to the functions docs/adr/0008 names: :func:`table_names`,
:func:`row_counts`, :func:`export_snapshot` and :func:`drop_restored_objects`.
"""

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.models import AuditArchive, AuditChainHead, AuditEntry
from fengqiao.env import parse_key

BACKUP = audit.register("backup", "made a backup")
RESTORE = audit.register("restore", "restored a backup")

MAGIC = b"FENGQIAO-BACKUP1"  # 16 bytes: the format and its version
CHUNK = 1 << 20  # plaintext bytes per encrypted chunk
NONCE_PREFIX = 7  # random bytes of each nonce; then a 4-byte chunk number and a last-chunk flag
HEADER = struct.Struct(">16s8s7sI")  # magic, key id, nonce prefix, chunk size
FORMAT_VERSION = 1
SQLITE_NAME = "database/fengqiao.sqlite3"
POSTGRES_NAME = "database/fengqiao.pgdump"
ANCHORS_NAME = "audit/anchors.log"


class BackupError(Exception):
    """A backup could not be made, or a file could not be restored; nothing was left half-done."""


# --- the key ---------------------------------------------------------------------------------------


def backup_key(*, create: bool) -> bytes:
    """The 32-byte backup key: ``FENGQIAO_BACKUP_KEY``, else the key file, which a backup makes
    (random, mode 0600) when it is missing. A restore never makes one."""
    if settings.BACKUP_KEY:
        return settings.BACKUP_KEY
    file = Path(settings.BACKUP_KEY_FILE)
    if not file.exists():
        if not create:
            raise BackupError(
                _(
                    "No backup key: %(file)s does not exist. Set FENGQIAO_BACKUP_KEY or "
                    "FENGQIAO_BACKUP_KEY_FILE to the key the backup was made with."
                )
                % {"file": file}
            )
        file.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
                out.flush()
                os.fsync(out.fileno())
    key = parse_key(f"the backup key file {file}", file.read_text())
    if len(key) != 32:
        raise BackupError(_("The backup key in %(file)s is not 32 bytes long.") % {"file": file})
    return key


def key_id(key: bytes) -> bytes:
    """Eight bytes that name a key without giving it away: a restore tells a wrong key at once."""
    return hmac.new(key, b"fengqiao backup key id", hashlib.sha256).digest()[:8]


# --- the encrypted stream --------------------------------------------------------------------------


def _nonce(prefix: bytes, number: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", number, 1 if last else 0)


class EncryptingWriter:
    """Writes plaintext to ``out`` as AES-256-GCM chunks of :data:`CHUNK` bytes; :meth:`close`
    writes the last chunk (possibly empty), flagged as the last."""

    def __init__(self, out: IO[bytes], key: bytes):
        self.out = out
        self.aead = AESGCM(key)
        self.prefix = secrets.token_bytes(NONCE_PREFIX)
        self.header = HEADER.pack(MAGIC, key_id(key), self.prefix, CHUNK)
        self.number = 0
        self.buffer = bytearray()
        out.write(self.header)

    def write(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > CHUNK:  # what is left over waits: the last chunk is sealed by close()
            view = memoryview(self.buffer)
            start = 0
            while len(self.buffer) - start > CHUNK:
                self._seal(bytes(view[start : start + CHUNK]), last=False)
                start += CHUNK
            view.release()
            del self.buffer[:start]

    def _seal(self, plain: bytes, *, last: bool) -> None:
        if self.number >= 2**32 - 1:
            raise BackupError("backup too large: more than 2^32 chunks")
        sealed = self.aead.encrypt(_nonce(self.prefix, self.number, last), plain, self.header)
        self.out.write(struct.pack(">I", len(sealed)))
        self.out.write(sealed)
        self.number += 1

    def close(self) -> None:
        self._seal(bytes(self.buffer), last=True)
        self.buffer.clear()


def decrypted_chunks(source: IO[bytes], key: bytes) -> Iterator[bytes]:
    """The plaintext of an encrypted backup, chunk by chunk, each authenticated before it is
    given out. BackupError on a wrong key, a changed byte, a missing or extra chunk."""
    header = source.read(HEADER.size)
    if len(header) != HEADER.size or not header.startswith(MAGIC):
        raise BackupError(_("This is not a Fengqiao backup file."))
    _magic, kid, prefix, chunk_size = HEADER.unpack(header)
    if not hmac.compare_digest(kid, key_id(key)):
        raise BackupError(_("This backup was made with another key: nothing was restored."))
    aead = AESGCM(key)
    number = 0
    while True:
        raw = source.read(4)
        if len(raw) != 4:
            raise BackupError(_("The backup file is cut short: nothing was restored."))
        (length,) = struct.unpack(">I", raw)
        if length > chunk_size + 16:
            raise BackupError(_("The backup file is damaged or has been changed: nothing was restored."))
        sealed = source.read(length)
        if len(sealed) != length:
            raise BackupError(_("The backup file is cut short: nothing was restored."))
        for last in (False, True):
            try:
                plain = aead.decrypt(_nonce(prefix, number, last), sealed, header)
                break
            except InvalidTag:
                continue
        else:
            raise BackupError(_("The backup file is damaged or has been changed: nothing was restored."))
        yield plain
        number += 1
        if last:
            if source.read(1):
                raise BackupError(_("The backup file is damaged or has been changed: nothing was restored."))
            return


class _PlainReader:
    """Exact reads over the decrypted chunks."""

    def __init__(self, chunks: Iterator[bytes]):
        self.chunks = chunks
        self.buffer = b""
        self.offset = 0

    def _more(self) -> bool:
        more = next(self.chunks, None)
        if more is None:
            return False
        self.buffer = self.buffer[self.offset :] + more
        self.offset = 0
        return True

    def read(self, n: int) -> bytes:
        while len(self.buffer) - self.offset < n:
            if not self._more():
                raise BackupError(_("The backup file is damaged or has been changed: nothing was restored."))
        out = self.buffer[self.offset : self.offset + n]
        self.offset += n
        return out

    def at_end(self) -> bool:
        while len(self.buffer) == self.offset:
            if not self._more():
                return True
        return False


# Inside the encryption the backup is a sequence of entries: b"F", a JSON header ({"name": …}) and
# the file's bytes in blocks, each with its length, a zero length ending the file; then b"M" and
# the manifest as JSON, last.
_LEN = struct.Struct(">I")


class _Entries:
    def __init__(self, out: EncryptingWriter):
        self.out = out
        self.files: dict[str, dict] = {}

    def _frame(self, tag: bytes, payload: bytes) -> None:
        self.out.write(tag + _LEN.pack(len(payload)) + payload)

    def add_stream(self, name: str, read: Callable[[int], bytes]) -> dict:
        if name in self.files:
            raise BackupError(f"{name} twice in one backup")
        self._frame(b"F", json.dumps({"name": name}).encode())
        digest, size = hashlib.sha256(), 0
        while block := read(CHUNK):
            digest.update(block)
            size += len(block)
            self.out.write(_LEN.pack(len(block)) + block)
        self.out.write(_LEN.pack(0))
        self.files[name] = {"sha256": digest.hexdigest(), "size": size}
        return self.files[name]

    def add_file(self, name: str, path: Path) -> dict:
        with path.open("rb") as fh:
            return self.add_stream(name, fh.read)

    def finish(self, manifest: dict) -> None:
        self._frame(b"M", json.dumps(manifest, sort_keys=True, ensure_ascii=False).encode())


# --- raw SQL (docs/adr/0008) -----------------------------------------------------------------------


def table_names(cursor, vendor: str) -> list[str]:
    """The tables of a database (no views, no SQLite internals), sorted: through Django's
    introspection on PostgreSQL; on SQLite from sqlite_master, so a bare ``sqlite3`` cursor on a
    backup file gives the same list as Django's connection on the restored one."""
    if vendor == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        )
        return sorted(row[0] for row in cursor.fetchall())
    return sorted(connections[DEFAULT_DB_ALIAS].introspection.table_names(cursor))


def row_counts(cursor, tables: list[str], quote: Callable[[str], str]) -> dict[str, int]:
    """The number of rows of each table, in the cursor's transaction (one snapshot)."""
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - a quoted table name
        counts[table] = int(cursor.fetchone()[0])
    return counts


def export_snapshot(cursor) -> str:
    """Make the cursor's transaction a read-only REPEATABLE READ one and export its snapshot, so
    ``pg_dump --snapshot`` sees exactly what the row counts were taken from. Call first thing in
    a fresh transaction, and keep it open while pg_dump runs."""
    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    cursor.execute("SELECT pg_export_snapshot()")
    return cursor.fetchone()[0]


def drop_restored_objects(cursor) -> None:
    """Empty the current schema again after a restore that did not verify: its tables (with
    their indexes, constraints, triggers and owned sequences) and its functions, which is what
    pg_restore made from a Fengqiao dump."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    for table in table_names(cursor, "postgresql"):
        cursor.execute(f"DROP TABLE IF EXISTS {quote(table)} CASCADE")
    cursor.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p "
        "WHERE p.pronamespace = current_schema()::regnamespace"
    )
    for (function,) in cursor.fetchall():
        cursor.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")


def _schema_functions(cursor) -> int:
    cursor.execute("SELECT COUNT(*) FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace")
    return int(cursor.fetchone()[0])


# --- facts about a database snapshot ---------------------------------------------------------------


def _audit_facts(cursor, quote: Callable[[str], str], counts: dict[str, int]) -> dict:
    """The audit chain's head and length in the same snapshot as ``counts``."""
    head_table = AuditChainHead._meta.db_table
    cursor.execute(f"SELECT last_hash FROM {quote(head_table)} WHERE id = 1")  # noqa: S608
    row = cursor.fetchone()
    cursor.execute(f"SELECT MAX(total) FROM {quote(AuditArchive._meta.db_table)}")  # noqa: S608
    archived = int(cursor.fetchone()[0] or 0)
    entries = counts.get(AuditEntry._meta.db_table, 0)
    return {
        "head": row[0] if row else audit.GENESIS_HASH,
        "entries": entries,
        "archived": archived,
        "count": archived + entries,
    }


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- the files ------------------------------------------------------------------------------------


def file_places() -> dict[str, Path]:
    """What the backup keeps besides the database, by its name inside the backup."""
    return {
        "media": Path(settings.MEDIA_ROOT),
        "audit-archive": Path(settings.AUDIT_ARCHIVE_DIR),
    }


def _files_of(places: dict[str, Path]) -> Iterator[tuple[str, Path]]:
    for prefix, root in places.items():
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield f"{prefix}/{path.relative_to(root).as_posix()}", path


def _target_of(name: str) -> Path:
    """Where a file of the backup goes back to; BackupError for a name that would leave its place."""
    if name == ANCHORS_NAME:
        return Path(settings.AUDIT_ANCHOR_FILE)
    prefix, _sep, rest = name.partition("/")
    places = file_places()
    parts = Path(rest).parts
    if prefix not in places or not rest or Path(rest).is_absolute() or ".." in parts:
        raise BackupError(
            _("The backup file is damaged or has been changed: nothing was restored.") + f" ({name})"
        )
    return places[prefix].joinpath(*parts)


# --- backup ---------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    size: int
    sha256: str
    manifest: dict = field(default_factory=dict)


def default_name(now: dt.datetime | None = None) -> str:
    return f"fengqiao-{timezone.localtime(now or timezone.now()):%Y%m%d-%H%M%S}.fqbackup"


def make_backup(output: Path | str, *, actor) -> BackupResult:
    """Write an encrypted backup of the running system to ``output`` (a file, or a directory for a
    file named after the time), audited as ``backup``. The file appears only when it is whole."""
    output = Path(output)
    if output.is_dir():
        output = output / default_name()
    if output.exists():
        raise BackupError(_("%(file)s exists already: a backup never overwrites a file.") % {"file": output})
    if not output.parent.is_dir():
        raise BackupError(_("The directory %(dir)s does not exist.") % {"dir": output.parent})
    key = backup_key(create=True)
    connection = connections[DEFAULT_DB_ALIAS]
    draft = output.with_name(f".{output.name}.{secrets.token_hex(4)}.part")
    try:
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            writer = EncryptingWriter(out, key)
            entries = _Entries(writer)
            if connection.vendor == "sqlite":
                database = _backup_sqlite(connection, entries)
            elif connection.vendor == "postgresql":
                database = _backup_postgres(connection, entries)
            else:
                raise BackupError(f"no backup for a {connection.vendor} database")
            for name, path in _files_of(file_places()):
                entries.add_file(name, path)
            anchors = Path(settings.AUDIT_ANCHOR_FILE)
            if anchors.is_file():
                entries.add_file(ANCHORS_NAME, anchors)
            manifest = {
                "format": FORMAT_VERSION,
                "created_at": timezone.now().isoformat(),
                **database,
                "files": entries.files,
            }
            entries.finish(manifest)
            writer.close()
            out.flush()
            os.fsync(out.fileno())
        os.link(draft, output)  # never over a file that appeared meanwhile
    finally:
        draft.unlink(missing_ok=True)
    digest = hashlib.sha256()
    with output.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    result = BackupResult(output, output.stat().st_size, digest.hexdigest(), manifest)
    with transaction.atomic():
        audit.record(
            BACKUP,
            actor=actor,
            object_type="core.backup",
            object_repr=output.name,
            after={
                "file": str(output.resolve()),
                "size": result.size,
                "sha256": result.sha256,
                "database": manifest["database"]["vendor"],
                "files": len(manifest["files"]),
                "rows": sum(manifest["tables"].values()),
                "audit_head": manifest["audit"]["head"],
                "audit_count": manifest["audit"]["count"],
            },
        )
    return result


def _backup_sqlite(connection, entries: _Entries) -> dict:
    """SQLite's online backup API into a private temporary file beside the database, in one step
    (one consistent snapshot; writers are not held up in WAL mode); the counts are read from it."""
    connection.ensure_connection()
    folder = Path(settings.DATA_DIR)
    fd, name = tempfile.mkstemp(prefix=".backup-", suffix=".sqlite3", dir=folder)
    os.close(fd)
    copy = Path(name)
    try:
        target = sqlite3.connect(copy)
        try:
            connection.connection.backup(target)
            cursor = target.cursor()
            tables = table_names(cursor, "sqlite")
            counts = row_counts(cursor, tables, _sqlite_quote)
            facts = _audit_facts(cursor, _sqlite_quote, counts)
            version = sqlite3.sqlite_version
        finally:
            target.close()
        entries.add_file(SQLITE_NAME, copy)
    finally:
        copy.unlink(missing_ok=True)
    return {
        "database": {"vendor": "sqlite", "file": SQLITE_NAME, "version": version},
        "tables": counts,
        "audit": facts,
    }


def _libpq_env(settings_dict: dict) -> dict[str, str]:
    env = dict(os.environ)
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    for option, var in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if settings_dict.get("OPTIONS", {}).get(option):
            env[var] = str(settings_dict["OPTIONS"][option])
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            _("%(tool)s is not installed: install PostgreSQL's client tools of the server's version.")
            % {"tool": name}
        )
    return path


def _backup_postgres(connection, entries: _Entries) -> dict:
    """``pg_dump`` in its custom format, streamed into the backup, from a snapshot exported by a
    read-only transaction that the row counts and the audit head are read in."""
    pg_dump = _tool("pg_dump")
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        snapshot = export_snapshot(cursor)
        tables = table_names(cursor, "postgresql")
        counts = row_counts(cursor, tables, quote)
        facts = _audit_facts(cursor, quote, counts)
        version = connection.pg_version
        process = subprocess.Popen(  # noqa: S603 - a fixed command, no shell
            [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot}",
                "--no-password",
                connection.settings_dict["NAME"],
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_libpq_env(connection.settings_dict),
        )
        assert process.stdout is not None and process.stderr is not None
        try:
            entries.add_stream(POSTGRES_NAME, process.stdout.read)
        finally:
            process.stdout.close()
            errors = process.stderr.read().decode(errors="replace")
            code = process.wait()
        if code != 0:
            raise BackupError(_("pg_dump failed: %(error)s") % {"error": errors.strip()})
    return {
        "database": {"vendor": "postgresql", "file": POSTGRES_NAME, "version": version},
        "tables": counts,
        "audit": facts,
    }


# --- restore --------------------------------------------------------------------------------------


def target_problems() -> list[str]:
    """Why the configured database and data directory cannot take a restore (empty: they can)."""
    problems = []
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        if path.exists() and path.stat().st_size > 0:
            problems.append(_("the database %(db)s exists already") % {"db": path})
    else:
        with connection.cursor() as cursor:
            if table_names(cursor, connection.vendor) or _schema_functions(cursor):
                problems.append(
                    _("the database %(db)s is not empty") % {"db": connection.settings_dict["NAME"]}
                )
    for prefix, root in file_places().items():
        if any(True for _name in _files_of({prefix: root})):
            problems.append(_("%(dir)s holds files already") % {"dir": root})
    anchors = Path(settings.AUDIT_ANCHOR_FILE)
    if anchors.exists():
        problems.append(_("%(file)s exists already") % {"file": anchors})
    return problems


@dataclass
class RestoreResult:
    manifest: dict
    files: int
    rows: int
    audit_checked: int


def _stage(source: IO[bytes], key: bytes, staging: Path) -> tuple[dict, dict[str, Path]]:
    """Decrypt the backup into ``staging``; check every file against the manifest. Returns the
    manifest and the staged file of each name."""
    reader = _PlainReader(decrypted_chunks(source, key))
    staged: dict[str, Path] = {}
    found: dict[str, dict] = {}
    damaged = _("The backup file is damaged or has been changed: nothing was restored.")
    while True:
        tag = reader.read(1)
        (length,) = _LEN.unpack(reader.read(4))
        payload = reader.read(length)
        if tag == b"M":
            manifest = json.loads(payload)
            if not reader.at_end():
                raise BackupError(damaged)
            break
        if tag != b"F":
            raise BackupError(damaged)
        name = json.loads(payload)["name"]
        if name in staged:
            raise BackupError(damaged)
        path = staging / f"{len(staged):06d}"
        digest, size = hashlib.sha256(), 0
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            while True:
                (block_length,) = _LEN.unpack(reader.read(4))
                if not block_length:
                    break
                block = reader.read(block_length)
                digest.update(block)
                size += len(block)
                out.write(block)
        staged[name] = path
        found[name] = {"sha256": digest.hexdigest(), "size": size}
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(_("This backup's format (%(format)s) is not one this version reads.") % manifest)
    if found != manifest.get("files"):
        raise BackupError(_("The files in the backup do not match its manifest: nothing was restored."))
    for name in staged:
        if name != manifest["database"]["file"]:
            _target_of(name)  # every name stays in its place
    return manifest, staged


def restore_backup(file: Path | str, *, actor_name: str = "") -> RestoreResult:
    """Restore an encrypted backup into the configured (empty) database and data directory,
    check it and verify the audit chain; audited as ``restore``. BackupError, with the target left
    empty, when anything does not hold."""
    file = Path(file)
    if not file.is_file():
        raise BackupError(_("%(file)s is not a file.") % {"file": file})
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        _tool("pg_restore")  # before anything is decrypted
    try:
        problems = target_problems()
    except DatabaseError as exc:
        raise BackupError(_("The database cannot be reached: %(error)s") % {"error": exc}) from None
    if problems:
        raise BackupError(
            _("A backup is restored only into an empty database and data directory: %(problems)s.")
            % {"problems": "; ".join(problems)}
        )
    key = backup_key(create=False)
    data_dir = Path(settings.DATA_DIR)
    before = set(data_dir.iterdir())
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
    placed: list[Path] = []
    database_restored = False
    try:
        with file.open("rb") as source:
            manifest, staged = _stage(source, key, staging)
        connection = connections[DEFAULT_DB_ALIAS]
        vendor = manifest["database"]["vendor"]
        if vendor != connection.vendor:
            raise BackupError(
                _("This is a backup of a %(backup)s database; the configured database is %(target)s.")
                % {"backup": vendor, "target": connection.vendor}
            )
        try:
            database_restored = True
            _restore_database(connection, staged.pop(manifest["database"]["file"]))
            for name, path in staged.items():
                target = _target_of(name)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, target)
                placed.append(target)
                if name.startswith("media/"):  # served by the web process, as uploads are kept
                    os.chmod(target, settings.FILE_UPLOAD_PERMISSIONS or 0o600)
            result = _check_restored(manifest)
            _record_restore(file, manifest, result, actor_name)
        except BaseException:
            _undo(connection, placed, data_dir, before, database_restored)
            raise
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _record_restore(file: Path, manifest: dict, result: "RestoreResult", actor_name: str) -> None:
    """The restore's audit entry, in the restored chain, by ``actor_name`` if that account is
    there and active, else by the built-in system account."""
    from django.contrib.auth import get_user_model

    from fengqiao.core.commands import system_user
    from fengqiao.core.context import Source, acting_as

    actor = (
        get_user_model().objects.filter(username=actor_name, is_active=True).first() if actor_name else None
    )
    actor = actor or system_user()
    with acting_as(actor, Source.CLI), transaction.atomic():
        audit.record(
            RESTORE,
            actor=actor,
            object_type="core.backup",
            object_repr=file.name,
            after={
                "file": str(file.resolve()),
                "made_at": manifest["created_at"],
                "database": manifest["database"]["vendor"],
                "files": result.files,
                "rows": result.rows,
                "audit_head": manifest["audit"]["head"],
                "audit_count": manifest["audit"]["count"],
            },
        )


def _restore_database(connection, staged: Path) -> None:
    if connection.vendor == "sqlite":
        connection.close()
        target = Path(connection.settings_dict["NAME"])
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.move(staged, target)
        os.chmod(target, 0o600)
        return
    pg_restore = _tool("pg_restore")
    connection.close()
    done = subprocess.run(  # noqa: S603 - a fixed command, no shell
        [
            pg_restore,
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            "--no-password",
            f"--dbname={connection.settings_dict['NAME']}",
            str(staged),
        ],
        capture_output=True,
        env=_libpq_env(connection.settings_dict),
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(
            _("pg_restore failed: %(error)s") % {"error": done.stderr.decode(errors="replace").strip()}
        )


def _check_restored(manifest: dict) -> RestoreResult:
    """Every table with its rows as the manifest counted them; the audit chain whole, ending at
    the manifest's head, and holding against the restored anchors."""
    connection = connections[DEFAULT_DB_ALIAS]
    with transaction.atomic(), connection.cursor() as cursor:
        tables = table_names(cursor, connection.vendor)
        counts = row_counts(cursor, tables, connection.ops.quote_name)
    expected: dict[str, Any] = manifest["tables"]
    if counts != expected:
        wrong = sorted(t for t in set(counts) | set(expected) if counts.get(t) != expected.get(t))
        raise BackupError(
            _(
                "The restored database does not match the backup's manifest (%(tables)s): "
                "nothing was restored."
            )
            % {"tables": ", ".join(wrong[:5])}
        )
    anchors_file = Path(settings.AUDIT_ANCHOR_FILE)
    try:
        anchors = audit.read_anchors(anchors_file) if anchors_file.is_file() else []
        report = audit.verify_chain(anchors=anchors)
    except (audit.AnchorError, audit.NoAuditKey) as exc:
        raise BackupError(_("The audit chain cannot be verified: %(error)s") % {"error": exc}) from None
    if not report.ok:
        raise BackupError(
            _("The restored audit chain is broken at entry #%(id)s: %(problem)s. Nothing was restored.")
            % {"id": report.broken_at, "problem": report.problem}
        )
    head = AuditChainHead.objects.filter(pk=1).values_list("last_hash", flat=True).first()
    if (head or audit.GENESIS_HASH) != manifest["audit"]["head"]:
        raise BackupError(
            _("The restored audit chain does not end where the backup's did: nothing was restored.")
        )
    return RestoreResult(manifest, len(manifest["files"]) - 1, sum(counts.values()), report.checked)


def _undo(connection, placed: list[Path], data_dir: Path, before: set[Path], database_restored: bool) -> None:
    """Leave the target as the restore found it: the restored database emptied or removed, the
    placed files removed, and anything new in the data directory (a key made meanwhile) too."""
    for path in placed:
        path.unlink(missing_ok=True)
    if database_restored:
        if connection.vendor == "sqlite":
            connection.close()
            target = Path(connection.settings_dict["NAME"])
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
        else:
            connection.close()
            with transaction.atomic(), connection.cursor() as cursor:
                drop_restored_objects(cursor)
    for path in set(data_dir.iterdir()) - before:
        if path.name.startswith(".restore-"):
            continue  # the staging directory goes in the caller's finally
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
