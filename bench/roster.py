"""Benchmark: propose a month's roster for a station of 30 staff over 31 days with CP-SAT.

The station (four police districts, two community officers in each, 22 other staff, three on
leave for a week) works six shifts (early, late, a night of 12 hours past midnight, a staggered
one, a flexible one and office hours) under the rules of issue 17: at least three people on duty
every hour and six from 08:00 to 20:00, reception hours 09:00–17:00 on weekdays at each
district's office, 12 hours of rest between shifts, at most 48 hours a week, community officers
in their district at least four days a week. Goal: a feasible roster in ≤ 10 s, every rule met
by the coverage checker (not by trusting the solver). In the same run, the baseline: the same
station with coverage alone (no rest, hours, district or reception rules), and the ratio. Then an
infeasible variant (three people at the reception of a district that has two officers) must be
proven infeasible with the rule, the place and the day named. No database needed:

    .venv/bin/python bench/roster.py [--staff 30] [--days 31] [--seconds 10]
"""

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
os.environ.setdefault("FENGQIAO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from fengqiao.duty.coverage import check  # noqa: E402
from fengqiao.duty.problem import Person, Problem, Rule, Shift  # noqa: E402
from fengqiao.duty.solver import propose  # noqa: E402

STATION = "640300/640302/ps01"


def station(staff: int, month: dt.date, *, reception: int = 1) -> Problem:
    districts = [f"{STATION}/d0{i}" for i in range(1, 5)]
    people = []
    for i in range(staff):
        district = districts[i // 2] if i < 8 else ""
        leave = frozenset(range(10, 17)) if i in (3, 12, 20) else frozenset()
        people.append(Person(i + 1, f"staff{i + 1:02d}", district, leave))
    shifts = [
        Shift(1, "早", 8, 8),
        Shift(2, "中", 16, 8),
        Shift(3, "夜", 20, 12),
        Shift(4, "错", 10, 8),
        Shift(5, "弹", 12, 8),
        Shift(6, "办", 9, 8),
    ]
    names = {STATION: "派出所"} | {d: f"第{d[-1]}警务区" for d in districts}
    rules = [
        Rule(1, "coverage", "people on duty", 3, STATION, "派出所"),
        Rule(2, "coverage", "people on duty", 6, STATION, "派出所", start_hour=8, end_hour=20),
        Rule(3, "rest", "rest", 12),
        Rule(4, "weekly_hours", "hours per week", 48),
        Rule(5, "district_days", "district days", 4),
    ] + [
        Rule(
            10 + i,
            "reception",
            "reception",
            reception if i == 1 else 1,
            d,
            names[d],
            frozenset(range(5)),
            9,
            17,
        )
        for i, d in enumerate(districts)
    ]
    return Problem(month=month, unit=STATION, people=people, shifts=shifts, rules=rules, area_names=names)


def timed(problem: Problem, seconds: float):
    started = time.perf_counter()
    proposal = propose(problem, seconds=seconds)
    return proposal, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--staff", type=int, default=30)
    parser.add_argument("--days", type=int, default=31, help="31 (a month of 31 days) or 30")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    month = dt.date(2026, 12, 1) if args.days == 31 else dt.date(2026, 11, 1)

    full = station(args.staff, month)
    proposal, elapsed = timed(full, args.seconds)
    breaches = check(full, proposal.slots) if proposal.feasible else []
    first = f"{proposal.first_seconds:.2f} s" if proposal.first_seconds is not None else "none"
    print(
        f"full rules: {proposal.status}, {len(proposal.slots)} shifts; first feasible roster after {first}, "
        f"best within {elapsed:.2f} s (goal: a feasible roster in ≤ 10 s)"
    )
    for conflict in proposal.conflicts[:5]:
        print(f"  names: {conflict}")
    print(
        f"  coverage checker: {len(breaches)} breaches"
        + "".join(f"\n    {b.sentence()}" for b in breaches[:5])
    )

    base = station(args.staff, month)
    base.rules = [r for r in base.rules if r.kind == "coverage"]
    baseline, base_elapsed = timed(base, args.seconds)
    print(f"baseline (coverage only): {baseline.status}, {base_elapsed:.2f} s")
    print(f"ratio full / baseline: {elapsed / base_elapsed:.2f}×")

    crowded = station(args.staff, month, reception=3)
    refused, refused_elapsed = timed(crowded, args.seconds)
    print(
        f"infeasible variant (3 at a district office of 2 officers): {refused.status}, "
        f"{refused_elapsed:.2f} s"
    )
    for conflict in refused.conflicts[:5]:
        print(f"  names: {conflict}")
    found = proposal.first_seconds is not None and proposal.first_seconds <= 10
    ok = proposal.feasible and not breaches and found and refused.status == "INFEASIBLE" and refused.conflicts
    print("OK" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
