"""The audit log: registered actions, the acting context, and a keyed hash chain.

Every action (``<app>/actions.py``) calls :func:`record` inside its own transaction, so the audit
row commits or rolls back with the change it describes.

Each entry's hash is an HMAC (SM3 where OpenSSL offers it, else SHA-256) under the audit key, which
lives outside the database (docs/adr/0007); its ``prev_hash`` is the hash of the entry before it.
:func:`verify_chain` walks the chain and names the first entry that does not hold. Anchors
(:func:`write_anchor`) keep the head's hash and count outside the database, so a rewrite by
someone who holds the key still shows; :func:`archive` moves entries older than the retention
period into a signed file, and the chain left in the table starts where that file ends.
"""

import dataclasses
import datetime as dt
import functools
import gzip
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Generator, Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes, hmac
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from fengqiao.core import context
from fengqiao.core.models import AuditArchive, AuditChainHead, AuditEntry
from fengqiao.env import parse_key

logger = logging.getLogger(__name__)

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
ARCHIVE = register("audit_archive", "archived audit entries")
KEYED = register("audit_keyed", "began the keyed audit chain", needs_actor=False)


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


# --- keys and hashes -----------------------------------------------------------------------------

LEGACY = "sha256"  # entries written before the chain was keyed: plain SHA-256, no key
HMAC_SM3 = "hmac-sm3"
HMAC_SHA256 = "hmac-sha256"
_ALGORITHMS: dict[str, type[hashes.HashAlgorithm]] = {HMAC_SM3: hashes.SM3, HMAC_SHA256: hashes.SHA256}


class NoAuditKey(ImproperlyConfigured):
    """The audit key is needed and there is none here."""


@functools.cache
def preferred_scheme() -> str:
    """HMAC-SM3 (GB/T 32905) when this machine's OpenSSL offers it, else HMAC-SHA256."""
    return HMAC_SM3 if default_backend().hmac_supported(hashes.SM3()) else HMAC_SHA256


def audit_key(*, create: bool = True) -> bytes:
    """The audit key: ``FENGQIAO_AUDIT_KEY``, else the key file, which is made (random, 32 bytes,
    mode 0600) on first use when ``create`` is set. Never stored in the database."""
    if settings.AUDIT_KEY:
        return settings.AUDIT_KEY
    return _key_from_file(str(settings.AUDIT_KEY_FILE), create)


