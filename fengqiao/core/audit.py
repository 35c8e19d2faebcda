"""The audit log: registered actions, the acting context, and a hash-chained append.

Every action (``<app>/actions.py``) calls :func:`record` inside its own transaction, so the audit
row commits or rolls back with the change it describes.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from fengqiao.core import context
from fengqiao.core.models import AuditChainHead, AuditEntry

GENESIS_HASH = "0" * 64


class MissingActor(RuntimeError):
    """A change was attempted with nobody to answer for it."""


@dataclass(frozen=True)
class AuditAction:
    name: str
    label: str
    needs_actor: bool = True


_REGISTRY: dict[str, AuditAction] = {}


def register(name: str, label: str, *, needs_actor: bool = True) -> AuditAction:
    """Register an audit action once, under a stable name (after Sentry's audit_log manager)."""
    existing = _REGISTRY.get(name)
    if existing is not None and existing.label != label:
        raise ValueError(f"audit action {name!r} is already registered as {existing.label!r}")
    action = _REGISTRY[name] = AuditAction(name, label, needs_actor)
    return action


def registered() -> dict[str, AuditAction]:
    return dict(_REGISTRY)


VIEW = register("view", "viewed")
CREATE = register("create", "created")
UPDATE = register("update", "updated")
RETIRE = register("retire", "retired")
EXPORT = register("export", "exported")
IMPORT = register("import", "imported")
REVEAL = register("reveal", "revealed personal data")
LOGIN = register("login", "logged in")
LOGOUT = register("logout", "logged out")
LOGIN_FAILED = register("login_failed", "failed to log in", needs_actor=False)
TOKEN_CREATE = register("token_create", "created an API token")
TOKEN_REVOKE = register("token_revoke", "revoked an API token")


def to_json(value):
    """Normalise a value to what a JSON column gives back, so hashes match after a round trip."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict:
    """The stored values of a model instance, for the before/after of an audit entry."""
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    return to_json({name: getattr(instance, name) for name in names})


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields that changed, on each side."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def entry_hash(entry: AuditEntry) -> str:
    payload = {
        "created_at": entry.created_at.astimezone(dt.UTC).isoformat(),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
        "source": entry.source,
        "request_id": entry.request_id,
        "ip": entry.ip,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(
    action: AuditAction | str,
    obj: models.Model | None = None,
    *,
    actor=None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEntry:
    """Append one audit entry. Raises MissingActor when a change has no one acting."""
    name = action.name if isinstance(action, AuditAction) else action
    if name not in _REGISTRY:
        raise ValueError(f"unregistered audit action {name!r}")
    ctx = context.current()
    actor = actor if actor is not None else (ctx.actor if ctx else None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if actor is None and _REGISTRY[name].needs_actor:
        raise MissingActor(f"audit action {name!r} has no actor: set one with core.context.acting_as")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    entry = AuditEntry(
        actor=actor,
        actor_label=actor.get_username() if actor else "",
        action=name,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        before=to_json(before),
        after=to_json(after),
        reason=reason,
        source=ctx.source if ctx else context.Source.CLI,
        request_id=ctx.request_id if ctx else "",
        ip=ctx.ip if ctx else None,
    )
    # No savepoint: a failed append fails the caller's transaction, whose change it records.
    with transaction.atomic(savepoint=False):
        entry.created_at = timezone.now()
        entry.prev_hash = _lock_chain_head()
        entry.entry_hash = entry_hash(entry)
        entry.save(force_insert=True)
        _move_chain_head(entry.entry_hash)
    return entry


def _lock_chain_head() -> str:
    """The last hash, with the head row locked until the caller's transaction ends."""
    last = AuditChainHead.objects.select_for_update().filter(pk=1).values_list("last_hash", flat=True).first()
    if last is None:
        AuditChainHead.objects.create(pk=1, last_hash=GENESIS_HASH)
        return GENESIS_HASH
    return last


def _move_chain_head(last_hash: str) -> None:
    AuditChainHead.objects.filter(pk=1).update(last_hash=last_hash)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the chain in order; report the first entry whose link or content does not hold."""
    expected_prev = GENESIS_HASH
    checked = 0
    last_id = None
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=batch_size):
        if entry.prev_hash != expected_prev:
            return ChainReport(checked, entry.pk, "its link to the previous entry is broken")
        if entry_hash(entry) != entry.entry_hash:
            return ChainReport(checked, entry.pk, "its content does not match its hash")
        expected_prev = entry.entry_hash
        last_id = entry.pk
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != expected_prev:
        return ChainReport(
            checked, last_id, "entries after it are missing: the chain head names another hash"
        )
    return ChainReport(checked)
