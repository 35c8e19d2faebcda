"""``fengqiao backup`` and ``fengqiao restore``: a demo city round-trips through an encrypted backup
into an empty data directory and an empty database (a fresh one on PostgreSQL), row for row, with
its uploads and its audit chain; a wrong key, a changed byte or a target that is not empty fail
cleanly and leave nothing behind.

The restore runs as the operator runs it: ``fengqiao restore`` in a process of its own, with the
target's FENGQIAO_DATA_DIR and FENGQIAO_DATABASE_URL."""

import os
import secrets
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from fengqiao.core import audit, backup, crypto
from fengqiao.core.context import Source, acting_as
from fengqiao.core.models import AuditEntry
from fengqiao.registry.models import Person

FENGQIAO = str(Path(sys.executable).with_name("fengqiao"))


@pytest.fixture
def places(tmp_path, settings):
    """The source system's uploads, audit archive and anchor file, each in a place of the test's."""
    settings.MEDIA_ROOT = tmp_path / "source-media"
    settings.AUDIT_ARCHIVE_DIR = tmp_path / "source-archive"
    settings.AUDIT_ANCHOR_FILE = tmp_path / "source-anchors.log"
    photo = settings.MEDIA_ROOT / "events" / "2026" / "photo.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8\xff" + secrets.token_bytes(3000))
    return photo


def postgres_url(database: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{database}"


class Target:
    """An empty data directory and an empty database for ``fengqiao restore`` to fill."""

    def __init__(self, root: Path):
        self.data_dir = root
        self.data_dir.mkdir()
        self.database = ""  # a SQLite file in the data directory unless a PostgreSQL name is set

    @property
    def url(self) -> str:
        return postgres_url(self.database) if self.database else ""

    def env(self, **extra) -> dict:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("FENGQIAO_") and k != "DJANGO_SETTINGS_MODULE"
        }
        env.update(
            DJANGO_SETTINGS_MODULE="fengqiao.settings",
            FENGQIAO_SECRET_KEY="fengqiao-test-suite-key-not-secret",
            FENGQIAO_DATA_DIR=str(self.data_dir),
            FENGQIAO_BACKUP_KEY_FILE=str(settings.BACKUP_KEY_FILE),
        )
        if settings.AUDIT_KEY:
            env["FENGQIAO_AUDIT_KEY"] = settings.AUDIT_KEY.hex()
        else:
            env["FENGQIAO_AUDIT_KEY_FILE"] = str(settings.AUDIT_KEY_FILE)
        if self.url:
            env["FENGQIAO_DATABASE_URL"] = self.url
        env.update(extra)
        return env

    def restore(self, file: Path, **extra) -> subprocess.CompletedProcess:
        return subprocess.run(
            [FENGQIAO, "restore", str(file)],
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=600,
        )

    def connect(self):
        if self.database:
            import psycopg

            return psycopg.connect(self.url.replace("postgres://", "postgresql://"))
        return sqlite3.connect(self.data_dir / "fengqiao.sqlite3")

    def counts(self) -> dict[str, int]:
        with self.connect() as db:
            cursor = db.cursor()
            vendor = "postgresql" if self.database else "sqlite"
            tables = (
                backup.table_names(cursor, vendor)
                if vendor == "sqlite"
                else [
                    row[0]
                    for row in cursor.execute(
                        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
                    ).fetchall()
                ]
            )
            quote = backup._sqlite_quote
            return backup.row_counts(cursor, tables, quote)

    def is_empty(self) -> bool:
        files = [p for p in self.data_dir.rglob("*") if p.is_file()]
        if self.database:
            return not files and not self.counts()
        return not files