@functools.lru_cache(maxsize=8)
def _key_from_file(path: str, create: bool) -> bytes:
    file = Path(path)
    if not file.exists():
        if not create:
            raise NoAuditKey(
                f"no audit key: {file} does not exist (set FENGQIAO_AUDIT_KEY or FENGQIAO_AUDIT_KEY_FILE "
                "to the key the chain was written with)"
            )
        file.parent.mkdir(parents=True, exist_ok=True)
        draft = file.with_name(f".{file.name}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(draft, file)  # atomic, and never over a key another process made first
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return parse_key(f"the audit key file {file}", file.read_text())


def _mac(label: bytes, scheme: str, *, create: bool = True) -> hmac.HMAC:
    if scheme not in _ALGORITHMS:
        raise ValueError(f"unknown audit hash scheme {scheme!r}")
    mac = hmac.HMAC(audit_key(create=create), _ALGORITHMS[scheme]())
    mac.update(label + b"\n")  # what is signed is named, so no signature stands for another kind
    return mac


def sign(label: bytes, data: bytes, scheme: str, *, create: bool = True) -> str:
    mac = _mac(label, scheme, create=create)
    mac.update(data)
    return mac.finalize().hex()


def _signed(signature: str, label: bytes, data: bytes, scheme: str) -> bool:
    if scheme not in _ALGORITHMS:
        return False
    return secrets.compare_digest(signature, sign(label, data, scheme, create=False))


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


_HASHED = (
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "reason",
    "source",
    "request_id",
    "ip",
    "prev_hash",
)
_STORED = ("id", "created_at", *_HASHED, "scheme", "entry_hash")


def chain_hash(fields: Mapping, *, create: bool = True) -> str:
    """The hash of one entry from its stored values (a model's attributes or a ``values()`` row):
    the HMAC of its canonical JSON under the audit key, or plain SHA-256 for an unkeyed one."""
    payload = {name: fields[name] for name in _HASHED}
    payload["created_at"] = fields["created_at"].astimezone(dt.UTC).isoformat()
    scheme = fields["scheme"]
    if scheme == LEGACY:
        return hashlib.sha256(_canonical(payload)).hexdigest()
    payload["scheme"] = scheme
    return sign(b"entry", _canonical(payload), scheme, create=create)


def entry_hash(entry: AuditEntry) -> str:
    return chain_hash({name: getattr(entry, name) for name in ("created_at", *_HASHED, "scheme")})


def head_mac(last_hash: str, scheme: str, *, create: bool = True) -> str:
    """The chain head's signature: without the key, nobody can move the head back over a cut tail."""
    return sign(b"head", last_hash.encode(), scheme, create=create)


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
        entry.scheme = preferred_scheme()
        entry.prev_hash = _lock_chain_head()
        entry.entry_hash = entry_hash(entry)
        entry.save(force_insert=True)
        _move_chain_head(entry.entry_hash, entry.scheme)
    return entry


def _lock_chain_head() -> str:
    """The last hash, with the head row locked until the caller's transaction ends."""
    last = AuditChainHead.objects.select_for_update().filter(pk=1).values_list("last_hash", flat=True).first()
    if last is None:
        AuditChainHead.objects.create(pk=1, last_hash=GENESIS_HASH)
        return GENESIS_HASH
    return last


def _move_chain_head(last_hash: str, scheme: str) -> None:
    AuditChainHead.objects.filter(pk=1).update(last_hash=last_hash, mac=head_mac(last_hash, scheme))


def seal_legacy_chain(entry_model=AuditEntry, head_model=AuditChainHead) -> int | None:
    """Append one keyed entry after entries written before the chain was keyed (plain SHA-256),
    so that nobody without the key can rewrite them any more: the seal's HMAC covers the last
    unkeyed hash. Run once by migration 0009 (with its historical models); returns the seal's id,
    or None when the chain does not end in unkeyed entries."""
    with transaction.atomic():
        head = head_model.objects.select_for_update().filter(pk=1).first()
        last = entry_model.objects.order_by("-id").first()
        if last is None or last.scheme != LEGACY:
            return None
        scheme = preferred_scheme()
        unkeyed = entry_model.objects.filter(scheme=LEGACY).count()
        fields = {
            "created_at": timezone.now(),
            "actor_id": None,
            "actor_label": "",
            "action": KEYED.name,
            "object_type": "core.auditentry",
            "object_id": str(last.pk),
            "object_repr": "",
            "before": None,
            "after": to_json({"unkeyed_entries": unkeyed, "scheme": scheme}),
            "reason": "",
            "source": context.Source.CLI,
            "request_id": "",
            "ip": None,
            "prev_hash": last.entry_hash,
            "scheme": scheme,
        }
        seal = entry_model.objects.create(**fields, entry_hash=chain_hash(fields))
        signed = {"last_hash": seal.entry_hash, "mac": head_mac(seal.entry_hash, scheme)}
        if head is None:
            head_model.objects.create(pk=1, **signed)
        else:
            head_model.objects.filter(pk=1).update(**signed)
        return seal.pk


# --- verification and anchors -------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None = None
    problem: str = ""
    archived: int = 0  # entries before the cut, held by archive files
    anchors: int = 0  # anchors that held

    @property
    def ok(self) -> bool:
        return not self.problem


class AnchorError(ValueError):
    """An anchor file that cannot be read, or a line in it the audit key did not sign."""


@dataclass(frozen=True)
class Anchor:
    """The chain's head at one moment: how many entries it had, its last entry and that entry's
    hash; signed with the audit key. Kept outside the database, one line each."""

    at: dt.datetime
    count: int
    last_id: int
    head: str
    scheme: str
    mac: str = ""

    @property
    def body(self) -> str:
        at = self.at.astimezone(dt.UTC).isoformat(timespec="seconds")
        return f"{at} count={self.count} last_id={self.last_id} head={self.head} alg={self.scheme}"

    @property
    def line(self) -> str:
        return f"{self.body} mac={self.mac}"

    def signed(self) -> "Anchor":
        return dataclasses.replace(self, mac=sign(b"anchor", self.body.encode(), self.scheme))

    @classmethod
    def parse(cls, line: str) -> "Anchor":
        at, *pairs = line.split()
        fields = dict(pair.split("=", 1) for pair in pairs)
        return cls(
            dt.datetime.fromisoformat(at),
            int(fields["count"]),
            int(fields["last_id"]),
            fields["head"],
            fields["alg"],
            fields["mac"],
        )


def take_anchor() -> Anchor:
    """The chain's head now, signed. The head row is locked meanwhile, so no entry slips in between
    the count and the last entry."""
    with transaction.atomic():
        _lock_chain_head()
        cut = AuditArchive.objects.order_by("-last_id").first()
        last = AuditEntry.objects.order_by("-id").values_list("id", "entry_hash").first()
        count = (cut.total if cut else 0) + AuditEntry.objects.count()
    if last is None:
        last = (cut.last_id, cut.last_hash) if cut else (0, GENESIS_HASH)
    return Anchor(timezone.now(), count, last[0], last[1], preferred_scheme()).signed()


def write_anchor(path: Path | str | None = None) -> str:
    """Append the head's anchor to the anchor file (``FENGQIAO_AUDIT_ANCHOR_FILE``), which is only
    ever appended to, and log it (so a log shipped elsewhere keeps it too). Returns the line."""
    line = take_anchor().line
    file = Path(path or settings.AUDIT_ANCHOR_FILE)
    file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())
    logger.info("audit anchor %s", line)
    return line


