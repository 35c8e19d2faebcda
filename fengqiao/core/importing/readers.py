"""Reading the stations' spreadsheets: CSV in UTF-8 (with or without BOM) or GB18030/GBK, and XLSX.

Nothing here holds the whole file in memory: the hash and the encoding check stream over the bytes,
CSV rows are read one by one, and XLSX rows come from python-calamine's row iterator.

A row is ``(line, cells)``: ``line`` is the row's number as a spreadsheet shows it (the header is
normally line 1), ``cells`` a list of stripped strings as long as the header.
"""

import codecs
import csv
import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from fengqiao.core.importing import ImportFileError

CSV = "csv"
XLSX = "xlsx"

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
GB18030 = "gb18030"

ENCODING_LABELS = {UTF8: "UTF-8", UTF8_BOM: "UTF-8 (BOM)", GB18030: "GB18030"}

_BLOCK = 1 << 20
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
# Excel's way of keeping a number as text in a CSV export: ="640302199001011234"
_FORMULA_TEXT = re.compile(r'^="(.*)"$', re.S)
_DELIMITERS = (",", "\t", ";", "|")


@dataclass(frozen=True)
class SourceFile:
    """A file about to be imported: where it is, what it is, and its SHA-256."""

    path: Path
    name: str
    format: str  # CSV or XLSX
    encoding: str  # a Python codec for CSV (utf-8, utf-8-sig, gb18030); "" for XLSX
    sha256: str
    size: int
    newlines: int = 0  # how many line feeds the file holds (for a CSV, about its rows)

    @property
    def encoding_label(self) -> str:
        return ENCODING_LABELS.get(self.encoding, self.encoding) if self.format == CSV else "XLSX"


def _unreadable(path, error) -> ImportFileError:
    return ImportFileError(_("%(path)s cannot be read: %(error)s") % {"path": path, "error": error})


def _decodes(path: Path, encoding: str) -> tuple[bool, int]:
    """Whether the whole file decodes strictly in ``encoding``; on failure, the offending byte offset."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return False, offset + exc.start
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return False, offset + exc.start
    return True, -1


def inspect_file(path, name: str | None = None) -> SourceFile:
    """Hash the file and tell its format and, for CSV, its encoding: strict UTF-8 first (a BOM is
    noted), then GB18030 (which covers GBK and GB2312). One pass over the bytes hashes them,
    counts the line feeds and checks them as UTF-8. ImportFileError when it cannot be read."""
    path = Path(path)
    name = name or path.name
    digest = hashlib.sha256()
    size = newlines = 0
    utf8 = codecs.getincrementaldecoder(UTF8)(errors="strict")
    bad_at = -1  # where the bytes stop being UTF-8 (-1: they never do)
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
            fh.seek(0)
            binary = head.startswith((_ZIP_MAGIC, _OLE_MAGIC))
            while block := fh.read(_BLOCK):
                digest.update(block)
                if not binary:
                    newlines += block.count(b"\n")
                    if bad_at < 0:
                        try:
                            utf8.decode(block)
                        except UnicodeDecodeError as exc:
                            bad_at = size + exc.start
                size += len(block)
            if not binary and bad_at < 0:
                try:
                    utf8.decode(b"", final=True)
                except UnicodeDecodeError as exc:
                    bad_at = size + exc.start
    except OSError as exc:
        raise _unreadable(name, exc.strerror) from None
    if size == 0:
        raise ImportFileError(_("%(path)s is empty") % {"path": name})
    sha = digest.hexdigest()
    if head.startswith(_ZIP_MAGIC):
        return SourceFile(path, name, XLSX, "", sha, size)
    if head.startswith(_OLE_MAGIC):
        raise ImportFileError(
            _("%(path)s is an old Excel .xls workbook: save it as .xlsx or CSV and import that")
            % {"path": name}
        )
    bom = head.startswith(codecs.BOM_UTF8)
    if bad_at < 0:
        return SourceFile(path, name, CSV, UTF8_BOM if bom else UTF8, sha, size, newlines)
    if not bom:
        ok, _gb_bad_at = _decodes(path, GB18030)
        if ok:
            return SourceFile(path, name, CSV, GB18030, sha, size, newlines)
    raise ImportFileError(
        _("%(path)s is neither UTF-8 nor GB18030/GBK text (undecodable byte at offset %(offset)d)")
        % {"path": name, "offset": bad_at}
    )


def count_rows(source: SourceFile) -> int:
    """Roughly how many data rows the file has (for the progress bar), without parsing it."""
    if source.format == XLSX:
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


def clean_text(value: str) -> str:
    """A CSV cell as the importer sees it: surrounding blanks (also full-width ones) removed and
    Excel's ``="…"`` text wrapper unwrapped."""
    value = value.strip()
    if value.startswith('="'):
        match = _FORMULA_TEXT.match(value)
        if match:
            value = match.group(1).strip()
    return value


