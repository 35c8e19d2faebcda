"""Spreadsheets for the import tests, written by the tests themselves (no committed binaries):
``write_csv(path, header, rows, encoding=...)``, ``write_xlsx(path, header, rows)`` and their
readers; and the ``committed`` fixture for tests whose data a worker or a subprocess reads."""

import csv
import importlib
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from fengqiao.core.importing.errors import read_error_file


def write_csv(path: Path, header, rows, *, encoding: str = "utf-8") -> Path:
    with Path(path).open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return Path(path)


def write_xlsx(path: Path, header, rows) -> Path:
    """An XLSX file as Excel would save it: numbers stay numbers (that is how ID numbers get
    mangled), text stays text."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("人口")
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return Path(path)


def read_csv(path: Path, *, encoding: str = "utf-8") -> list[list[str]]:
    """A CSV file's rows; an error file the system sealed on disk is opened as its page does."""
    text = read_error_file(Path(path)).decode(encoding)
    return list(csv.reader(io.StringIO(text, newline="")))


def read_xlsx(path: Path) -> list[list]:
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(read_error_file(Path(path))))
    try:
        return [list(r) for r in book.get_sheet_by_index(0).iter_rows()]
    finally:
        book.close()


# ---------------------------------------------------------------------------------------------
# tests whose data must be committed (a subprocess or a worker process reads it)

_APPEND_ONLY = importlib.import_module("fengqiao.core.migrations.0002_audit_append_only")


def _audit_triggers(on: bool) -> None:
    """SQLite's flush after a transactional test deletes the audit rows, which the append-only
    triggers forbid: they are off for the flush and on while the test runs (PostgreSQL
    truncates, which its row triggers do not see)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for sql in _APPEND_ONLY.SQLITE_REVERSE + (_APPEND_ONLY.SQLITE if on else []):
            cursor.execute(sql)


@pytest.fixture
def committed(transactional_db, django_db_blocker):
    """A transactional test (its writes are committed) with the audit triggers in force."""
    _audit_triggers(on=True)
    yield
    _audit_triggers(on=False)


@pytest.fixture(scope="module", autouse=True)
def _audit_triggers_back_after_the_module(django_db_setup, django_db_blocker):
    yield
    with django_db_blocker.unblock():
        _audit_triggers(on=True)
