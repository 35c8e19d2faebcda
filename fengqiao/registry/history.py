"""Record history: one append-only row per change of one registry record (who, when, source, the
changed fields before → after).

The actions write one row per record they change through :func:`record_change`; the bulk importer
builds the same rows with :func:`creation_row` and :func:`history_row` and writes thousands at a
time with :func:`write_history`,
which numbers the versions with one query per chunk. The full values are kept here (this is the
record's own data); pages mask ID numbers and phones when they show it (:func:`masked_changes`),
and the audit log only ever gets the masked form (:func:`masked`).
"""

from collections import defaultdict
from collections.abc import Iterable
from functools import cache

from django.db import connection
from django.db.models import Max, Q
from django.utils import timezone

from fengqiao.core import audit, context, crypto
from fengqiao.core.importing import copy_in
from fengqiao.registry.choices import HistoryAction, RecordKind
from fengqiao.registry.models import (
    Address,
    CareTag,
    Employment,
    House,
    Organisation,
    Person,
    RecordHistory,
    Residence,
)
from fengqiao.registry.validators import mask_birth_date, mask_id_number, mask_phone

KIND_OF_MODEL = {
    Address: RecordKind.ADDRESS,
    Person: RecordKind.PERSON,
    House: RecordKind.HOUSE,
    Organisation: RecordKind.ORGANISATION,
    Residence: RecordKind.RELATION,
    Employment: RecordKind.RELATION,
    CareTag: RecordKind.CARE_TAG,
}

# Columns that are derived or bookkeeping: not part of a record's history.
IGNORED_FIELDS = {
    "id",
    "created_at",
    "updated_at",
    "scope_path",
    "name_pinyin",
    "name_initials",
    "full_text",
    "match_key",  # registry.addressing derives it from the full text
    # keyed hashes of encrypted fields (core.crypto): derived, and not to be kept beside the history
    "id_number_hash",
    "phone_hash",
}

# Fields shown masked wherever a change is displayed or logged.
MASKERS = {
    "id_number": mask_id_number,
    "legal_representative_id": mask_id_number,
    "phone": mask_phone,
    "birth_date": mask_birth_date,
}

CHUNK = 2000


def kind_of(record) -> str:
    return KIND_OF_MODEL[type(record)]


