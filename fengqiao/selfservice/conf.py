"""Self-service settings, read at each use so tests can override them.

``FENGQIAO_CERTIFICATE_DECISION_DAYS``: working days the station has to decide (3, the Ministry's
2021 rules). ``FENGQIAO_CERTIFICATE_VALID_DAYS``: days an issued certificate is valid (90).
``FENGQIAO_CERTIFICATE_MAX_VERIFICATIONS``: how many times one certificate's verification page
answers (20); past that it says so and shows nothing. ``FENGQIAO_CERTIFICATE_FREE_PER_YEAR``:
applications a person may make in a calendar year without a proof of purpose (3).
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _positive(name: str, default: int) -> int:
    value = getattr(settings, name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None
    if number <= 0:
        raise ImproperlyConfigured(f"{name} must be more than 0, got {value!r}")
    return number


def decision_days() -> int:
    return _positive("FENGQIAO_CERTIFICATE_DECISION_DAYS", 3)


def valid_days() -> int:
    return _positive("FENGQIAO_CERTIFICATE_VALID_DAYS", 90)


def max_verifications() -> int:
    return _positive("FENGQIAO_CERTIFICATE_MAX_VERIFICATIONS", 20)


def free_per_year() -> int:
    return _positive("FENGQIAO_CERTIFICATE_FREE_PER_YEAR", 3)
