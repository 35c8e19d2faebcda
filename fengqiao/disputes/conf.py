"""The ledger's settings, read once per use so tests can override them.

``FENGQIAO_DISPUTE_GRADES``: the risk grades, most urgent first, as {colour: response hours}
(default red 2, orange 24, yellow 72, blue 168). ``FENGQIAO_DISPUTE_QUOTA``: disputes each
community officer must resolve a month (5). ``FENGQIAO_DISPUTE_LIMIT_DAYS``: days mediation may
take from registration (30). ``FENGQIAO_DISPUTE_JUDICIAL_DAYS``: the window in which the parties
may apply for judicial confirmation (30), and ``FENGQIAO_DISPUTE_JUDICIAL_REMIND_DAYS``: how many
days before it closes the mediators are reminded (5). ``FENGQIAO_DISPUTE_REPEAT``: how many
disputes between the same parties within ``FENGQIAO_DISPUTE_REPEAT_DAYS`` (365) make them
"repeated" (3).
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

DEFAULT_GRADES = {"red": 2, "orange": 24, "yellow": 72, "blue": 168}
GRADE_LABELS = {"red": _("red"), "orange": _("orange"), "yellow": _("yellow"), "blue": _("blue")}


def _positive(name: str, default):
    value = getattr(settings, name, default)
    try:
        number = type(default)(value)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None
    if number <= 0:
        raise ImproperlyConfigured(f"{name} must be more than 0, got {value!r}")
    return number


def grades() -> dict[str, float]:
    raw = getattr(settings, "FENGQIAO_DISPUTE_GRADES", None) or DEFAULT_GRADES
    if not isinstance(raw, dict) or not raw:
        raise ImproperlyConfigured("FENGQIAO_DISPUTE_GRADES must map grade names to response hours")
    out = {}
    for name, hours in raw.items():
        try:
            out[str(name)] = float(hours)
        except (TypeError, ValueError):
            raise ImproperlyConfigured(f"FENGQIAO_DISPUTE_GRADES: bad hours for {name!r}") from None
        if out[str(name)] <= 0:
            raise ImproperlyConfigured(f"FENGQIAO_DISPUTE_GRADES: hours for {name!r} must be positive")
    return out


def grade_choices() -> list[tuple[str, str]]:
    return [(name, grade_label(name)) for name in grades()]


def grade_label(name: str) -> str:
    return str(GRADE_LABELS.get(name, name))


def top_grade() -> str:
    """The most urgent grade: the first one. Disputes of this grade are flagged to the station."""
    return next(iter(grades()))


def quota() -> int:
    return _positive("FENGQIAO_DISPUTE_QUOTA", 5)


def limit_days() -> int:
    return _positive("FENGQIAO_DISPUTE_LIMIT_DAYS", 30)


def judicial_days() -> int:
    return _positive("FENGQIAO_DISPUTE_JUDICIAL_DAYS", 30)


def judicial_remind_days() -> int:
    return _positive("FENGQIAO_DISPUTE_JUDICIAL_REMIND_DAYS", 5)


def repeat_threshold() -> int:
    return _positive("FENGQIAO_DISPUTE_REPEAT", 3)


def repeat_days() -> int:
    return _positive("FENGQIAO_DISPUTE_REPEAT_DAYS", 365)
