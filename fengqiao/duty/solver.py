"""A roster proposal by OR-Tools CP-SAT: coverage and the rules as constraints, nights and
weekends balanced, leave respected. When no roster can meet the rules, the solver's infeasible
core (``sufficient_assumptions_for_infeasibility``) names which rule, where and when: every rule
is posted once per place and period under its own assumption literal.

OR-Tools is imported when a proposal is asked for, never at start-up.
"""

import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from fengqiao.duty.coverage import hours_label, required_district_days
from fengqiao.duty.problem import Problem, Slot, counts_for

DEFAULT_SECONDS = 10.0


@dataclass
class Proposal:
    feasible: bool
    slots: list[Slot] = field(default_factory=list)
    # When infeasible: the rules (as sentences) that together cannot be met.
    conflicts: list[str] = field(default_factory=list)
    status: str = ""
    seconds: float = 0.0
    first_seconds: float | None = None  # when the first feasible roster was found


def propose(
    problem: Problem, *, seconds: float = DEFAULT_SECONDS, workers: int = 2, first_only: bool = False
) -> Proposal:
    """The best roster found in ``seconds`` (``first_only``: the first that meets the rules,
    unbalanced); when the rules cannot all be met, the rules that conflict. The search runs on
    the plain model (assumptions slow CP-SAT's search down); only a proven infeasibility is solved
    again with one assumption per rule, place and period, whose core names what conflicts."""
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    model, x, _assumptions = _build(problem, cp_model, named=False)
    solver = cp_model.CpSolver()
    # The budget covers building the model too; what is left goes to the search.
    solver.parameters.max_time_in_seconds = max(0.5, seconds - (time.perf_counter() - started))
    solver.parameters.num_workers = workers
    solver.parameters.stop_after_first_solution = first_only
    first = _FirstSolution(cp_model, started)
    status = solver.solve(model, first)
    result = Proposal(feasible=False, status=solver.status_name(status), first_seconds=first.at)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        result.feasible = True
        result.slots = [Slot(p, d, s, a) for (p, d, s, a), var in x.items() if solver.boolean_value(var)]
    elif status == cp_model.INFEASIBLE:
        result.conflicts = _conflicts(problem, cp_model, seconds)
    else:
        result.conflicts = [_("No roster was found in the time allowed; try again or relax a rule.")]
    result.seconds = time.perf_counter() - started
    return result


def _FirstSolution(cp_model, started: float):
    """A callback noting when the first roster was found (the rest of the time improves it)."""

    class First(cp_model.CpSolverSolutionCallback):
        at: float | None = None

        def on_solution_callback(self):
            if self.at is None:
                self.at = time.perf_counter() - started

    return First()


