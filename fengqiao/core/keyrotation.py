"""Rotating the data key (docs/adr/0010): a new key is added to the ring and every encrypted value
is re-encrypted under it, chunk by chunk, each chunk in its own transaction; the progress is kept in
a file beside the keys, so a rotation that was killed resumes where it stopped. The start and the
end are on the audit record (key ids and counts, never a key)."""

import json
import os
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction

from fengqiao.core import audit, crypto

ROTATE_START = audit.register("data_key_rotate", "began re-encrypting personal data under a new key")
ROTATE_DONE = audit.register("data_key_rotated", "re-encrypted personal data under a new key")

CHUNK = 1000


def progress_file() -> Path:
    return Path(f"{settings.DATA_KEYS_FILE}.rotation")


def _save_progress(state: dict) -> None:
    path = progress_file()
    draft = path.with_name(path.name + ".draft")
    draft.write_text(json.dumps(state))
    os.replace(draft, path)  # the old progress or the new one, never half of either


def rotate(*, actor, new_key: bool = True, chunk: int = CHUNK, after_chunk: Callable | None = None) -> dict:
    """Re-encrypt every encrypted value under a new key (or, with ``new_key`` False or keys given in
    the environment, under the current one). Resumes an unfinished rotation. Returns the rows
    written per model. ``after_chunk(model, last_pk)`` runs after each chunk is committed."""
    path = progress_file()
    if path.exists():
        state = json.loads(path.read_text())
        crypto.reload_keys()
        resumed = True
    else:
        key_id = crypto.add_key() if new_key and not settings.DATA_KEYS else crypto.keyring().current
        state = {"key": key_id, "done": {}, "rows": {}}
        _save_progress(state)
        resumed = False
        audit.record(
            ROTATE_START,
            actor=actor,
            object_type="core.datakey",
            object_id=key_id,
            after={"key": key_id, "cipher": crypto.cipher_name()},
        )
    for model in crypto.models_with_encrypted_fields():
        label = model._meta.label_lower
        last = state["done"].get(label, 0)
        while last is not None:
            with transaction.atomic():
                last, count = crypto.reseal_chunk(model, after_pk=last, size=chunk)
            if last is None:
                break
            state["done"][label] = last
            state["rows"][label] = state["rows"].get(label, 0) + count
            _save_progress(state)
            if after_chunk is not None:
                after_chunk(model, last)
        state["done"][label] = None
        _save_progress(state)
    audit.record(
        ROTATE_DONE,
        actor=actor,
        object_type="core.datakey",
        object_id=state["key"],
        after={"key": crypto.keyring().current, "rows": state["rows"], "resumed": resumed},
    )
    path.unlink()
    return state["rows"]
