"""Periodic jobs the worker runs: apps register them at start-up, so ``core`` need not know them.

Every worker process shares one schedule, kept in the database: a job runs when a worker takes
its lease (:class:`~fengqiao.core.models.JobLease`) for the next period with a conditional UPDATE,
which exactly one worker wins on SQLite and PostgreSQL alike. A job still does its work once if
it runs twice (a worker may die after its period ended), but it is not run twice per period.
"""

import datetime as dt
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone


@dataclass
class Job:
    name: str
    run: Callable[[], object]
    interval: dt.timedelta


_JOBS: dict[str, Job] = {}


def register(name: str, run: Callable[[], object], *, every: dt.timedelta) -> None:
    _JOBS[name] = Job(name, run, every)


def jobs() -> list[Job]:
    return list(_JOBS.values())


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def take(job: Job, now: dt.datetime, holder: str) -> bool:
    """Take the job's period starting ``now`` if no worker holds it; True when this one did."""
    from fengqiao.core.models import JobLease

    taken = {"holder": holder, "expires_at": now + job.interval}
    _lease, created = JobLease.objects.get_or_create(name=job.name, defaults=taken)
    return created or bool(JobLease.objects.filter(name=job.name, expires_at__lte=now).update(**taken))


def run_due(now: dt.datetime | None = None, *, holder: str | None = None) -> list[tuple[str, object]]:
    """Run the jobs whose period this worker takes; return (name, result) for each."""
    now = now or timezone.now()
    holder = holder or this_worker()
    return [(job.name, job.run()) for job in jobs() if take(job, now, holder)]
