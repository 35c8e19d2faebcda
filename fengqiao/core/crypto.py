"""Personal data encrypted at rest (docs/adr/0010): the data keys, the ciphers, the keyed index, and
the model fields that use them.

- :class:`EncryptedCharField` / :class:`EncryptedTextField` store a value as
  ``<cipher>:<key id>:<base64 of nonce | ciphertext | tag>`` (AES-256-GCM by default, SM4-GCM when
  ``FENGQIAO_DATA_CIPHER=sm4-gcm``), the table and column as associated data so a value cannot be
  moved to another column. They decrypt as rows load (``from_db_value``) and encrypt as values are
  written (``get_prep_value``): forms, the API, the importer's ``bulk_create`` and ``COPY`` and the
  demo all write through them, and nothing else encrypts.
- :class:`BlindIndexField` keeps a keyed hash (HMAC-SM3 where OpenSSL offers it, else HMAC-SHA256,
  under an index key of its own) of its source field, set as the row is saved. An encrypted field
  named with ``indexed_by`` answers ``exact`` and ``in`` through that column, so
  ``Person.objects.filter(id_number=...)`` keeps working; any other look-up (a prefix, a range,
  ``icontains``) on an encrypted field is refused, loudly, since it could only ever match nothing.
- :class:`SealedJSONField` encrypts the values of named keys inside a JSON object (a record's
  history keeps whole ID numbers and phones).

Keys live outside the database: ``FENGQIAO_DATA_KEYS`` (``index:<key>,1:<key>,2:<key>``, hex or
base64, the last one encrypts) or the key file ``FENGQIAO_DATA_KEYS_FILE`` (default
``DATA_DIR/data.keys``), made with mode 0600 on first use as the audit and backup keys are. Older
keys stay in the ring to decrypt what they wrote until ``fengqiao keys rotate`` has re-encrypted it.
"""

import base64
import functools
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models import Lookup
from django.db.models.lookups import Exact, In, IsNull

from fengqiao.env import parse_key

AES_GCM = "aes-256-gcm"
SM4_GCM = "sm4-gcm"
CIPHERS = (AES_GCM, SM4_GCM)
# The tag a stored value starts with, per cipher: "aes:<key id>:…", "sm4:<key id>:…".
_TAGS = {AES_GCM: "aes", SM4_GCM: "sm4"}
_CIPHER_OF_TAG = {tag: name for name, tag in _TAGS.items()}
INDEX_SCHEMES = {"hmac-sm3": hashes.SM3, "hmac-sha256": hashes.SHA256}
INDEX_BYTES = 16  # 128 bits of the HMAC: no collision among a province's people
NONCE_BYTES = 12


class NoDataKey(ImproperlyConfigured):
    """The data keys are needed and cannot be read, or a value names a key the ring lacks."""


class Undecryptable(ValueError):
    """A stored value that does not authenticate under its key (changed, moved, or a wrong key)."""


# --- keys -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keyring:
    """The data keys: key id → key (the last one encrypts), and the index key with its scheme."""

    keys: dict[str, bytes]
    current: str
    index_key: bytes
    index_scheme: str
    source: str


def _preferred_index_scheme() -> str:
    return "hmac-sm3" if default_backend().hmac_supported(hashes.SM3()) else "hmac-sha256"


def _parse_lines(lines: list[str], source: str) -> Keyring:
    keys: dict[str, bytes] = {}
    index_key, scheme = None, ""
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if parts[0] == "index" and len(parts) == 3 and parts[1] in INDEX_SCHEMES:
            index_key, scheme = parse_key(f"{source}, line {number}", parts[2]), parts[1]
        elif parts[0] == "key" and len(parts) == 3 and parts[1].isalnum():
            keys[parts[1]] = parse_key(f"{source}, line {number}", parts[2])
        else:
            raise NoDataKey(f"{source}, line {number}: expected 'index <scheme> <key>' or 'key <id> <key>'")
    if index_key is None or not keys:
        raise NoDataKey(f"{source}: needs one 'index' line and at least one 'key' line")
    return Keyring(keys, list(keys)[-1], index_key, scheme, source)


def _from_env(raw: str) -> Keyring:
    lines = []
    for item in raw.split(","):
        name, _sep, key = item.strip().partition(":")
        if name == "index":
            lines.append(f"index {_preferred_index_scheme()} {key}")
        else:
            lines.append(f"key {name} {key}")
    return _parse_lines(lines, "FENGQIAO_DATA_KEYS")


