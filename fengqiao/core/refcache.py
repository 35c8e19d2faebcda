"""Reference data that every request reads (categories, the working calendar, channels, API
tokens), loaded once per process and kept until its version changes.

The version of each reference is one row in the database, so a change made by any web process or
worker reaches every other: a read costs one primary-key look-up instead of the whole load.
Saving or deleting a row of a model the reference is built from moves the version (Django's model
signals: infrastructure, as cache invalidation is); a write that sends no signal (``bulk_create``,
``QuerySet.update``) calls :meth:`Reference.bump` itself. A version is a random token, never a
counter, so a version seen inside a transaction that rolled back can never come back.
"""

import threading
import uuid
from collections.abc import Callable

from django.db.models import signals

_ALL: dict[str, "Reference"] = {}


class Reference:
    def __init__(self, name: str, load: Callable[[], object], *, models: tuple[str, ...] = ()):
        """``models``: the "app_label.Model" names the data is read from."""
        if name in _ALL:
            raise ValueError(f"reference data {name!r} is declared twice")
        _ALL[name] = self
        self.name = name
        self._load = load
        self._cached: tuple[str, object] | None = None
        self._lock = threading.Lock()
        for model in models:
            for signal in (signals.post_save, signals.post_delete):
                signal.connect(self._changed, sender=model, weak=False, dispatch_uid=f"refcache-{name}")

    def get(self):
        """The data, loaded again only when its version has moved since this process last read it.
        Without a version row (nothing was written since the database was made) nothing is kept,
        so the data is read each time: as cheap as reading the version would be."""
        version = _version(self.name)
        cached = self._cached
        if version is not None and cached is not None and cached[0] == version:
            return cached[1]
        value = self._load()
        if version is not None:
            with self._lock:
                self._cached = (version, value)
        return value

    def bump(self) -> None:
        """Mark the data changed, in the caller's transaction: every process reloads on its next read."""
        from fengqiao.core.models import ReferenceVersion

        ReferenceVersion.objects.update_or_create(name=self.name, defaults={"token": uuid.uuid4().hex})

    def _changed(self, **kwargs) -> None:
        self.bump()


def _version(name: str) -> str | None:
    from fengqiao.core.models import ReferenceVersion

    return ReferenceVersion.objects.filter(name=name).values_list("token", flat=True).first()
