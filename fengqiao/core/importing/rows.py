"""A file's data rows as the importers see them, the reason a row is rejected, and the rows in
chunks (one transaction each)."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError


class RowRejected(Exception):
    """A row that cannot go in: the field at fault (its column) and the reason."""

    def __init__(self, field_name: str, reason: str, parts: list[tuple[str, str]] | None = None):
        super().__init__(reason)
        self.field = field_name
        self.reason = str(reason)
        # Several fields at fault: (field, reason) each, for the error file to name by their headers.
        self.parts = parts or []


def rejected_from(exc: Exception, default_field: str = "") -> RowRejected:
    """One RowRejected from an action's ValidationError (every field's messages, the first field
    named as the column) or a rule's ValueError (its message)."""
    if not isinstance(exc, ValidationError):
        return RowRejected(default_field, str(exc))
    if hasattr(exc, "error_dict"):
        items = [(name, " ".join(str(m) for m in messages)) for name, messages in exc.message_dict.items()]
        first = items[0][0] if items else default_field
        if first == "__all__":
            first = default_field
        if len(items) == 1:
            return RowRejected(first, items[0][1])
        return RowRejected(first, "; ".join(f"{name}: {text}" for name, text in items), parts=items)
    return RowRejected(default_field, " ".join(str(m) for m in exc.messages))


@dataclass(slots=True)
class Row:
    """One data row: its line, its cells as read (for the error file), and the known fields that
    have a value (cells left empty mean "not given": they never erase a stored value)."""

    line: int
    cells: list[str]
    data: dict[str, str]
    key: object = None


def chunks(table, header, chunk_size: int):
    """The table's rows as lists of at most ``chunk_size`` Rows; a row's ``data`` holds the
    fields ``header`` (a ``columns.HeaderMap``) knows that have a value."""
    positions = list(header.positions.items())
    chunk: list[Row] = []
    for line, cells in table.rows():
        chunk.append(Row(line, cells, {name: cells[i] for name, i in positions if cells[i]}))
        if len(chunk) >= chunk_size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
