"""Reads of rosters, always scoped, and the rostering problem built from the database."""

import datetime as dt

from django.utils.translation import pgettext

from fengqiao.accounts.models import Posting, User
from fengqiao.core.roles import Role
from fengqiao.core.scoping import get_visible_or_404, scope_prefixes, scope_q
from fengqiao.duty.choices import RuleKind
from fengqiao.duty.coverage import Breach, check
from fengqiao.duty.models import Assignment, DutyRule, Leave, Roster, ShiftTemplate, SwapRequest
from fengqiao.duty.problem import Person, Problem, Rule, Shift, Slot
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import PoliceUnit

ROSTERED_ROLES = (Role.STATION, Role.COMMUNITY_OFFICER, Role.AUXILIARY)
UNSCOPED_PROBLEM = "duty: a roster's own templates, rules and leave, read once its roster is in scope"


def rosters_for(user):
    return Roster.objects.visible_to(user).select_related("unit")


def roster_for(user, pk) -> Roster:
    return get_visible_or_404(Roster.objects.select_related("unit"), user, pk=pk)


def shifts_for(user):
    return ShiftTemplate.objects.visible_to(user).select_related("unit")


def rules_for(user):
    return DutyRule.objects.visible_to(user).select_related("unit", "area")


def staff_of(unit: PoliceUnit) -> list[User]:
    """Who the unit's rosters are for: police staff posted at the unit or a unit under it."""
    ids = Posting.objects.filter(unit__path__startswith=unit.path + "/").values_list("user_id", flat=True)
    here = Posting.objects.filter(unit=unit).values_list("user_id", flat=True)
    return list(
        User.objects.filter(pk__in=list(ids) + list(here), is_active=True, role__in=ROSTERED_ROLES).order_by(
            "pk"
        )
    )


def _districts(users) -> dict[int, str]:
    """A community officer's police district (their posting), by user id."""
    return dict(
        Posting.objects.filter(
            user__in=users, unit__kind=UnitKind.DISTRICT, user__role=Role.COMMUNITY_OFFICER
        ).values_list("user_id", "unit__path")
    )


def problem_for(roster: Roster) -> Problem:
    unit, month = roster.unit, roster.month
    first = month
    problem = Problem(month=month, unit=unit.path, people=[], shifts=[], rules=[])
    last = problem.date(problem.days - 1)
    people = staff_of(unit)
    districts = _districts(people)
    leave: dict[int, set[int]] = {}
    for row in Leave.objects.unscoped(reason=UNSCOPED_PROBLEM).filter(
        user__in=people, first_day__lte=last, last_day__gte=first
    ):
        days = leave.setdefault(row.user_id, set())
        day = max(row.first_day, first)
        while day <= min(row.last_day, last):
            days.add((day - first).days)
            day += dt.timedelta(days=1)
    problem.people = [
        Person(u.pk, str(u), districts.get(u.pk, ""), frozenset(leave.get(u.pk, ()))) for u in people
    ]
    problem.shifts = [
        Shift(s.pk, s.code, s.start.hour, s.hours)
        for s in ShiftTemplate.objects.unscoped(reason=UNSCOPED_PROBLEM)
        .filter(unit=unit, active=True)
        .order_by("start")
    ]
    names = dict(PoliceUnit.objects.filter(path__startswith=unit.path).values_list("path", "name"))
    problem.area_names = names
    for r in (
        DutyRule.objects.unscoped(reason=UNSCOPED_PROBLEM)
        .filter(unit=unit, active=True)
        .select_related("area")
    ):
        area = r.area.path if r.area_id else unit.path
        problem.rules.append(
            Rule(
                r.pk,
                r.kind,
                str(RuleKind(r.kind).label),
                r.value,
                area,
                names.get(area, area),
                frozenset(r.weekdays or ()),
                r.start_hour,
                r.end_hour,
            )
        )
    return problem


def slots_of(roster: Roster, problem: Problem) -> list[Slot]:
    return [
        Slot(user_id, (day - problem.month).days, shift_id, area)
        for user_id, day, shift_id, area in Assignment.objects.filter(roster=roster).values_list(
            "user_id", "day", "shift_id", "area__path"
        )
    ]


