"""Which column is which: a file's headers matched to an importer's fields by their Chinese or
English names.

The Chinese header of each column is what the stations' spreadsheets use and what the templates
carry; it is part of the file format, so it is not translated. The aliases cover the usual
variants (身份证号 for 公民身份号码, 手机号码 for 联系电话 …) and the field's English name.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from fengqiao.core.importing import ImportFileError

# Columns the importer adds to an error file; ignored when the fixed file comes back.
LINE_COLUMN = "错误行号"
COLUMN_COLUMN = "错误列"
REASON_COLUMN = "错误原因"
ERROR_COLUMNS = (LINE_COLUMN, COLUMN_COLUMN, REASON_COLUMN)


@dataclass(frozen=True)
class Column:
    """One column a file of some kind may have."""

    field: str  # key of the row dict handed to the cleaning of the kind
    header: str  # the Chinese header, as in the template
    aliases: tuple[str, ...] = ()
    required: bool = False
    help: str = ""  # lazily translated: what goes in, for the template's instructions

    def names(self) -> tuple[str, ...]:
        return (self.header, self.field, *self.aliases)


@dataclass(frozen=True)
class Kind:
    """A kind of record that can be imported: its name on the command line and its columns."""

    name: str  # addresses, people, houses, organisations, relations
    record_kind: str  # RecordKind value
    label: str
    columns: tuple[Column, ...]
    # at least one column of each group must be present (e.g. an address by code or by text)
    one_of: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.field == name)


def C(field_name, header, *aliases, required=False, help=""):  # noqa: N802 - a table-building shorthand
    return Column(field_name, header, tuple(aliases), required, help)


_HEADER_NOISE = re.compile(r"[\s*＊:：_\-()（）]+")


def normalise_header(text: str) -> str:
    """Case, width, blanks, brackets and required-markers do not matter: 公民身份号码* = 公民身份 号码."""
    text = unicodedata.normalize("NFKC", text or "").lstrip("\ufeff")
    return _HEADER_NOISE.sub("", text).lower()


@dataclass(frozen=True)
class HeaderMap:
    """Where each known field sits in a file's rows, and which headers were ignored."""

    kind: Kind
    header: tuple[str, ...]
    positions: dict[str, int]  # field → index in the row
    ignored: tuple[str, ...]

    def has(self, field_name: str) -> bool:
        return field_name in self.positions

    def header_of(self, field_name: str) -> str:
        """The file's own header for a field (for error messages), else the template's."""
        index = self.positions.get(field_name)
        if index is not None:
            return self.header[index]
        column = next((c for c in self.kind.columns if c.field == field_name), None)
        return column.header if column is not None else field_name


def match_header(kind: Kind, header: list[str], *, file_name: str = "") -> HeaderMap:
    """Map a file's header to the kind's fields. ImportFileError when a required column is
    missing or two columns claim the same field."""
    lookup: dict[str, str] = {}
    for column in kind.columns:
        for name in column.names():
            lookup.setdefault(normalise_header(name), column.field)
    ignored_names = {normalise_header(n) for n in ERROR_COLUMNS}
    positions: dict[str, int] = {}
    ignored = []
    for index, text in enumerate(header):
        key = normalise_header(text)
        field_name = lookup.get(key)
        if field_name is None:
            if key and key not in ignored_names:
                ignored.append(text)
            continue
        if field_name in positions:
            raise ImportFileError(
                _("%(file)s: the columns %(a)s and %(b)s both mean %(field)s; keep one")
                % {
                    "file": file_name,
                    "a": header[positions[field_name]],
                    "b": text,
                    "field": kind.column(field_name).header,
                }
            )
        positions[field_name] = index
    missing = [c.header for c in kind.columns if c.required and c.field not in positions]
    for group in kind.one_of:
        if not any(f in positions for f in group):
            missing.append(" / ".join(kind.column(f).header for f in group))
    if missing:
        raise ImportFileError(
            _("%(file)s lacks the column(s) %(columns)s (found: %(found)s)")
            % {"file": file_name, "columns": ", ".join(missing), "found": ", ".join(h for h in header if h)}
        )
    return HeaderMap(kind, tuple(header), positions, tuple(ignored))


# ---------------------------------------------------------------------------------------------
