"""Patrol settings, read at each use so tests and deployments can change them.

``FENGQIAO_PATROL_STALE_DAYS``: a grid no patrol passed through in this many days is shown as
unpatrolled on the map (7). ``FENGQIAO_PATROL_HAZARD_CATEGORY`` and
``FENGQIAO_PATROL_SUSPICIOUS_CATEGORY``: the event categories a hazard and something suspicious
are reported under (0401 安全隐患, routed to the grid; 0504 举报).
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from fengqiao.patrols.choices import FindingKind


def stale_days() -> int:
    value = getattr(settings, "FENGQIAO_PATROL_STALE_DAYS", 7)
    if not isinstance(value, int) or value < 1:
        raise ImproperlyConfigured(f"FENGQIAO_PATROL_STALE_DAYS must be at least 1, got {value!r}")
    return value


def finding_category(kind: str) -> str:
    defaults = {FindingKind.HAZARD: "0401", FindingKind.SUSPICIOUS: "0504"}
    name = f"FENGQIAO_PATROL_{str(kind).upper()}_CATEGORY"
    return str(getattr(settings, name, "") or defaults[kind])


def _positive(name: str, default: int) -> int:
    value = getattr(settings, name, default)
    if not isinstance(value, int) or value < 1:
        raise ImproperlyConfigured(f"{name} must be at least 1, got {value!r}")
    return value


def visit_quota() -> dict[str, int]:
    """The week's visits each community officer owes (``FENGQIAO_VISIT_QUOTA_HOUSEHOLDS``, 10;
    ``FENGQIAO_VISIT_QUOTA_BUSINESSES``, 5), by what is visited."""
    return {
        "household": _positive("FENGQIAO_VISIT_QUOTA_HOUSEHOLDS", 10),
        "business": _positive("FENGQIAO_VISIT_QUOTA_BUSINESSES", 5),
    }


def arrival_minutes() -> int:
    """Minutes within which the district's officer reaches a criminal case's scene
    (``FENGQIAO_ARRIVAL_MINUTES``, 60); later or never is listed for the station."""
    return _positive("FENGQIAO_ARRIVAL_MINUTES", 60)