@pytest.fixture
def target(tmp_path):
    """An empty target: on PostgreSQL a fresh database beside the suite's, dropped at the end."""
    t = Target(tmp_path / "restored")
    if connection.vendor != "postgresql":
        yield t
        return
    import psycopg

    name = f"fq_restore_{uuid.uuid4().hex[:12]}"
    admin_url = postgres_url("postgres").replace("postgres://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    t.database = name
    try:
        yield t
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def source_counts() -> dict[str, int]:
    with transaction.atomic(), connection.cursor() as cursor:
        return backup.row_counts(
            cursor, backup.table_names(cursor, connection.vendor), connection.ops.quote_name
        )


def take_backup(tmp_path) -> Path:
    folder = tmp_path / "backups"
    folder.mkdir(exist_ok=True)
    call_command("backup", "--output", str(folder), stdout=open(os.devnull, "w"))  # noqa: SIM115
    (made,) = folder.iterdir()
    return made


@pytest.mark.usefixtures("flushable_audit")
def test_a_demo_city_round_trips_whole(tmp_path, places, target):
    # given a small demo city, an upload, and an anchor of the audit chain outside the database
    call_command("demo", "--scale", "0.01", "--seed", "7", stdout=open(os.devnull, "w"))  # noqa: SIM115
    audit.write_anchor()
    people = list(
        Person.objects.unscoped(reason="test").order_by("id").values("id", "name", "id_number", "phone")[:3]
    )
    assert people
    # when it is backed up while it runs, and restored into an empty place by the CLI
    file = take_backup(tmp_path)
    counts = source_counts()
    done = target.restore(file)
    # then the restore says so, and everything is there, row for row
    assert done.returncode == 0, done.stderr
    assert "verified" in done.stdout or "核验" in done.stdout
    restored = target.counts()
    entry_table = AuditEntry._meta.db_table
    # the restore appended its own audit entry; the source appended the backup's after the snapshot
    assert restored.pop(entry_table) == counts.pop(entry_table)
    assert restored == counts
    assert sum(counts.values()) > 1000
    with target.connect() as db:
        cursor = db.cursor()
        table = Person._meta.db_table
        for person in people:
            mark = "%s" if target.database else "?"
            cursor.execute(f"SELECT name, id_number, phone FROM {table} WHERE id = {mark}", [person["id"]])
            name, id_number, phone = cursor.fetchone()
            # numbers and phones come back as they were stored, encrypted (docs/adr/0010)
            assert crypto.is_sealed(id_number)
            id_number = crypto.decrypt(id_number, "registry.person.id_number")
            phone = crypto.decrypt(phone, "registry.person.phone")
            assert (name, id_number, phone) == (person["name"], person["id_number"], person["phone"])
        cursor.execute(f"SELECT action FROM {entry_table} ORDER BY id DESC LIMIT 1")
        assert cursor.fetchone() == ("restore",)
    photo = target.data_dir / "media" / "events" / "2026" / "photo.jpg"
    assert photo.read_bytes() == places.read_bytes()
    assert (target.data_dir / "audit-anchors.log").read_text() == settings.AUDIT_ANCHOR_FILE.read_text()
    # and the backup itself is on the record, with the file's hash
    entry = AuditEntry.objects.filter(action="backup").get()
    assert entry.after["file"] == str(file.resolve())
    assert entry.after["audit_count"] == AuditEntry.objects.filter(id__lt=entry.pk).count()


@pytest.fixture
def small_backup(flushable_audit, personas, places, tmp_path, as_actor):
    with as_actor(personas.station), transaction.atomic():
        audit.record(audit.UPDATE, personas.territory.grid_a, after={"name": "甲"})
    return take_backup(tmp_path)


def test_the_file_is_encrypted_and_the_key_file_private(small_backup):
    data = small_backup.read_bytes()
    assert data.startswith(backup.MAGIC)
    assert b"SQLite format 3" not in data and b"PGDMP" not in data
    assert b"grid_a" not in data and "金积村".encode() not in data
    if not settings.BACKUP_KEY:
        assert settings.BACKUP_KEY_FILE.stat().st_mode & 0o777 == 0o600
    assert small_backup.stat().st_mode & 0o077 == 0


def test_a_wrong_key_fails_cleanly(small_backup, target):
    done = target.restore(small_backup, FENGQIAO_BACKUP_KEY=secrets.token_hex(32))
    assert done.returncode != 0
    assert "another key" in done.stderr or "密钥" in done.stderr
    assert target.is_empty()


@pytest.mark.parametrize("where", ["middle", "end", "cut"])
def test_a_changed_or_cut_file_fails_cleanly(small_backup, target, where):
    data = bytearray(small_backup.read_bytes())
    if where == "cut":
        data = data[: len(data) - 100]
    else:
        at = len(data) // 2 if where == "middle" else len(data) - 5
        data[at] ^= 0x01
    small_backup.write_bytes(bytes(data))
    done = target.restore(small_backup)
    assert done.returncode != 0
    assert (
        "damaged" in done.stderr
        or "cut short" in done.stderr
        or "损坏" in done.stderr
        or "不完整" in done.stderr
    )
    assert target.is_empty()


def test_a_chain_that_does_not_verify_is_undone_and_the_target_stays_empty(small_backup, target):
    # given the right backup key but another audit key: the database restores, the chain does not verify
    other = target.restore(small_backup, FENGQIAO_AUDIT_KEY=secrets.token_hex(32))
    assert other.returncode != 0
    assert "audit" in other.stderr or "审计" in other.stderr
    # then the database and the data directory are empty again
    assert target.is_empty()
    # and the same backup then restores with the right keys
    done = target.restore(small_backup)
    assert done.returncode == 0, done.stderr


def test_a_restore_refuses_a_database_that_is_not_empty(small_backup):
    # the suite's own database holds the territory: the restore refuses to touch it
    before = source_counts()
    with pytest.raises(CommandError, match="empty|空"):
        call_command("restore", str(small_backup))
    assert source_counts() == before


def test_a_restore_refuses_a_data_directory_with_files(small_backup, target):
    (target.data_dir / "media").mkdir()
    (target.data_dir / "media" / "left-over.jpg").write_bytes(b"x")
    done = target.restore(small_backup)
    assert done.returncode != 0
    assert "empty" in done.stderr or "空" in done.stderr
    assert not (target.data_dir / "fengqiao.sqlite3").exists()


def test_backup_and_restore_are_audited(small_backup, target, personas):
    entry = AuditEntry.objects.filter(action="backup").get()
    assert entry.actor.username == "system"
    assert entry.after["audit_count"] == AuditEntry.objects.count() - 1
    with acting_as(personas.city, Source.CLI):
        assert audit.verify_chain().ok
    done = target.restore(small_backup)
    assert done.returncode == 0, done.stderr
    with target.connect() as db:
        cursor = db.cursor()
        cursor.execute(
            f"SELECT action, actor_label FROM {AuditEntry._meta.db_table} ORDER BY id DESC LIMIT 1"
        )
        assert cursor.fetchone() == ("restore", "system")
