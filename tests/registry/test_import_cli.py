"""``fengqiao import``: exit status, --errors and --report, the summary; an import killed half-way
(SIGKILL, in a real subprocess) leaves whole chunks only and resumes where it stopped."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from fengqiao.core.models import AuditEntry
from fengqiao.geo import locator
from fengqiao.registry.importing import runner
from fengqiao.registry.models import ImportBatch, Person, RecordHistory
from tests.fixtures.registry import make_address, valid_id_number
from tests.registry import files
from tests.registry.files import read_csv, read_xlsx, write_csv, write_xlsx

# fixtures for tests whose data a worker or a subprocess reads
committed = files.committed
_audit_triggers_back_after_the_module = files._audit_triggers_back_after_the_module

HEADER = ["公民身份号码", "姓名", "性别", "联系电话", "现住址"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture(autouse=True)
def english():
    """Messages are read in their English source form; zh-hans is the site default."""
    locator.reset()
    with translation.override("en"):
        yield
    locator.reset()


@pytest.fixture
def home(personas):
    return make_address(personas.territory.grid_a, street="利宁街", door_plate="8")


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_rejected_rows_still_exit_0_with_errors_file_and_report(personas, home, tmp_path):
    # given
    path = write_csv(
        tmp_path / "people.csv",
        HEADER,
        [[valid_id_number(), "张三", "", "", home.full_text], ["12345", "李四", "", "", home.full_text]],
    )
    errors, report = tmp_path / "rejected.csv", tmp_path / "report.json"

    # when
    out, _err = run(
        "people",
        str(path),
        "--errors",
        str(errors),
        "--report",
        str(report),
        "--actor",
        "grid_a",
        "--no-progress",
    )

    # then
    assert "2 read, 1 inserted, 0 updated, 0 unchanged, 1 rejected" in out
    assert str(errors) in out
    assert json.loads(report.read_text()) == {
        "read": 2,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        "matched": 1,
        "pending": 0,
        "new_pending": 0,
    }
    assert read_csv(errors)[1][:2] == ["12345", "李四"]


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "cannot be read"),
        (b"", "is empty"),
        (b"\x00\xff\xfe\x81\x00binary" * 50, "neither UTF-8 nor GB18030"),
        ("姓名,性别\n张三,男\n".encode(), "lacks the column(s) 公民身份号码"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel .xls"),
    ],
)
def test_a_file_that_cannot_be_read_is_a_nonzero_exit_and_writes_nothing(
    personas, tmp_path, content, message
):
    path = tmp_path / "people.csv"
    if content is not None:
        path.write_bytes(content)
    report = tmp_path / "report.json"
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run("people", str(path), "--report", str(report), "--actor", "grid_a", "--no-progress")
    assert not report.exists()
    assert not ImportBatch.objects.exists()


@pytest.mark.usefixtures("committed")
def test_the_cli_exit_status_in_a_real_process(personas, tmp_path):
    # the status a shell sees: 1 when the file cannot be read
    env = {**os.environ, "FENGQIAO_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "fengqiao.cli", "import", "people", str(tmp_path / "missing.csv")],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "tests.settings", **_database_env(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "missing.csv" in done.stderr


def test_a_resident_cannot_import(personas, home, tmp_path):
    path = write_csv(tmp_path / "p.csv", HEADER, [[valid_id_number(), "张三", "", "", home.full_text]])
    with pytest.raises(CommandError, match="may not"):
        run("people", str(path), "--actor", "resident", "--no-progress")


@pytest.mark.usefixtures("committed")
def test_a_file_of_many_chunks_goes_in_whole_and_again_changes_nothing(personas, home, tmp_path):
    # given a file of several chunks with a bad row
    rows = [[valid_id_number(), f"张{i}", "", "", home.full_text] for i in range(300)]
    rows[150][0] = "12345"
    path = write_csv(tmp_path / "people.csv", HEADER, rows)

    # when
    batch = runner.run_import("people", path, actor=personas.grid_a, chunk_size=40)

    # then
    assert batch.counts() == {"read": 300, "inserted": 299, "updated": 0, "unchanged": 0, "rejected": 1}
    assert Person.objects.unscoped(reason="test").count() == 299
    assert RecordHistory.objects.filter(record_kind="person").count() == 299
    again = runner.run_import("people", path, actor=personas.grid_a, chunk_size=40)
    assert again.counts()["unchanged"] == 299


@pytest.mark.usefixtures("committed")
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_rows_of_later_chunks_keep_their_lines(personas, home, tmp_path, file_format):
    # given a file read in chunks of 40, with bad rows in several chunks
    rows = [[valid_id_number(), f"张{i}", "", "", home.full_text] for i in range(100)]
    rows[20][0] = "12345"  # line 22: a bad ID number
    rows[55][0] = rows[3][0]  # line 57: the same person as line 5, in another chunk
    rows[70][1] = ""  # line 72: no name
    rows[90][4] = "宁夏某县不存在路1号"  # line 92: an unknown address
    write = write_csv if file_format == "csv" else write_xlsx
    path = write(tmp_path / f"people.{file_format}", HEADER, rows)

    # when
    batch = runner.run_import("people", path, actor=personas.grid_a, chunk_size=40)

    # then
    assert batch.counts() == {"read": 100, "inserted": 96, "updated": 0, "unchanged": 0, "rejected": 4}
    assert batch.last_line == 101
    read = read_csv if file_format == "csv" else read_xlsx
    rejected = {int(r[-3]): r[-2:] for r in read(batch.errors_file)[1:]}
    assert sorted(rejected) == [22, 57, 72, 92]
    assert rejected[57] == ["公民身份号码", "the same 公民身份号码 is on line 5 already"]
    assert rejected[72] == ["姓名", "The name is required."]
    assert rejected[92][0] == "现住址" and "unknown address" in rejected[92][1]
    people = Person.objects.unscoped(reason="test")
    assert people.count() == 96 and set(people.values_list("grid", flat=True)) == {home.grid_id}
    assert RecordHistory.objects.filter(record_kind="person", action="create").count() == 96


@pytest.mark.usefixtures("committed")
def test_a_stopped_import_resumes_and_still_finds_duplicates_of_done_rows(
    personas, home, tmp_path, monkeypatch
):
    # given a file whose line 75 repeats line 5, and an import that stopped after its first chunk
    rows = [[valid_id_number(), f"张{i}", "", "", home.full_text] for i in range(100)]
    rows[73][0] = rows[3][0]
    path = write_csv(tmp_path / "people.csv", HEADER, rows)
    process_chunk = runner._process_chunk
    calls = []

    def stop_at_the_second_chunk(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return process_chunk(*args)

    monkeypatch.setattr(runner, "_process_chunk", stop_at_the_second_chunk)
    with pytest.raises(RuntimeError, match="power cut"):
        runner.run_import("people", path, actor=personas.grid_a, chunk_size=40)
    assert ImportBatch.objects.get().last_line == 41
    monkeypatch.setattr(runner, "_process_chunk", process_chunk)

    # when the same file is imported again
    batch = runner.run_import("people", path, actor=personas.grid_a, chunk_size=40)

    # then it carried on after line 41, and still knew the keys of the rows done before
    assert batch.counts() == {"read": 100, "inserted": 99, "updated": 0, "unchanged": 0, "rejected": 1}
    rejected = {int(r[-3]): r[-2:] for r in read_csv(batch.errors_file)[1:]}
    assert rejected == {75: ["公民身份号码", "the same 公民身份号码 is on line 5 already"]}
    assert Person.objects.unscoped(reason="test").count() == 99 == RecordHistory.objects.count()


@pytest.mark.usefixtures("committed")
def test_an_import_that_breaks_fails_its_batch_with_a_clear_message(personas, home, tmp_path, monkeypatch):
    # given an importer that breaks on the first row
    from fengqiao.registry.importing.people import PeopleImporter

    def broken(self, row, index, stored):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(PeopleImporter, "build", broken)
    rows = [[valid_id_number(), f"张{i}", "", "", home.full_text] for i in range(30)]
    path = write_csv(tmp_path / "people.csv", HEADER, rows)

    # when
    with pytest.raises(RuntimeError, match="disk on fire"):
        runner.run_import("people", path, actor=personas.grid_a, chunk_size=40)

    # then nothing is in, and the batch says why it stopped
    batch = ImportBatch.objects.get()
    assert batch.status == "failed" and "disk on fire" in batch.message
    assert not Person.objects.unscoped(reason="test").exists()


# ---------------------------------------------------------------------------------------------
# killed half-way, then resumed


def _database_env(tmp_path) -> dict:
    """How a subprocess reaches the test database: PostgreSQL by its test database's URL; the
    in-memory SQLite test database copied to a file first (and copied back by _sync_back)."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user = settings.get("USER") or "postgres"
        password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
        host, port = settings.get("HOST") or "127.0.0.1", settings.get("PORT") or 5432
        return {"FENGQIAO_DATABASE_URL": f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"}
    path = tmp_path / "db.sqlite3"
    if not path.exists():
        target = sqlite3.connect(path)
        connection.ensure_connection()
        connection.connection.backup(target)
        target.close()
    return {"FENGQIAO_DATABASE_URL": f"sqlite:///{path}"}


def _sync_back(tmp_path) -> None:
    if connection.vendor == "sqlite":
        source = sqlite3.connect(tmp_path / "db.sqlite3")
        source.backup(connection.connection)
        source.close()


def _checkpoint(tmp_path):
    if connection.vendor == "sqlite":
        db = sqlite3.connect(tmp_path / "db.sqlite3", timeout=5)
        try:
            return db.execute("SELECT last_line, status FROM registry_importbatch").fetchone()
        except sqlite3.OperationalError:
            return None
        finally:
            db.close()
    import psycopg

    with psycopg.connect(
        _database_env(tmp_path)["FENGQIAO_DATABASE_URL"].replace("postgres://", "postgresql://")
    ) as db:
        return db.execute("SELECT last_line, status FROM registry_importbatch").fetchone()


@pytest.mark.usefixtures("committed")
def test_an_import_killed_half_way_keeps_whole_chunks_and_resumes(personas, home, tmp_path):
    # given a file of 3000 people with a bad row every 500 lines
    rows = [[valid_id_number(), f"张{i}", "", "", home.full_text] for i in range(3000)]
    bad_lines = []
    for i in range(100, 3000, 500):
        rows[i][0] = "not-a-number"
        bad_lines.append(i + 2)
    path = write_csv(tmp_path / "people.csv", HEADER, rows)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "FENGQIAO_DATA_DIR": str(tmp_path / "data"),
        **_database_env(tmp_path),
    }
    command = [
        sys.executable,
        "-m",
        "fengqiao.cli",
        "import",
        "people",
        str(path),
        "--actor",
        "grid_a",
        "--chunk-size",
        "50",
        "--no-progress",
        "--errors",
        str(tmp_path / "rejected.csv"),
    ]

    # when the import is killed (SIGKILL: no clean-up of any kind) once a few chunks are in
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = _checkpoint(tmp_path)
        if state is not None and state[0] >= 600:
            break
        if process.poll() is not None:
            pytest.fail(f"the import ended before it could be killed: {process.communicate()}")
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    # then only whole chunks are in: the people and their history up to the checkpoint
    _sync_back(tmp_path)
    batch = ImportBatch.objects.get()
    assert batch.status == "running"
    assert 600 <= batch.last_line < 3001 and (batch.last_line - 1) % 50 == 0
    done_rows = batch.last_line - 1
    bad_done = sum(1 for line in bad_lines if line <= batch.last_line)
    people = Person.objects.unscoped(reason="test")
    assert people.count() == done_rows - bad_done == batch.inserted
    assert RecordHistory.objects.count() == people.count()
    assert not AuditEntry.objects.filter(action="import").exists()

    # when the same command runs again
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)

    # then it carries on after the checkpoint and finishes the same batch
    assert again.returncode == 0, again.stderr
    _sync_back(tmp_path)
    batch = ImportBatch.objects.get()
    assert batch.status == "done"
    assert batch.counts() == {"read": 3000, "inserted": 3000 - 6, "updated": 0, "unchanged": 0, "rejected": 6}
    assert people.count() == 2994
    assert RecordHistory.objects.count() == 2994
    assert AuditEntry.objects.filter(action="import").count() == 1
    rejected = read_csv(tmp_path / "rejected.csv")
    assert [int(r[-3]) for r in rejected[1:]] == bad_lines