def read_anchors(path: Path | str) -> list[Anchor]:
    """Every anchor in an anchor file, each checked against the audit key (blank lines and lines
    starting with # are skipped)."""
    anchors = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AnchorError(f"cannot read the anchor file {path}: {exc.strerror}") from None
    for number, text in enumerate(lines, 1):
        text = text.strip()
        if not text or text.startswith("#"):
            continue
        try:
            anchor = Anchor.parse(text)
        except (KeyError, ValueError):
            raise AnchorError(f"{path}, line {number}: not an anchor line") from None
        if not _signed(anchor.mac, b"anchor", anchor.body.encode(), anchor.scheme):
            raise AnchorError(f"{path}, line {number}: not signed by this audit key")
        anchors.append(anchor)
    return anchors


def _when(anchor: Anchor) -> str:
    return anchor.at.astimezone(dt.UTC).isoformat(timespec="seconds")


def verify_chain(batch_size: int = 5000, anchors: Iterable[Anchor] = ()) -> ChainReport:
    """Walk the chain in order from the last archive cut; report the first entry whose link or
    content does not hold, or that no longer matches an anchor."""
    anchors = list(anchors)
    cuts = list(AuditArchive.objects.order_by("last_id"))
    archived, broken = _check_cuts(cuts)
    if broken:
        return broken
    cut = cuts[-1] if cuts else None
    expected_prev = cut.last_hash if cut else GENESIS_HASH
    floor = cut.last_id if cut else 0
    live: list[Anchor] = []
    for anchor in sorted(anchors, key=lambda a: (a.last_id, a.at)):
        if anchor.last_id > floor:
            live.append(anchor)
        elif problem := _check_archived_anchor(anchor, cuts):
            return ChainReport(0, anchor.last_id, problem, archived)
    held = len(anchors) - len(live)  # those the archive cuts hold

    def broken_at(pk: int | None, problem: str) -> ChainReport:
        return ChainReport(checked, pk, problem, archived, held)

    checked, keyed, last_id, last_scheme, i = 0, False, None, None, 0
    rows = AuditEntry.objects.order_by("id").values(*_STORED).iterator(chunk_size=batch_size)
    for row in rows:
        pk, scheme = row["id"], row["scheme"]
        if i < len(live) and live[i].last_id < pk:
            return broken_at(live[i].last_id, f"it was anchored at {_when(live[i])} and is missing")
        if pk <= floor:
            return broken_at(pk, f"it should be in the archive that ends at #{floor}")
        if problem := _link_problem(row, expected_prev, keyed):
            return broken_at(pk, problem)
        keyed = keyed or scheme != LEGACY
        expected_prev, last_id, last_scheme = row["entry_hash"], pk, scheme
        checked += 1
        while i < len(live) and live[i].last_id == pk:
            anchor = live[i]
            if anchor.head != row["entry_hash"]:
                return broken_at(
                    pk,
                    f"its hash is not the one anchored at {_when(anchor)}: the chain was rewritten up to it",
                )
            if anchor.count != archived + checked:
                return broken_at(
                    pk,
                    f"{archived + checked} entries lead up to it, {anchor.count} did when it was anchored "
                    f"at {_when(anchor)}: entries before it were removed or added",
                )
            i += 1
            held += 1
    if i < len(live):
        return broken_at(
            live[i].last_id,
            f"it was anchored at {_when(live[i])} and is missing (the chain ends at #{last_id})",
        )
    if last_scheme == LEGACY:
        return broken_at(
            last_id, "the chain ends in entries that are not keyed: anyone could have written them"
        )
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        if checked or cuts:
            return broken_at(last_id, "the chain head is missing")
        return broken_at(None, "")
    if head.last_hash != expected_prev:
        return broken_at(last_id, "entries after it are missing: the chain head names another hash")
    if last_scheme is not None and not secrets.compare_digest(
        head.mac, head_mac(head.last_hash, last_scheme, create=False)
    ):
        return broken_at(last_id, "the chain head is not signed by this audit key")
    return broken_at(None, "")


