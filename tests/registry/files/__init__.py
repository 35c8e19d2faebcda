"""Spreadsheets for the import tests, written by the tests themselves (no committed binaries):
``write_csv(path, header, rows, encoding=...)`` and ``write_xlsx(path, header, rows)``."""

import csv
from pathlib import Path

from openpyxl import Workbook


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
    with Path(path).open(encoding=encoding, newline="") as fh:
        return list(csv.reader(fh))


def read_xlsx(path: Path) -> list[list]:
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        return [list(r) for r in book.get_sheet_by_index(0).iter_rows()]
    finally:
        book.close()