def new_key_line(key_id: str) -> str:
    return f"key {key_id} {secrets.token_hex(32)}\n"


def _create_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(
            "# Fengqiao data keys (docs/adr/0010). Keep this file apart from the database and its backups.\n"
            f"index {_preferred_index_scheme()} {secrets.token_hex(32)}\n" + new_key_line("1")
        )
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(draft, path)  # atomic, and never over a file another process made first
    except FileExistsError:
        pass
    finally:
        draft.unlink()


@functools.lru_cache(maxsize=1)
def keyring() -> Keyring:
    """The data keys, read once per process (``reload_keys`` after a rotation adds one)."""
    raw = settings.DATA_KEYS
    if raw:
        return _from_env(raw)
    path = Path(settings.DATA_KEYS_FILE)
    if not path.exists():
        if _database_holds_hashes():
            # A new key would read nothing already stored and find no one by number: a restored or
            # moved database needs the key file that goes with it.
            raise NoDataKey(
                f"no data keys: {path} does not exist, yet the database holds values written under a "
                "data key (set FENGQIAO_DATA_KEYS or FENGQIAO_DATA_KEYS_FILE to the keys it was written with)"
            )
        _create_file(path)
    return _parse_lines(path.read_text().splitlines(), str(path))


def _database_holds_hashes() -> bool:
    """Whether any row has a keyed hash, i.e. was written under a data key (the hash columns are
    plain: looking at them decrypts nothing and so needs no key)."""
    from django.db import connection
    from django.db.models import Q

    tables = set(connection.introspection.table_names())  # a fresh database may not have them yet
    for model in models_with_encrypted_fields():
        if model._meta.db_table not in tables:
            continue
        for f in model._meta.concrete_fields:
            if isinstance(f, BlindIndexField):
                written = ~Q(**{f.attname: ""}) & Q(**{f"{f.attname}__isnull": False})
                if model._base_manager.filter(written).exists():
                    return True
    return False


def forget_keys() -> None:
    """Drop every key this process read or derived (the ring, its ciphers, the index MAC): the next
    use reads them afresh. A cipher kept for a key id after the ring changed would go on using the
    old key's material under that id."""
    keyring.cache_clear()
    _aead.cache_clear()
    _index_mac.cache_clear()


def reload_keys() -> Keyring:
    forget_keys()
    return keyring()


def add_key() -> str:
    """Append a new key to the key file, which then encrypts; returns its id. Keys given in the
    environment are the operator's to add (there is no file to write)."""
    ring = keyring()
    if settings.DATA_KEYS:
        raise NoDataKey("the data keys come from FENGQIAO_DATA_KEYS: add the new key there, then rotate")
    numbers = [int(k) for k in ring.keys if k.isdigit()]
    key_id = str(max(numbers, default=0) + 1)
    with open(settings.DATA_KEYS_FILE, "a") as out:
        out.write(new_key_line(key_id))
        out.flush()
        os.fsync(out.fileno())
    reload_keys()
    return key_id


# --- ciphers ------------------------------------------------------------------------------------


def cipher_name() -> str:
    return settings.DATA_CIPHER


@functools.lru_cache(maxsize=16)
def _aead(cipher: str, key_id: str):
    ring = keyring()
    if key_id not in ring.keys:
        ring = reload_keys()  # another process may have added it (a rotation)
        if key_id not in ring.keys:
            raise NoDataKey(f"a stored value names data key {key_id!r}, which {ring.source} does not hold")
    length = 32 if cipher == AES_GCM else 16
    key = HKDF(hashes.SHA256(), length, salt=None, info=f"fengqiao {cipher}".encode()).derive(
        ring.keys[key_id]
    )
    return AESGCM(key) if cipher == AES_GCM else _Sm4Gcm(key)