def _conflicts(problem: Problem, cp_model, seconds: float) -> list[str]:
    model, _x, assumptions = _build(problem, cp_model, named=True)
    model.add_assumptions([model.get_bool_var_from_proto_index(i) for i in assumptions])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 1  # the core of the assumptions comes from the sequential search
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        core = [assumptions[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in assumptions]
        if core:
            return core
    return [_("The rules cannot all be met together.")]


def _build(problem: Problem, cp_model, *, named: bool):
    model = cp_model.CpModel()
    days = range(problem.days)
    x: dict[tuple[int, int, int, str], object] = {}
    for p in problem.people:
        for d in days:
            if d in p.leave:
                continue
            for s in problem.shifts:
                for a in problem.areas_of(p):
                    x[p.key, d, s.key, a] = model.new_bool_var(f"x{p.key}_{d}_{s.key}_{a}")
    by_pd: dict[tuple[int, int], list] = defaultdict(list)
    by_pds: dict[tuple[int, int, int], list] = defaultdict(list)
    for (p, d, s, _a), var in x.items():
        by_pd[p, d].append(var)
        by_pds[p, d, s].append(var)
    for vars_ in by_pd.values():
        model.add_at_most_one(vars_)
    at_hour: dict[int, list[tuple[str, object]]] = defaultdict(list)
    for (_p, d, s, a), var in x.items():
        for hour in problem.shift(s).span(d):
            at_hour[hour].append((a, var))

    assumptions: dict[int, str] = {}  # literal index -> what it stands for

    def guarded(text: str):
        if not named:
            return []
        lit = model.new_bool_var(text[:60])
        assumptions[lit.index] = text
        return lit

    def works(p: int, d: int, s: int):
        return sum(by_pds.get((p, d, s), []))

    for rule in problem.rules:
        if rule.kind in ("coverage", "reception"):
            for d in days:
                if not rule.applies(problem.weekday(d)):
                    continue
                lit = guarded(
                    f"{rule.label} · {rule.area_name} · {problem.date(d).isoformat()} "
                    f"{hours_label(range(rule.start_hour, rule.end_hour))}"
                    + _(": %(n)s required")
                    % {"n": rule.value}
                )
                for h in range(rule.start_hour, rule.end_hour):
                    hour = 24 * d + h
                    if not problem.reachable(hour):
                        continue
                    cover = [var for a, var in at_hour[hour] if counts_for(rule, a)]
                    model.add(sum(cover) >= rule.value).only_enforce_if(lit)
        elif rule.kind == "rest":
            for p in problem.people:
                lit = guarded(f"{rule.label} · {p.name}" + _(": %(n)s hours") % {"n": rule.value})
                for d in days:
                    for s in problem.shifts:
                        end = problem.shift(s.key).span(d).stop
                        for d2 in (d, d + 1, d + 2):
                            if d2 >= problem.days:
                                continue
                            for s2 in problem.shifts:
                                if (d2, s2.key) == (d, s.key) or d2 == d:
                                    continue
                                if s2.span(d2).start - end < rule.value:
                                    a, b = by_pds.get((p.key, d, s.key)), by_pds.get((p.key, d2, s2.key))
                                    if a and b:
                                        model.add(sum(a) + sum(b) <= 1).only_enforce_if(lit)
        elif rule.kind == "weekly_hours":
            for week in problem.weeks():
                for p in problem.people:
                    lit = guarded(
                        f"{rule.label} · {p.name} · {problem.week_label(week)}"
                        + _(": at most %(n)s hours") % {"n": rule.value}
                    )
                    model.add(
                        sum(s.hours * works(p.key, d, s.key) for d in week for s in problem.shifts)
                        <= rule.value
                    ).only_enforce_if(lit)
        elif rule.kind == "district_days":
            for week in problem.weeks():
                for p in problem.people:
                    if not p.district:
                        continue
                    need = required_district_days(rule.value, week, p)
                    lit = guarded(
                        f"{rule.label} · {p.name} · {problem.week_label(week)}"
                        + _(": %(n)s days") % {"n": need}
                    )
                    there = [
                        x[p.key, d, s.key, p.district]
                        for d in week
                        for s in problem.shifts
                        if (p.key, d, s.key, p.district) in x
                    ]
                    model.add(sum(there) >= need).only_enforce_if(lit)

    if not named:  # the objective only matters to the search, not to naming a conflict
        _fairness(problem, model, x, works)
    return model, x, assumptions


def _fairness(problem: Problem, model, x: dict, works) -> None:
    """The spread of nights, of weekend shifts and of hours between people, made small; and no
    more shifts than needed (each costs a little)."""
    days = range(problem.days)
    nights = [s.key for s in problem.shifts if s.night]
    weekend = [d for d in days if problem.weekday(d) >= 5]
    terms = []
    for name, counter, weight in (
        ("nights", lambda p: sum(works(p.key, d, s) for d in days for s in nights), 4),
        ("weekends", lambda p: sum(works(p.key, d, s.key) for d in weekend for s in problem.shifts), 4),
        ("hours", lambda p: sum(s.hours * works(p.key, d, s.key) for d in days for s in problem.shifts), 1),
    ):
        high = model.new_int_var(0, 24 * problem.days, f"max_{name}")
        low = model.new_int_var(0, 24 * problem.days, f"min_{name}")
        for p in problem.people:
            if not p.leave:  # people on leave are not held to the same totals
                n = counter(p)
                model.add(n <= high)
                model.add(n >= low)
        terms.append(weight * (high - low))
    model.minimize(sum(terms) * 10 + sum(x.values()))
