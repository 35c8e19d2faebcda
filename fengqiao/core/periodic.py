"""Periodic jobs the worker runs: apps register them at start-up, so ``core`` need not know them.

A job must be idempotent (run twice, it does its work once): the worker runs every job when it
starts and then each time its interval has passed.
"""

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Job:
    name: str
    run: Callable[[], object]
    interval: dt.timedelta
    next_at: float = 0.0  # time.monotonic() after which it is due


_JOBS: dict[str, Job] = {}


def register(name: str, run: Callable[[], object], *, every: dt.timedelta) -> None:
    _JOBS[name] = Job(name, run, every)


def jobs() -> list[Job]:
    return list(_JOBS.values())


def run_due(now: float | None = None) -> list[tuple[str, object]]:
    """Run the jobs whose time has come; return (name, result) for each."""
    now = time.monotonic() if now is None else now
    done = []
    for job in _JOBS.values():
        if now >= job.next_at:
            done.append((job.name, job.run()))
            job.next_at = now + job.interval.total_seconds()
    return done