def check_roster(roster: Roster) -> tuple[Problem, list[Slot], list[Breach]]:
    problem = problem_for(roster)
    slots = slots_of(roster, problem)
    return problem, slots, check(problem, slots)


def grid_of(problem: Problem, slots: list[Slot]) -> list[dict]:
    """Person × day: the shift code and area of each assignment, for the page and the exports."""
    shifts = {s.key: s for s in problem.shifts}
    cells = {(s.person, s.day): s for s in slots}
    rows = []
    for person in problem.people:
        row = []
        for day in range(problem.days):
            slot = cells.get((person.key, day))
            if slot is None:
                row.append(
                    {
                        "text": str(pgettext("roster cell", "Leave")) if day in person.leave else "",
                        "leave": day in person.leave,
                    }
                )
            else:
                away = slot.area != problem.unit
                row.append(
                    {
                        "text": shifts[slot.shift].code,
                        "area": problem.area_names.get(slot.area, ""),
                        "away": away,
                        "night": shifts[slot.shift].night,
                    }
                )
        rows.append({"person": person, "cells": row})
    return rows


def own_assignments(user, since: dt.date):
    """A person's own shifts from ``since`` on, whichever unit's roster holds them: everyone may
    read their own duty, also from a roster above their posting (a station's, for an officer)."""
    return (
        Assignment.objects.filter(user=user, day__gte=since)
        .select_related("roster__unit", "shift", "area")
        .order_by("day", "shift__start")
    )


# ---------------------------------------------------------------------------------------------
# shift swaps

SWAP_WINDOW = dt.timedelta(days=7)  # the colleagues' shifts offered around one's own


def own_assignment(user, pk) -> Assignment:
    """One of the user's own shifts; someone else's is the same 404 as a missing one."""
    from django.http import Http404

    found = (
        Assignment.objects.filter(user=user, pk=pk).select_related("roster__unit", "shift", "area").first()
    )
    if found is None:
        raise Http404("no such shift of yours")
    return found


def own_assignment_on(user, day: dt.date) -> Assignment | None:
    return own_assignments(user, day).filter(day=day).first()


def swap_offers(assignment: Assignment) -> tuple[list[User], list[Assignment]]:
    """Whom a shift may go to: the colleagues on its roster, and their shifts within a week of it."""
    colleagues = [u for u in staff_of(assignment.roster.unit) if u.pk != assignment.user_id]
    shifts = list(
        Assignment.objects.filter(
            roster=assignment.roster,
            user__in=colleagues,
            day__range=(assignment.day - SWAP_WINDOW, assignment.day + SWAP_WINDOW),
        )
        .select_related("user", "shift")
        .order_by("day", "shift__start", "user_id")
    )
    return colleagues, shifts


def swaps_for(user):
    """Swap requests the user is a party to, or that lie in their scope."""
    return SwapRequest.objects.visible_to(user).select_related(
        "requester", "partner", "shift", "partner_shift"
    )


def swap_for(user, number: str) -> SwapRequest:
    return get_visible_or_404(
        SwapRequest.objects.select_related("roster__unit", "requester", "partner", "shift", "partner_shift"),
        user,
        number=number,
    )


def shift_for(user, pk) -> ShiftTemplate:
    return get_visible_or_404(ShiftTemplate.objects.select_related("unit"), user, pk=pk)


def rule_for(user, pk) -> DutyRule:
    return get_visible_or_404(DutyRule.objects.select_related("unit", "area"), user, pk=pk)


def leave_for(user):
    """Leave recorded in the user's units, the latest first."""
    return Leave.objects.visible_to(user).select_related("unit", "user").order_by("-first_day", "-pk")


def rostered_staff_in(user):
    """Who leave may be recorded for: rostered staff posted in the user's scope."""
    prefixes = scope_prefixes(user)
    postings = Posting.objects.filter(unit__isnull=False)
    if prefixes is not None:
        postings = postings.filter(scope_q(prefixes, field="unit__path")) if prefixes else postings.none()
    return User.objects.filter(
        pk__in=postings.values("user_id"), is_active=True, role__in=ROSTERED_ROLES
    ).order_by("full_name", "username")
