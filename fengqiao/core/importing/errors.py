"""Rejected rows: spooled as they happen, then written as a file of the input's own format.

While an import runs, each rejected row goes to a spool (JSON lines beside the batch) that is
flushed before the chunk it belongs to commits. A resumed import first cuts the spool back to the
rows the batch has counted as rejected, so a chunk that never committed leaves no trace in it.
At the end the spool becomes the error file: the input's header and the rejected rows as they
were, plus the line, the column and the reason — CSV in the input's encoding, or XLSX — so it can
be fixed and imported again. Both hold ID numbers and phones as typed: the spool's lines and an
error file kept in the imports directory are encrypted under the data key (docs/adr/0010).
"""

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fengqiao.core import crypto
from fengqiao.core.importing.columns import COLUMN_COLUMN, LINE_COLUMN, REASON_COLUMN
from fengqiao.core.importing.readers import CSV, UTF8_BOM, XLSX, SourceFile


@dataclass(frozen=True)
class Rejection:
    """One rejected row: its line, the header of the column at fault ("" for the row as a whole),
    the reason, and the row's cells as read."""

    line: int
    column: str
    reason: str
    cells: list[str]

    def __str__(self):
        where = f"{self.line}" + (f" [{self.column}]" if self.column else "")
        return f"{where}: {self.reason}"


class Rejections(list):
    """A chunk's rejected rows. Called with a row and its ``RowRejected``, it adds the row with
    the header of the column at fault (``header`` is the file's ``columns.HeaderMap``)."""

    def __init__(self, header):
        super().__init__()
        self.header = header

    def __call__(self, row, exc) -> None:
        column = self.header.header_of(exc.field) if exc.field else ""
        reason = exc.reason
        if getattr(exc, "parts", None):
            # Each field at fault named by the file's header, in the reader's words and punctuation.
            reason = pgettext("between reasons", "; ").join(
                _("%(column)s: %(reason)s")
                % {"column": self.header.header_of(name) if name != "__all__" else column, "reason": text}
                for name, text in exc.parts
            )
        self.append(Rejection(row.line, column, reason, row.cells))

    def in_order(self) -> list[Rejection]:
        return sorted(self, key=lambda r: r.line)


SPOOL_AAD = "import rejected rows spool"


class Spool:
    """An append-only JSON-lines file of rejections, flushed on demand."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: TextIO | None = None

    def truncate_to(self, count: int) -> None:
        """Keep the first ``count`` rejections (those the batch has committed), drop the rest."""
        if not self.path.exists():
            if count:
                raise RuntimeError(f"{self.path} is missing: its {count} rejected rows are lost")
            self.path.touch()
            return
        keep = 0
        offset = 0
        with self.path.open("rb") as fh:
            for raw in fh:
                if keep == count:
                    break
                if not raw.endswith(b"\n"):
                    break  # a torn last line never made it to a commit
                keep += 1
                offset += len(raw)
        if keep < count:
            raise RuntimeError(f"{self.path} holds {keep} rejected rows, the batch counted {count}")
        with self.path.open("r+b") as fh:
            fh.truncate(offset)

    def add(self, rejection: Rejection) -> None:
        if self._fh is None:
            self._fh = self.path.open("a", encoding="utf-8")
        record = [rejection.line, rejection.column, rejection.reason, rejection.cells]
        # Each line sealed on its own (the rows' numbers as typed), so a torn last line stays one.
        self._fh.write(crypto.encrypt(json.dumps(record, ensure_ascii=False), SPOOL_AAD) + "\n")

    def flush(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __iter__(self):
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as fh:
            for raw in fh:
                line, column, reason, cells = json.loads(crypto.decrypt(raw.rstrip("\n"), SPOOL_AAD))
                yield Rejection(line, column, reason, cells)

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def error_file_suffix(source: SourceFile) -> str:
    return ".xlsx" if source.format == XLSX else ".csv"


def write_error_file(source: SourceFile, header: list[str], rejections, dest: Path) -> int:
    """Write the rejected rows to ``dest`` in the input's format; returns how many were written.
    A file kept in the imports directory for its download is sealed under the data key (it holds
    the rows' ID numbers and phones as they were typed; :func:`read_error_file` opens it); a file
    the operator named elsewhere (``--errors FILE``) is written as it is."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    count, data = _error_file_bytes(source, header, rejections)
    if _kept_by_us(dest):
        data = crypto.seal_bytes(data, _aad(dest))
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return count


def read_error_file(path: Path) -> bytes:
    """An error file's bytes as :func:`write_error_file` made them, opened when it was sealed."""
    path = Path(path)
    return crypto.open_bytes(path.read_bytes(), _aad(path))


def _aad(path: Path) -> str:
    return f"import error file {path.name}"


def _kept_by_us(dest: Path) -> bool:
    from fengqiao.core.importing import imports_dir

    return dest.resolve().is_relative_to(imports_dir().resolve())


def _error_file_bytes(source: SourceFile, header: list[str], rejections) -> tuple[int, bytes]:
    extra = [LINE_COLUMN, COLUMN_COLUMN, REASON_COLUMN]
    count = 0
    if source.format == CSV:
        # GB18030 encodes every character, UTF-8 too: nothing read from the input can fail here.
        text = io.StringIO(newline="")
        writer = csv.writer(text)
        writer.writerow([*header, *extra])
        for r in rejections:
            writer.writerow([*r.cells, r.line, r.column, r.reason])
            count += 1
        return count, text.getvalue().encode(source.encoding or UTF8_BOM)
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([*header, *extra])

    def text_cell(value):
        # Cells formatted as text, so fixed ID numbers and phones are not turned into numbers again.
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "@"
        return cell

    for r in rejections:
        sheet.append([*(text_cell(c) for c in r.cells), r.line, r.column, r.reason])
        count += 1
    out = io.BytesIO()
    book.save(out)
    return count, out.getvalue()
