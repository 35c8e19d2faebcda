"""What one request reads of the registry's personal data, collected as its records load.

``RegistryRecord.from_db`` notes every person, house and organisation loaded while a collection is
open (the web and API middleware opens one per request, ``registry.access.ReadAuditMiddleware``);
other code notes what it reads without loading models (exports, an event's photo). At the end of
the request ``registry.access`` writes what was collected as one audit entry. Outside a collection
(the CLI, the worker, the tests' own set-up) nothing is noted.

This module imports no model, so the models can import it.
"""

import contextlib
import contextvars
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

PERSON = "person"
HOUSE = "house"
ORGANISATION = "organisation"
EVENT_PHOTO = "event_photo"
EXPORT = "export"


@dataclass
class Reads:
    """The records one request read, by kind, in the order first read; its purpose; and how many
    exact-number look-ups it made (registry.access.exact_lookup)."""

    purpose: str = ""
    note: str = ""
    ids: dict[str, dict] = field(default_factory=dict)
    lookups: int = 0
    refused: bool = False  # a look-up past the limit, to put on the record after the request

    def add(self, kind: str, pk) -> None:
        if pk is not None:
            self.ids.setdefault(kind, {})[pk] = None

    def of(self, kind: str) -> list:
        return list(self.ids.get(kind, ()))

    def __bool__(self) -> bool:
        return bool(self.lookups or self.refused or any(self.ids.values()))


_current: contextvars.ContextVar[Reads | None] = contextvars.ContextVar("fengqiao_reads", default=None)


def current() -> Reads | None:
    return _current.get()


def note(kind: str, pk) -> None:
    reads = _current.get()
    if reads is not None:
        reads.add(kind, pk)


def note_many(kind: str, pks: Iterable) -> None:
    reads = _current.get()
    if reads is not None:
        for pk in pks:
            reads.add(kind, pk)


@contextlib.contextmanager
def collecting(purpose: str = "", note: str = "") -> Iterator[Reads]:
    """Collect the reads of the block (nested collections each keep their own)."""
    token = _current.set(Reads(purpose=purpose, note=note))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Load records without noting them: the reads machinery's own look-ups (who was read, for
    the access history), which are not reads of the records themselves."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)
