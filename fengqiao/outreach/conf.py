"""Outreach settings, read at each use so tests and deployments can change them.

``FENGQIAO_OUTREACH_SMS_PER_MINUTE``: messages the SMS gateway takes a minute (60); a campaign's
SMS go in batches of that size, a minute apart. ``FENGQIAO_OUTREACH_MAX_ATTEMPTS``: attempts at
one delivery before it is given up (3). ``FENGQIAO_OUTREACH_FRAUD_CATEGORY``: the event category a
defrauded resident's case is opened under (0104 电信网络诈骗). ``FENGQIAO_VAPID_KEY_FILE``: the
Web Push (VAPID) private key, made on first use (``<data dir>/vapid.pem``);
``FENGQIAO_VAPID_SUBJECT``: the contact the push services are given (``mailto:…``).
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _positive(name: str, default: int) -> int:
    value = getattr(settings, name, default)
    if not isinstance(value, int) or value < 1:
        raise ImproperlyConfigured(f"{name} must be at least 1, got {value!r}")
    return value


def sms_per_minute() -> int:
    return _positive("FENGQIAO_OUTREACH_SMS_PER_MINUTE", 60)


def max_attempts() -> int:
    return _positive("FENGQIAO_OUTREACH_MAX_ATTEMPTS", 3)


def fraud_category() -> str:
    return str(getattr(settings, "FENGQIAO_OUTREACH_FRAUD_CATEGORY", "") or "0104")


def vapid_key_file() -> Path:
    configured = getattr(settings, "FENGQIAO_VAPID_KEY_FILE", "")
    return Path(configured).expanduser() if configured else Path(settings.DATA_DIR) / "vapid.pem"


def vapid_subject() -> str:
    return str(getattr(settings, "FENGQIAO_VAPID_SUBJECT", "") or "mailto:admin@fengqiao.invalid")