_CUT_NAMES = (
    "archived_at",
    "before",
    "first_id",
    "last_id",
    "count",
    "total",
    "first_prev_hash",
    "last_hash",
    "file_name",
    "file_hmac",
    "scheme",
)


def _cut_fields(cut: Mapping) -> dict:
    """What an archive cut's signature covers: the same in its database row and its .sig file."""
    fields = {name: cut[name] for name in _CUT_NAMES}
    fields["archived_at"], fields["before"] = _iso(cut["archived_at"]), _iso(cut["before"])
    return fields


def _iso(value: dt.datetime | str) -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(dt.UTC).isoformat()


def _check_cuts(cuts: list[AuditArchive]) -> tuple[int, ChainReport | None]:
    """The archive cuts are signed and follow one another; returns the entries they hold."""
    prev_hash, total, prev_last = GENESIS_HASH, 0, 0
    for cut in cuts:
        signed = _canonical(_cut_fields({name: getattr(cut, name) for name in _CUT_NAMES}))
        if not _signed(cut.mac, b"archive", signed, cut.scheme):
            return total, ChainReport(
                0, cut.last_id, f"the archive cut {cut.file_name} is not signed by this audit key"
            )
        if cut.first_prev_hash != prev_hash or cut.first_id <= prev_last or cut.total != total + cut.count:
            return total, ChainReport(
                0, cut.first_id, f"the archive cut {cut.file_name} does not follow the one before it"
            )
        prev_hash, total, prev_last = cut.last_hash, cut.total, cut.last_id
    return total, None


def _check_archived_anchor(anchor: Anchor, cuts: list[AuditArchive]) -> str:
    """An anchor whose entry was archived since: it must lie in a cut, within its count."""
    for cut in cuts:
        if cut.first_id <= anchor.last_id <= cut.last_id:
            if not cut.total - cut.count < anchor.count <= cut.total:
                return (
                    f"it was anchored at {_when(anchor)} as entry number {anchor.count}, "
                    f"which archive {cut.file_name} does not hold"
                )
            if anchor.last_id == cut.last_id and (anchor.head, anchor.count) != (cut.last_hash, cut.total):
                return f"its hash is not the one anchored at {_when(anchor)} (archive {cut.file_name})"
            return ""
    if anchor.last_id == 0 and anchor.count == 0:
        return ""
    return f"it was anchored at {_when(anchor)} and no archive cut holds it"


# --- archive ------------------------------------------------------------------------------------

ARCHIVE_FORMAT = "fengqiao-audit-archive/1"


class ArchiveRefused(ValueError):
    """An archive that must not be made: inside the retention period, or of a broken chain."""


def retention_start(now: dt.datetime | None = None) -> dt.datetime:
    """Entries from this moment on are kept in the table (``FENGQIAO_AUDIT_RETENTION_DAYS``)."""
    return (now or timezone.now()) - dt.timedelta(days=settings.AUDIT_RETENTION_DAYS)