class _Sm4Gcm:
    """SM4-GCM (GB/T 32907) with AESGCM's interface: ``cryptography`` has it as a Cipher mode."""

    def __init__(self, key: bytes):
        self.key = key

    def encrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        encryptor = Cipher(algorithms.SM4(self.key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(aad)
        return encryptor.update(data) + encryptor.finalize() + encryptor.tag

    def decrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        decryptor = Cipher(algorithms.SM4(self.key), modes.GCM(nonce, data[-16:])).decryptor()
        decryptor.authenticate_additional_data(aad)
        return decryptor.update(data[:-16]) + decryptor.finalize()


def is_sealed(value) -> bool:
    """Whether a stored value is ciphertext (plaintext written before encryption is not)."""
    if not isinstance(value, str):
        return False
    tag, sep, rest = value.partition(":")
    return bool(sep) and tag in _CIPHER_OF_TAG and ":" in rest


def key_id_of(value: str) -> str:
    return value.split(":", 2)[1]


def encrypt(text: str, aad: str) -> str:
    """``text`` encrypted under the current key with the configured cipher."""
    cipher, key_id = cipher_name(), keyring().current
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead(cipher, key_id).encrypt(nonce, text.encode(), aad.encode())
    return f"{_TAGS[cipher]}:{key_id}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(value: str, aad: str) -> str:
    """The text of a stored value; plaintext from before encryption passes as it is."""
    if not is_sealed(value):
        return value
    tag, key_id, body = value.split(":", 2)
    raw = base64.b64decode(body)
    try:
        return (
            _aead(_CIPHER_OF_TAG[tag], key_id)
            .decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad.encode())
            .decode()
        )
    except InvalidTag:
        raise Undecryptable(f"a value of {aad} does not authenticate under data key {key_id!r}") from None


# A file the system keeps on disk for a while (an import's rejected rows): the whole file sealed
# under the current key, its name as associated data, so one file cannot stand in for another.
FILE_MAGIC = b"fengqiao-sealed 1\n"


def seal_bytes(data: bytes, aad: str) -> bytes:
    """``data`` encrypted under the current key: ``FILE_MAGIC``, ``<cipher>:<key id>`` and a
    newline, then the nonce, the ciphertext and its tag."""
    cipher, key_id = cipher_name(), keyring().current
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead(cipher, key_id).encrypt(nonce, data, aad.encode())
    return FILE_MAGIC + f"{_TAGS[cipher]}:{key_id}\n".encode() + nonce + sealed


def open_bytes(blob: bytes, aad: str) -> bytes:
    """The data :func:`seal_bytes` sealed; a file written before sealing passes as it is."""
    if not blob.startswith(FILE_MAGIC):
        return blob
    head, _newline, body = blob[len(FILE_MAGIC) :].partition(b"\n")
    tag, _colon, key_id = head.decode().partition(":")
    nonce, sealed = body[:NONCE_BYTES], body[NONCE_BYTES:]
    try:
        return _aead(_CIPHER_OF_TAG[tag], key_id).decrypt(nonce, sealed, aad.encode())
    except InvalidTag:
        raise Undecryptable(f"{aad} does not authenticate under data key {key_id!r}") from None


# --- the keyed index -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _index_mac() -> hmac.HMAC:
    ring = keyring()
    return hmac.HMAC(ring.index_key, INDEX_SCHEMES[ring.index_scheme]())


def index(value: str | None, label: str) -> str | None:
    """The keyed hash that finds ``value`` without decrypting anything; "" and None stay as they
    are (an empty phone is found as empty). ``label`` keeps the kinds of value apart."""
    if value is None or value == "":
        return value
    mac = _index_mac().copy()
    mac.update(label.encode() + b"\n" + str(value).encode())
    return mac.finalize()[:INDEX_BYTES].hex()


# --- model fields ------------------------------------------------------------------------------


# The mixin is a Field for the type checker; at run time it sits before Django's field in the MRO.
if TYPE_CHECKING:
    _FieldBase = models.Field
else:
    _FieldBase = object


class EncryptedMixin(_FieldBase):
    """Encrypted as it is written, decrypted as it loads; found only through its index."""

    def __init__(self, *args, indexed_by: str | None = None, **kwargs):
        self.indexed_by = indexed_by
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.indexed_by:
            kwargs["indexed_by"] = self.indexed_by
        return name, path, args, kwargs

    def get_internal_type(self):
        return "TextField"  # the ciphertext is longer than the value; no length to keep in sync

    @property
    def aad(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value), self.aad)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value, self.aad)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return IsNull
        if lookup_name in _BY_INDEX:
            return _BY_INDEX[lookup_name]
        return None  # Django then says the look-up is not supported on this field

    def get_transform(self, lookup_name):
        return None


