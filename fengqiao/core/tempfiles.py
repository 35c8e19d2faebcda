"""Files the system writes for a while and must not keep (剩余信息保护): uploaded import files, the
error files of imports, generated exports.

- An export is written to :func:`exports_dir` and removed when its download ends.
- An uploaded import file goes once its import is done (``registry.tasks``).
- Error files and exports may be downloaded for ``FENGQIAO_EXPORT_HOURS`` (24 by default); then
  :func:`remove_expired` (a periodic job of the worker) deletes them, with anything an export or an
  import left behind (a process killed mid-download).
"""

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from fengqiao.core.importing import imports_dir

# Error files of imports in the imports directory: batch-<id>-errors.csv, 110-<sha>-errors.xlsx, …
ERROR_FILE_PATTERNS = ("*-errors.csv", "*-errors.xlsx")


def exports_dir() -> Path:
    """Where generated exports are written: private to the application's account."""
    path = Path(settings.DATA_DIR) / "exports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def uploads_dir() -> Path:
    """Where the import page keeps an uploaded file until its import is done."""
    path = imports_dir() / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_for() -> dt.timedelta:
    return dt.timedelta(hours=settings.EXPORT_HOURS)


def expired(moment: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """Whether a file made at ``moment`` is past its download time."""
    return moment is not None and moment + keep_for() <= (now or timezone.now())


def _made_at(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)


def is_under(path: Path | str, folder: Path) -> bool:
    """Whether ``path`` lies inside ``folder`` (so only the system's own files are ever removed)."""
    try:
        Path(path).resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def remove(path: Path | str | None) -> bool:
    """Delete one file if it is there; True when it was."""
    if not path:
        return False
    try:
        Path(path).unlink()
    except FileNotFoundError:
        return False
    return True


def _old_files(paths: Iterable[Path], now: dt.datetime) -> list[Path]:
    found = []
    for path in paths:
        try:
            if path.is_file() and not path.is_symlink() and expired(_made_at(path), now):
                found.append(path)
        except FileNotFoundError:
            continue  # removed meanwhile
    return found


def remove_expired(now: dt.datetime | None = None) -> list[str]:
    """Delete the exports and the import error files older than ``FENGQIAO_EXPORT_HOURS``;
    returns their names. The worker runs it every hour."""
    now = now or timezone.now()
    candidates = list(exports_dir().iterdir())
    for pattern in ERROR_FILE_PATTERNS:
        candidates += imports_dir().glob(pattern)
    removed = []
    for path in _old_files(candidates, now):
        if remove(path):
            removed.append(path.name)
    return removed


def old_uploads(now: dt.datetime | None = None) -> list[Path]:
    """Uploaded import files older than ``FENGQIAO_EXPORT_HOURS`` (the registry's job removes
    those no unfinished import still reads)."""
    return _old_files(uploads_dir().iterdir(), now or timezone.now())
