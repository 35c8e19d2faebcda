"""Settings from environment variables, read through helpers that fail loudly.

After Healthchecks' ``hc/settings.py``: a bad value stops start-up with a message naming
the variable, instead of running with a silently wrong configuration.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no, on/off), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured(f"{name} must be a comma-separated list, got {raw!r}")
    return items


def env_hours(name: str, default: dict | None) -> dict | None:
    """``red:2,orange:24``: names with their hours, in the order given."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    out = {}
    for item in raw.split(","):
        key, _sep, hours = item.partition(":")
        try:
            out[key.strip()] = float(hours)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must read like red:2,orange:24, got {raw!r}") from None
    return out


def env_periods(name: str, default: tuple | None) -> tuple | None:
    """``08:30-12:00,13:30-17:30``: (start, end) pairs."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    periods = tuple(tuple(p.strip() for p in item.split("-")) for item in raw.split(","))
    if any(len(p) != 2 or not all(p) for p in periods):
        raise ImproperlyConfigured(f"{name} must read like 08:30-12:00,13:30-17:30, got {raw!r}")
    return periods


def env_optional(readers: dict) -> dict:
    """The settings among ``readers`` (name: env_* reader) whose variable is set. Unset, the app
    that uses a setting keeps its own default, written once there."""
    return {name: read(name, None) for name, read in readers.items() if name in os.environ}


def env_dir(name: str, default: Path) -> Path:
    raw = os.environ.get(name)
    path = Path(raw).expanduser().resolve() if raw else default
    if path.exists() and not path.is_dir():
        raise ImproperlyConfigured(f"{name} must name a directory, but {path} is a file")
    return path


def env_database(name: str, default_sqlite: Path) -> dict:
    import dj_database_url

    raw = os.environ.get(name)
    if not raw:
        return sqlite_database(default_sqlite)
    if not raw.startswith(("sqlite://", "postgres://", "postgresql://")):
        raise ImproperlyConfigured(f"{name} must be a sqlite:// or postgres:// URL, got {raw!r}")
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not a valid database URL: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":  # dj-database-url's name for sqlite://
        return sqlite_database(Path(config["NAME"]))
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} must name a database, got {raw!r}")
    return config


def sqlite_database(path: Path) -> dict:
    return {
        # Django's SQLite backend whose write transactions queue on a file lock (see its module).
        "ENGINE": "fengqiao.core.sqlite",
        "NAME": str(path),
        # Kept between requests, as for PostgreSQL: a new SQLite connection re-reads the whole
        # schema before its first query, which cost more than a one-row insert.
        "CONN_MAX_AGE": 60,
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of one failing
        # half-way with "database is locked" after it has read.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
    }


def origin_of(url: str) -> str:
    """A URL's origin as a Content-Security-Policy source: a tile template's ``{s}`` subdomain
    becomes a wildcard (``https://t{s}.example.cn/{z}/{x}/{y}`` → ``https://*.example.cn``)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    if "{" in host.split(".", 1)[0]:
        host = "*." + host.split(".", 1)[1]
    return f"{parts.scheme}://{host}"


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``; anything else stops start-up naming the variable and the choices."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return value


def parse_key(name: str, raw: str) -> bytes:
    """A secret key written as hex (an even number of hex digits) or base64 (standard or URL-safe,
    padding optional), at least 16 bytes; anything else is refused naming where it came from."""
    import base64
    import binascii
    import string

    text = "".join(raw.split())
    key = b""
    if text and len(text) % 2 == 0 and all(c in string.hexdigits for c in text):
        key = bytes.fromhex(text)
    else:
        try:
            key = base64.b64decode(
                text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True
            )
        except (binascii.Error, ValueError):
            key = b""
    if len(key) < 16:
        raise ImproperlyConfigured(f"{name} must be a key of at least 16 bytes, written in hex or base64")
    return key


def env_key(name: str) -> bytes | None:
    """A secret key from the environment (see :func:`parse_key`), or None when the variable is unset."""
    raw = os.environ.get(name)
    return None if raw is None or not raw.strip() else parse_key(name, raw)
