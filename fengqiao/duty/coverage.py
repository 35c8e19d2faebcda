"""The coverage check: does a roster meet every rule, every hour of every day? Each gap or breach
is one :class:`Breach` naming the rule, where and when. It reads only the problem and the slots,
never the solver, so it is the judge of the solver's proposals too."""

from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _

from fengqiao.duty.problem import Problem, Slot, counts_for


@dataclass(frozen=True)
class Breach:
    rule: str  # the rule's kind
    label: str  # the rule as people read it
    where: str  # an area's or a person's name
    when: str  # a day, an hour range or a week
    detail: str
    day: int = -1  # 0-based, for the timeline
    hours: tuple[int, ...] = ()  # o'clock hours of the day concerned (coverage gaps)
    area: str = ""

    def sentence(self) -> str:
        return f"{self.label} · {self.where} · {self.when}: {self.detail}"


def hours_label(hours) -> str:
    """``[8, 9, 10, 14]`` → ``08:00–11:00, 14:00–15:00``."""
    runs: list[list[int]] = []
    for h in sorted(hours):
        if runs and runs[-1][1] == h:
            runs[-1][1] = h + 1
        else:
            runs.append([h, h + 1])
    return ", ".join(f"{a:02d}:00–{b:02d}:00" for a, b in runs)


def check(problem: Problem, slots: list[Slot]) -> list[Breach]:
    breaches: list[Breach] = []
    shifts = {s.key: s for s in problem.shifts}
    people = {p.key: p for p in problem.people}
    by_person: dict[int, list[Slot]] = defaultdict(list)
    for slot in slots:
        by_person[slot.person].append(slot)
    day_label = lambda d: problem.date(d).isoformat()  # noqa: E731

    # every person: one shift a day, leave, their areas
    for key, own in by_person.items():
        person = people[key]
        days = defaultdict(int)
        for slot in own:
            days[slot.day] += 1
            if slot.day in person.leave:
                breaches.append(
                    Breach(
                        "leave",
                        _("Leave"),
                        person.name,
                        day_label(slot.day),
                        _("on leave but rostered"),
                        slot.day,
                    )
                )
            if slot.area not in problem.areas_of(person):
                breaches.append(
                    Breach(
                        "area",
                        _("Area"),
                        person.name,
                        day_label(slot.day),
                        _("rostered outside their district and unit"),
                        slot.day,
                    )
                )
        for day, n in days.items():
            if n > 1:
                breaches.append(
                    Breach(
                        "one_a_day",
                        _("One shift a day"),
                        person.name,
                        day_label(day),
                        _("%(n)s shifts") % {"n": n},
                        day,
                    )
                )

    for rule in problem.rules:
        if rule.kind in ("coverage", "reception"):
            breaches += _coverage(problem, rule, slots, shifts)
        elif rule.kind == "rest":
            for key, own in by_person.items():
                spans = sorted(
                    (shifts[s.shift].span(s.day).start, shifts[s.shift].span(s.day).stop, s.day) for s in own
                )
                for (_a0, a1, _d0), (b0, _b1, d1) in zip(spans, spans[1:], strict=False):
                    if b0 - a1 < rule.value:
                        breaches.append(
                            Breach(
                                rule.kind,
                                rule.label,
                                people[key].name,
                                day_label(d1),
                                _("%(n)s hours of rest before this shift, %(need)s required")
                                % {"n": max(b0 - a1, 0), "need": rule.value},
                                d1,
                            )
                        )
        elif rule.kind == "weekly_hours":
            for week in problem.weeks():
                for key, own in by_person.items():
                    total = sum(shifts[s.shift].hours for s in own if s.day in week)
                    if total > rule.value:
                        breaches.append(
                            Breach(
                                rule.kind,
                                rule.label,
                                people[key].name,
                                problem.week_label(week),
                                _("%(n)s hours, at most %(most)s") % {"n": total, "most": rule.value},
                                week[0],
                            )
                        )
        elif rule.kind == "district_days":
            for week in problem.weeks():
                for person in problem.people:
                    if not person.district:
                        continue
                    need = required_district_days(rule.value, week, person)
                    there = len(
                        {
                            s.day
                            for s in by_person.get(person.key, [])
                            if s.day in week and s.area == person.district
                        }
                    )
                    if there < need:
                        breaches.append(
                            Breach(
                                rule.kind,
                                rule.label,
                                person.name,
                                problem.week_label(week),
                                _("%(n)s days in the district, %(need)s required")
                                % {"n": there, "need": need},
                                week[0],
                            )
                        )
    return breaches


def required_district_days(value: int, week: list[int], person) -> int:
    """A short week (the month's first or last) or leave lowers what a week asks: at most the
    days of the week the officer is not on leave, scaled to the week's length."""
    available = len([d for d in week if d not in person.leave])
    return min(value * len(week) // 7 if len(week) < 7 else value, available)


def _on_duty(rule, slots, shifts) -> dict[int, int]:
    """How many people count toward the rule at each hour of the month."""
    on_duty: dict[int, int] = defaultdict(int)
    for slot in slots:
        if counts_for(rule, slot.area):
            for hour in shifts[slot.shift].span(slot.day):
                on_duty[hour] += 1
    return on_duty


def _coverage(problem: Problem, rule, slots, shifts) -> list:
    on_duty = _on_duty(rule, slots, shifts)
    breaches = []
    for day in range(problem.days):
        if not rule.applies(problem.weekday(day)):
            continue
        short = [
            h
            for h in range(rule.start_hour, rule.end_hour)
            if on_duty[24 * day + h] < rule.value and problem.reachable(24 * day + h)
        ]
        if short:
            least = min(on_duty[24 * day + h] for h in short)
            breaches.append(
                Breach(
                    rule.kind,
                    rule.label,
                    rule.area_name,
                    f"{problem.date(day).isoformat()} {hours_label(short)}",
                    _("%(n)s on duty, %(need)s required") % {"n": least, "need": rule.value},
                    day,
                    tuple(short),
                    rule.area,
                )
            )
    return breaches


def timeline(problem: Problem, slots: list[Slot], breaches: list[Breach]) -> list[dict]:
    """For the timeline page: per coverage rule, per day, 24 cells of (people on duty, short?)."""
    shifts = {s.key: s for s in problem.shifts}
    rows = []
    gaps = {(b.area, b.label, b.day): set(b.hours) for b in breaches if b.hours}
    for rule in problem.rules:
        if rule.kind not in ("coverage", "reception"):
            continue
        on_duty = _on_duty(rule, slots, shifts)
        days = []
        for day in range(problem.days):
            short = gaps.get((rule.area, rule.label, day), set())
            asked = rule.applies(problem.weekday(day))
            days.append(
                {
                    "date": problem.date(day),
                    "cells": [
                        {
                            "hour": h,
                            "n": on_duty[24 * day + h],
                            "short": h in short,
                            # the month's first hours are the previous month's night shift's
                            "asked": asked
                            and rule.start_hour <= h < rule.end_hour
                            and problem.reachable(24 * day + h),
                        }
                        for h in range(24)
                    ],
                    "short": bool(short),
                }
            )
        rows.append({"rule": rule, "days": days})
    return rows