def snapshot(record) -> dict:
    """The record's own values as JSON, keyed by column (``grid_id`` for foreign keys)."""
    return audit.snapshot(record, _own_fields(type(record)))


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields that differ, on each side."""
    return audit.diff(before, after)


def masked(values: dict | None) -> dict | None:
    """The same values with ID numbers and phones masked, for the audit log and pages."""
    if values is None:
        return None
    return {k: (MASKERS[k](v) if k in MASKERS and v else v) for k, v in values.items()}


def audited(record, values: dict | None) -> dict | None:
    """The values as the audit log keeps them: masked, and the text of an encrypted field that has
    no mask (a care tag's note) left out, since the log is hashed and cannot be encrypted."""
    values = masked(values)
    if values is None:
        return None
    secret = {f.attname for f in type(record)._meta.concrete_fields if isinstance(f, crypto.EncryptedMixin)}
    return {k: ("***" if k in secret and k not in MASKERS and v else v) for k, v in values.items()}


def history_row(
    record,
    *,
    action: str,
    before: dict | None = None,
    after: dict | None = None,
    actor=None,
    source: str | None = None,
    reason: str = "",
    batch=None,
    created_at=None,
) -> RecordHistory:
    """An unsaved history row (version to be numbered by :func:`write_history`)."""
    ctx = context.current()
    if actor is None and ctx is not None:
        actor = ctx.actor
    return RecordHistory(
        record_kind=kind_of(record),
        record_model=record._meta.model_name,
        record_id=record.pk,
        action=action,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        source=source or (ctx.source if ctx else context.Source.CLI),
        before=audit.to_json(before or {}),
        after=audit.to_json(after or {}),
        reason=reason,
        batch=batch,
        created_at=created_at or timezone.now(),
    )


def _next_versions(rows: list[RecordHistory]) -> None:
    """Number the rows: each record's versions continue from its last stored one, in row order."""
    missing = [r for r in rows if not r.version]
    if not missing:
        return
    keys = defaultdict(set)
    for r in missing:
        keys[(r.record_kind, r.record_model)].add(r.record_id)
    last: dict[tuple, int] = {}
    for (kind, model), ids in keys.items():
        ids = sorted(ids)
        for i in range(0, len(ids), CHUNK):
            found = (
                RecordHistory.objects.filter(
                    Q(record_kind=kind, record_model=model, record_id__in=ids[i : i + CHUNK])
                )
                .values("record_id")
                .annotate(last=Max("version"))
            )
            for item in found:
                last[(kind, model, item["record_id"])] = item["last"]
    for r in missing:
        key = (r.record_kind, r.record_model, r.record_id)
        r.version = last.get(key, 0) + 1
        last[key] = r.version


def write_history(rows: Iterable[RecordHistory]) -> int:
    """Append many history rows (from :func:`history_row`) in bulk; returns how many were written.
    Call it inside the transaction of the change it describes."""
    rows = list(rows)
    if not rows:
        return 0
    _next_versions(rows)
    if connection.vendor == "postgresql" and len(rows) >= CHUNK:
        copy_in(rows)  # an import's thousands (docs/adr/0005)
    else:
        RecordHistory.objects.bulk_create(rows, batch_size=CHUNK)
    return len(rows)


def record_change(
    record,
    *,
    action: str,
    before: dict | None,
    after: dict | None = None,
    actor=None,
    reason: str = "",
    batch=None,
) -> RecordHistory | None:
    """Write the history row of one change of one record, given full snapshots before and after
    (``before`` is None for a creation). Only changed fields are kept; an update that changed
    nothing writes nothing and returns None."""
    after = after if after is not None else snapshot(record)
    if before is None:
        row = creation_row(record, action=action, after=after, actor=actor, reason=reason, batch=batch)
    else:
        old, new = changes(before, after)
        if not old and not new and action == HistoryAction.UPDATE:
            return None
        row = history_row(
            record, action=action, before=old, after=new, actor=actor, reason=reason, batch=batch
        )
    write_history([row])
    return row


def creation_row(
    record, *, action: str = HistoryAction.CREATE, after: dict | None = None, **fields
) -> RecordHistory:
    """The unsaved history row of a record's creation: the fields that have a value (of ``after``,
    else the record's own), as :func:`record_change` keeps them. ``fields`` as :func:`history_row`
    takes them."""
    if after is None:  # history_row makes the values JSON, once
        after = {name: getattr(record, name) for name in _own_fields(type(record))}
    return history_row(
        record, action=action, after={k: v for k, v in after.items() if v not in (None, "", False)}, **fields
    )


@cache
def _own_fields(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if f.attname not in IGNORED_FIELDS]


def redact(record, fields) -> int:
    """Blank ``fields`` (every field when None) in the history of one record: only for the
    anonymisation of a departed person (``actions.anonymise_departed``)."""
    return RecordHistory.objects.filter(
        record_kind=kind_of(record), record_model=record._meta.model_name, record_id=record.pk
    ).redact(fields)


def masked_changes(row: RecordHistory) -> list[tuple[str, object, object]]:
    """(field, before, after) of one history row, with ID numbers and phones masked."""
    before, after = masked(row.before) or {}, masked(row.after) or {}
    return [(name, before.get(name), after.get(name)) for name in row.changed_fields]


def history_of(record):
    """The history rows of one record, oldest first. The caller has fetched the record through
    its scope already (``selectors.history_of`` is the checked door)."""
    return (
        RecordHistory.objects.filter(
            record_kind=kind_of(record), record_model=record._meta.model_name, record_id=record.pk
        )
        .select_related("actor", "batch")
        .order_by("version")
    )