def _file_hmac(path: Path, scheme: str, *, create: bool = True) -> str:
    mac = _mac(b"archive-file", scheme, create=create)
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            mac.update(block)
    return mac.finalize().hex()


def _entry_line(row: Mapping) -> str:
    stored = {**row, "created_at": row["created_at"].astimezone(dt.UTC).isoformat()}
    return json.dumps(stored, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)


def archive(before: dt.datetime, *, batch_size: int = 5000) -> AuditArchive | None:
    """Move the entries written before ``before`` (which must lie before the retention period)
    into ``FENGQIAO_AUDIT_ARCHIVE_DIR``: a gzip'd JSON-lines file and its ``.sig`` (signed with
    the audit key, with the first and last hash), then delete them from the table and record the
    archive as an audit entry, in one transaction. Returns the cut, or None when nothing is older.

    The archived part of the chain is verified as it is written: a broken chain is not archived."""
    limit = retention_start()
    if before > limit:
        raise ArchiveRefused(
            f"{before:%Y-%m-%d} is inside the retention period ({settings.AUDIT_RETENTION_DAYS} days): "
            f"only entries before {limit:%Y-%m-%d %H:%M} may be archived"
        )
    directory = Path(settings.AUDIT_ARCHIVE_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        with transaction.atomic():
            _lock_chain_head()
            prev = AuditArchive.objects.order_by("-last_id").first()
            rows = AuditEntry.objects.order_by("id")
            stop = rows.filter(created_at__gte=before).values_list("id", flat=True).first()
            if stop is not None:
                rows = rows.filter(id__lt=stop)
            ends = rows.aggregate(first=models.Min("id"), last=models.Max("id"), count=models.Count("id"))
            if not ends["count"]:
                return None
            last_hash = rows.filter(id=ends["last"]).values_list("entry_hash", flat=True).get()
            scheme = preferred_scheme()
            name = f"audit-{ends['first']:012d}-{ends['last']:012d}.jsonl.gz"
            fields = {
                "archived_at": timezone.now(),
                "before": before,
                "first_id": ends["first"],
                "last_id": ends["last"],
                "count": ends["count"],
                "total": (prev.total if prev else 0) + ends["count"],
                "first_prev_hash": prev.last_hash if prev else GENESIS_HASH,
                "last_hash": last_hash,
                "file_name": name,
                "scheme": scheme,
            }
            path = directory / name
            if path.exists():
                raise ArchiveRefused(f"{path} exists already")
            written.append(path)
            _write_archive(path, _stored_rows(rows, batch_size), fields)
            fields["file_hmac"] = _file_hmac(path, scheme)
            fields["mac"] = sign(b"archive", _canonical(_cut_fields(fields)), scheme)
            signature = {"format": ARCHIVE_FORMAT, **_cut_fields(fields), "mac": fields["mac"]}
            sig = path.with_name(name + ".sig")
            written.append(sig)
            _write_durably(sig, json.dumps(signature, ensure_ascii=False, indent=1).encode())
            cut = AuditArchive.objects.create(**fields)
            deleted = AuditEntry.objects.delete_archived(cut)
            if deleted != cut.count:
                raise ArchiveRefused(
                    f"{deleted} entries were deleted, {cut.count} archived: nothing is archived"
                )
            record(
                ARCHIVE,
                cut,
                after={
                    "file": name,
                    "first_id": cut.first_id,
                    "last_id": cut.last_id,
                    "count": cut.count,
                    "before": before,
                    "last_hash": cut.last_hash,
                },
            )
            return cut
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _write_durably(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _stored_rows(rows: models.QuerySet, batch_size: int) -> Generator[dict, None, None]:
    yield from rows.values(*_STORED).iterator(chunk_size=batch_size)  # closing this closes the cursor


def _write_archive(path: Path, rows: Generator[dict, None, None], fields: Mapping) -> None:
    """The header line, then one line per entry, each checked on the way: its link, its hash."""
    described = _cut_fields({**fields, "file_hmac": ""})
    header = {"format": ARCHIVE_FORMAT, **{k: v for k, v in described.items() if k != "file_hmac"}}
    expected_prev, keyed, count = fields["first_prev_hash"], False, 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    # The rows' cursor is closed here even on a refusal, before the transaction rolls back
    # (a server-side cursor on PostgreSQL cannot be closed after).
    with closing(rows), os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as out:
        out.write((json.dumps(header, ensure_ascii=False) + "\n").encode())
        for row in rows:
            problem = _link_problem(row, expected_prev, keyed)
            if problem:
                raise ArchiveRefused(
                    f"the audit chain is broken at entry #{row['id']} ({problem}): nothing is archived"
                )
            keyed = keyed or row["scheme"] != LEGACY
            expected_prev = row["entry_hash"]
            count += 1
            out.write((_entry_line(row) + "\n").encode())
        out.close()
        raw.flush()
        os.fsync(raw.fileno())
    if count != fields["count"] or expected_prev != fields["last_hash"]:
        raise ArchiveRefused("the entries changed while they were archived: nothing is archived")


def _link_problem(row: Mapping, expected_prev: str, keyed: bool) -> str:
    scheme = row["scheme"]
    if scheme == LEGACY and keyed:
        return "it is not keyed (plain SHA-256) but follows keyed entries"
    if scheme != LEGACY and scheme not in _ALGORITHMS:
        return f"its hash scheme {scheme!r} is unknown"
    if row["prev_hash"] != expected_prev:
        return "its link to the previous entry is broken"
    if chain_hash(row, create=False) != row["entry_hash"]:
        return "its content does not match its hash"
    return ""


@dataclass(frozen=True)
class ArchiveReport:
    checked: int
    first_id: int | None = None
    last_id: int | None = None
    broken_at: int | None = None
    problem: str = ""
    in_database: bool = False  # this database has the cut, and it is the same

    @property
    def ok(self) -> bool:
        return not self.problem


def verify_archive(path: Path | str) -> ArchiveReport:
    """Check an archive file against its ``.sig`` and the audit key, then walk its inner chain from
    the first entry's link to the last hash the signature names."""
    path = Path(path)
    try:
        signature = json.loads(path.with_name(path.name + ".sig").read_text(encoding="utf-8"))
        fields = _cut_fields(signature)
        mac, scheme = signature["mac"], signature["scheme"]
    except (OSError, ValueError, KeyError, TypeError):
        return ArchiveReport(0, problem=f"{path.name}.sig is missing or unreadable beside it")
    first_id, last_id = fields["first_id"], fields["last_id"]
    if not _signed(mac, b"archive", _canonical(fields), scheme):
        return ArchiveReport(
            0, first_id, last_id, problem="its signature file is not signed by this audit key"
        )
    if not secrets.compare_digest(_file_hmac(path, scheme, create=False), fields["file_hmac"]):
        return ArchiveReport(0, first_id, last_id, problem="the file is not the one its signature signed")
    expected_prev, keyed, checked, previous_id = fields["first_prev_hash"], False, 0, 0
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        header = json.loads(next(lines))
        if header.get("format") != ARCHIVE_FORMAT or header.get("last_hash") != fields["last_hash"]:
            return ArchiveReport(0, first_id, last_id, problem="its header does not match its signature")
        for line in lines:
            row = json.loads(line)
            row["created_at"] = dt.datetime.fromisoformat(row["created_at"])
            problem = _link_problem(row, expected_prev, keyed)
            if not problem and not (first_id <= row["id"] <= last_id and row["id"] > previous_id):
                problem = "its id is out of the archive's order"
            if problem:
                return ArchiveReport(checked, first_id, last_id, row["id"], problem)
            keyed = keyed or row["scheme"] != LEGACY
            expected_prev, previous_id = row["entry_hash"], row["id"]
            checked += 1
    if checked != fields["count"] or expected_prev != fields["last_hash"]:
        return ArchiveReport(
            checked, first_id, last_id, previous_id or None, "entries are missing from it: it ends elsewhere"
        )
    cut = AuditArchive.objects.filter(last_id=last_id).first()
    if cut is not None and cut.mac != mac:
        return ArchiveReport(
            checked, first_id, last_id, problem="this database's cut at that entry is another one"
        )
    return ArchiveReport(checked, first_id, last_id, in_database=cut is not None)
