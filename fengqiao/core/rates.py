"""Rates shown fairly: a rate keeps its numerator and denominator, is unreliable (greyed, left out
of rankings) when computed from fewer cases than `settings.RATE_MIN_CASES`, and a rate per 10,000
residents divides by the registry's population. Every page and report that shows a rate uses this."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings

T = TypeVar("T")

# Which way a figure is good, written once in the figure's definition: a rise in a HIGHER figure
# (closure rate) is better, in a LOWER one (rework rate, overdue cases) worse; NEUTRAL figures
# (events received) are neither.
HIGHER, LOWER, NEUTRAL = "higher", "lower", ""


def min_cases() -> int:
    return settings.RATE_MIN_CASES


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """The share (0.97 = 97%), or None when there is nothing to divide by."""
        return self.numerator / self.denominator if self.denominator else None

    @property
    def reliable(self) -> bool:
        """Enough cases behind it to be compared with others."""
        return self.denominator >= min_cases()


def per_10k(count: int, population: int) -> float | None:
    """A count per 10,000 residents, or None without a population to divide by."""
    return count * 10_000 / population if population else None


def ranked(items: Iterable[T], rate: Callable[[T], Rate], *, lower_is_better: bool = False) -> list[T]:
    """The items whose rate is reliable, best first; the others take no place in a ranking."""
    kept = [item for item in items if rate(item).reliable and rate(item).value is not None]
    return sorted(kept, key=lambda item: rate(item).value or 0.0, reverse=not lower_is_better)


def judged(change: float | None, better: str) -> str:
    """A change as "better", "worse" or "" (none, or a NEUTRAL figure), by the figure's direction."""
    if not change or better not in (HIGHER, LOWER):
        return ""
    return "better" if (change > 0) == (better == HIGHER) else "worse"