def clean_cell(value) -> str:
    """An XLSX cell as text. Whole numbers lose their ``.0``; numbers too big to be exact in a
    spreadsheet (ID numbers typed as numbers) show the way Excel shows them, ``6.40302E+17``, so the
    validation can say what happened; dates become ISO dates."""
    if value is None:
        return ""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        if abs(value) >= 1e15:
            mantissa, exponent = f"{value:.5E}".split("E")
            mantissa = mantissa.rstrip("0").rstrip(".")
            return f"{mantissa}E+{int(exponent):02d}" if int(exponent) >= 0 else f"{mantissa}E{exponent}"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).strip()


class Table:
    """The rows of one file: ``header`` (the cells of the first non-empty row, as text), then
    ``rows()`` for the data rows after it. Use as a context manager."""

    header: list[str]
    header_line: int
    delimiter: str = ","

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fit(self, cells: list[str]) -> list[str] | None:
        """The cells padded or cut to the header's width; None for a row with nothing in it."""
        if not any(cells):
            return None
        width = len(self.header)
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        elif len(cells) > width:
            del cells[width:]
        return cells


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvTable(Table):
    def __init__(self, source: SourceFile):
        self.source = source
        try:
            self._fh = source.path.open("r", encoding=source.encoding, newline="")
        except OSError as exc:
            raise _unreadable(source.name, exc.strerror) from None
        first = self._fh.readline()
        self._fh.seek(0)
        self.delimiter = _sniff_delimiter(first)
        self._reader = csv.reader(self._fh, delimiter=self.delimiter)
        self._record = 0
        self.header = []
        self.header_line = 0
        try:
            for cells in self._reader:
                self._record += 1
                cells = [clean_text(c) for c in cells]
                if any(cells):
                    self.header = cells
                    self.header_line = self._record
                    break
        except csv.Error as exc:
            self.close()
            raise ImportFileError(
                _("%(path)s is not a readable CSV: %(error)s") % {"path": source.name, "error": exc}
            ) from None
        if not self.header:
            self.close()
            raise ImportFileError(_("%(path)s has no header row") % {"path": source.name})

    def rows(self):
        try:
            for cells in self._reader:
                self._record += 1
                fitted = self._fit([clean_text(c) if '="' in c else c.strip() for c in cells])
                if fitted is not None:
                    yield self._record, fitted
        except csv.Error as exc:
            raise ImportFileError(
                _("%(path)s is not a readable CSV after line %(line)d: %(error)s")
                % {"path": self.source.name, "line": self._record, "error": exc}
            ) from None

    def close(self):
        self._fh.close()


class XlsxTable(Table):
    """The first worksheet of a workbook, through python-calamine."""

    def __init__(self, source: SourceFile):
        import python_calamine

        self.source = source
        try:
            self._book = python_calamine.CalamineWorkbook.from_path(str(source.path))
            sheet = self._book.get_sheet_by_index(0)
        except Exception as exc:  # calamine raises its own error types for every kind of bad file
            raise ImportFileError(
                _("%(path)s is not a readable XLSX workbook: %(error)s") % {"path": source.name, "error": exc}
            ) from None
        self._first_row = sheet.start[0] if sheet.start else 0
        self._rows = iter(sheet.iter_rows())
        self._index = -1
        self.header = []
        self.header_line = 0
        for raw in self._rows:
            self._index += 1
            cells = [clean_cell(c) for c in raw]
            if any(cells):
                self.header = cells
                self.header_line = self._first_row + self._index + 1
                break
        if not self.header:
            raise ImportFileError(_("%(path)s has no header row") % {"path": source.name})

    def rows(self):
        for cells in self._rows:
            self._index += 1
            fitted = self._fit([clean_cell(c) for c in cells])
            if fitted is not None:
                yield self._first_row + self._index + 1, fitted

    def close(self):
        self._book.close()


def open_table(source: SourceFile) -> Table:
    return XlsxTable(source) if source.format == XLSX else CsvTable(source)