class EncryptedCharField(EncryptedMixin, models.CharField):
    """A short text (an ID number, a phone) encrypted at rest; ``max_length`` is the value's."""


class EncryptedTextField(EncryptedMixin, models.TextField):
    """A free text (a care tag's note) encrypted at rest."""


class BlindIndexField(models.CharField):
    """The keyed hash of ``source`` (see :func:`index`), set whenever the row is saved, by
    ``save``, ``bulk_create`` and the importer's ``COPY`` alike (all call ``pre_save``)."""

    def __init__(self, *args, source: str, label: str, **kwargs):
        self.source, self.label = source, label
        kwargs.setdefault("max_length", 2 * INDEX_BYTES)
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, label=self.label)
        kwargs.pop("editable", None)
        if kwargs.get("max_length") == 2 * INDEX_BYTES:
            del kwargs["max_length"]
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = index(getattr(model_instance, self.source), self.label)
        setattr(model_instance, self.attname, value)
        return value


class _ByIndex(Lookup):
    """``exact`` / ``in`` on an encrypted field, answered by its index column."""

    prepare_rhs = False
    plain: type[Lookup] = Exact

    def as_sql(self, compiler, connection):
        field = self.lhs.output_field
        if not getattr(field, "indexed_by", None) or not hasattr(self.lhs, "alias"):
            raise FieldError(
                f"{field.model.__name__}.{field.name} is encrypted and has no index to search by"
            )
        index_field = field.model._meta.get_field(field.indexed_by)
        column = index_field.get_col(self.lhs.alias)
        return compiler.compile(self.plain(column, self.digest(field, self.rhs)))

    def digest(self, field, value):
        if not isinstance(value, str | int):
            raise FieldError(
                f"{field.name} is encrypted: compare it with a value, not {type(value).__name__}"
            )
        index_field = field.model._meta.get_field(field.indexed_by)
        return index(str(value), index_field.label)


class _ExactByIndex(_ByIndex):
    lookup_name = "exact"


class _InByIndex(_ByIndex):
    lookup_name = "in"
    plain = In

    def digest(self, field, value):
        values = [super(_InByIndex, self).digest(field, v) for v in value if v is not None]
        return values


_BY_INDEX = {"exact": _ExactByIndex, "in": _InByIndex}


class SealedJSONField(models.JSONField):
    """A JSON object whose values under ``sealed`` keys are encrypted at rest (the rest is not)."""

    def __init__(self, *args, sealed: tuple[str, ...] = (), **kwargs):
        self.sealed = tuple(sealed)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["sealed"] = self.sealed
        return name, path, args, kwargs

    @property
    def aad(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def get_prep_value(self, value):
        if isinstance(value, dict) and any(k in value for k in self.sealed):
            value = {
                k: encrypt(v, f"{self.aad}.{k}") if k in self.sealed and isinstance(v, str) and v else v
                for k, v in value.items()
            }
        return super().get_prep_value(value)

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        if isinstance(value, dict):
            for k in self.sealed:
                if is_sealed(value.get(k)):
                    value[k] = decrypt(value[k], f"{self.aad}.{k}")
        return value


def encrypted_fields(model) -> list:
    """The fields of ``model`` that hold ciphertext (what a rotation re-encrypts)."""
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin | SealedJSONField)]


def reseal_chunk(model, *, after_pk, size: int = 1000):
    """Re-encrypt one chunk of ``model``'s rows (primary keys after ``after_pk``, in order) under
    the current key, plaintext from before encryption included, and set their keyed hashes.
    Returns (the last primary key done, rows written), or (None, 0) past the last row. Through the
    base manager: this is upkeep of every row, not a read for anyone. Idempotent: a chunk done
    twice (a rotation killed before it noted its progress) is only encrypted again."""
    fields = encrypted_fields(model)
    indexes = [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
    if not fields:
        return None, 0
    rows = list(
        model._base_manager.filter(pk__gt=after_pk)
        .order_by("pk")
        .only("pk", *[f.name for f in fields])[:size]
    )
    if not rows:
        return None, 0
    for row in rows:
        for f in indexes:
            setattr(row, f.attname, index(getattr(row, f.source), f.label))
    model._base_manager.bulk_update(rows, [f.name for f in fields + indexes])
    return rows[-1].pk, len(rows)


def models_with_encrypted_fields() -> list:
    from django.apps import apps

    return [m for m in apps.get_models() if encrypted_fields(m)]
