"""Tables written for people to open in a spreadsheet (CSV in UTF-8 with a BOM, or XLSX), with
formula injection neutralised: a text that begins like a formula (``=``, ``+``, ``-``, ``@``, a tab
or a carriage return) must never run when the file is opened (OWASP's "CSV injection").

In XLSX every text goes in as a text cell, so it keeps its exact value and is never a formula;
CSV has no cell types, so such a text gets a leading apostrophe, which spreadsheets hide.
"""

import csv
import io
from collections.abc import Iterable
from pathlib import Path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value):
    """``value`` as a CSV cell that no spreadsheet reads as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def xlsx_bytes(headers: list, rows: Iterable[list]) -> bytes:
    """``rows`` under ``headers`` as an XLSX file in memory, for a download."""
    buffer = io.BytesIO()
    write_table(buffer, "xlsx", headers, rows)
    return buffer.getvalue()


def write_table(path, fmt: str, headers: list, rows: Iterable[list]) -> int:
    """Write ``rows`` under ``headers`` to ``path`` (XLSX: or a binary file object) as "csv" or
    "xlsx"; returns how many rows."""
    count = 0
    if fmt == "csv":
        with Path(path).open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([neutralised(h) for h in headers])
            for row in rows:
                writer.writerow([neutralised(v) for v in row])
                count += 1
        return count
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet()

    def cell(value):
        if not isinstance(value, str):
            return value
        text = WriteOnlyCell(sheet, value=value)
        text.data_type = "s"  # a string, whatever it begins with: never a formula
        text.number_format = "@"  # and shown as text, so ID numbers stay digits
        return text

    sheet.append([cell(h) for h in headers])
    for row in rows:
        sheet.append([cell(v) for v in row])
        count += 1
    book.save(path)
    return count
