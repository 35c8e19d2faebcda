"""A month's rostering problem as plain data, shared by the coverage check and the solver, so the
check can judge the solver's roster without trusting it.

Hours are counted from 00:00 on the month's first day: hour ``h`` is day ``h // 24``, o'clock
``h % 24``. A shift on day ``d`` from ``start`` for ``hours`` covers ``[24 d + start, 24 d + start
+ hours)``; a night shift's hours after the month's end are still its own (rest, weekly hours),
but coverage is asked only within the month.
"""

import calendar
import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Shift:
    key: int
    code: str
    start: int  # o'clock
    hours: int

    def span(self, day: int) -> range:
        return range(24 * day + self.start, 24 * day + self.start + self.hours)

    @property
    def night(self) -> bool:
        return any((self.start + i) % 24 < 6 for i in range(self.hours))


@dataclass(frozen=True)
class Person:
    key: int
    name: str
    district: str = ""  # the path of a community officer's police district; "" for others
    leave: frozenset[int] = frozenset()  # days (0-based) off


@dataclass(frozen=True)
class Rule:
    key: int
    kind: str
    label: str
    value: int
    area: str = ""  # a unit's path
    area_name: str = ""
    weekdays: frozenset[int] = frozenset()
    start_hour: int = 0
    end_hour: int = 24

    def applies(self, weekday: int) -> bool:
        return not self.weekdays or weekday in self.weekdays


@dataclass(frozen=True)
class Slot:
    """One assignment: ``person`` works ``shift`` on ``day`` in ``area`` (a unit's path)."""

    person: int
    day: int
    shift: int
    area: str


@dataclass
class Problem:
    month: dt.date
    unit: str  # the roster's unit path
    people: list[Person]
    shifts: list[Shift]
    rules: list[Rule]
    area_names: dict[str, str] = field(default_factory=dict)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.month.year, self.month.month)[1]

    def date(self, day: int) -> dt.date:
        return self.month + dt.timedelta(days=day)

    def weekday(self, day: int) -> int:
        return self.date(day).weekday()

    def weeks(self) -> list[list[int]]:
        """The month's days cut into weeks, Monday to Sunday (the first and last may be short)."""
        weeks: list[list[int]] = []
        for day in range(self.days):
            if not weeks or self.weekday(day) == 0:
                weeks.append([])
            weeks[-1].append(day)
        return weeks

    def reachable(self, hour: int) -> bool:
        """Whether any shift of this month can cover the hour: the first hours of the month belong
        to the previous month's night shift, which this roster does not hold."""
        if not hasattr(self, "_reachable"):
            self._reachable = {h for d in range(self.days) for s in self.shifts for h in s.span(d)}
        return hour in self._reachable

    def week_label(self, week: list[int]) -> str:
        return f"{self.date(week[0]):%m-%d}–{self.date(week[-1]):%m-%d}"

    def areas_of(self, person: Person) -> list[str]:
        """Where a person may be on duty: a community officer in their district or at the unit."""
        return (
            [person.district, self.unit] if person.district and person.district != self.unit else [self.unit]
        )

    def shift(self, key: int) -> Shift:
        return next(s for s in self.shifts if s.key == key)

    def person(self, key: int) -> Person:
        return next(p for p in self.people if p.key == key)


def counts_for(rule: Rule, area: str) -> bool:
    """Whether someone on duty in ``area`` counts toward the rule's: coverage of an area counts
    the area and the units under it, reception hours only the police office itself."""
    if rule.kind == "reception":
        return area == rule.area
    return area == rule.area or area.startswith(rule.area + "/")
