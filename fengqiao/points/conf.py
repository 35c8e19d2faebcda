"""Points settings, read at each use so tests and deployments can change them.

``FENGQIAO_POINTS_RESERVATION_HOURS``: a reservation holds its points and its piece this long, then
the worker releases them (48). ``FENGQIAO_POINTS_EXPIRY_DAYS``: points earned this many days ago and
not spent expire (0, the default: never).
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _setting(name: str, default: int, least: int) -> int:
    value = getattr(settings, name, default)
    if not isinstance(value, int) or value < least:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least {least}, got {value!r}")
    return value


def reservation_hours() -> int:
    return _setting("FENGQIAO_POINTS_RESERVATION_HOURS", 48, 1)


def expiry_days() -> int:
    return _setting("FENGQIAO_POINTS_EXPIRY_DAYS", 0, 0)
