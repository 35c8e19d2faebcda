"""The deadline sweep with more than one worker: each overdue case climbs one rung once, each
periodic job runs once a period; and an escalated case's new limit follows the working calendar."""

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from fengqiao.core import periodic
from fengqiao.core.casework import sweep
from fengqiao.core.commands import system_user
from fengqiao.core.context import Source, acting_as
from fengqiao.core.models import AuditEntry, TimelineEntry
from fengqiao.events.models import Event

on_postgresql = pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="SQLite runs one writer at a time: two sweeps cannot overlap there",
)


def local(moment):
    return timezone.localtime(moment).replace(tzinfo=None)


def events():
    return Event.objects.unscoped(reason="test: every event")


def escalations_per_event() -> dict[int, int]:
    counts = dict.fromkeys(events().values_list("pk", flat=True), 0)
    for case_id in TimelineEntry.objects.filter(transition="escalate").values_list("case_id", flat=True):
        counts[case_id] += 1
    return counts


def in_threads(*targets):
    """Run each target in a thread of its own, on a connection of its own."""
    errors = []

    def run(target):
        try:
            target()
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit")
def test_a_sweep_overlapping_another_escalates_each_case_once(personas, report, monday_morning):
    # given five overdue events
    for _ in range(5):
        report(at=monday_morning)
    now = monday_morning + dt.timedelta(days=1)
    reports = {}
    first_moved = threading.Event()

    def hold_after_first_update(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('UPDATE "events_event"') and not first_moved.is_set():
            first_moved.set()
            threading.Event().wait(0.5)  # the second sweep starts while this one holds the rows
        return result

    def first():
        with connection.execute_wrapper(hold_after_first_update):
            reports["first"] = sweep(now)

    def second():
        first_moved.wait(10)
        reports["second"] = sweep(now)

    # when two workers sweep at the same moment, the second while the first has not committed
    in_threads(first, second)

    # then each event climbed one rung once, with one timeline entry
    assert (reports["first"].escalated, reports["second"].escalated) == (5, 0)
    assert set(escalations_per_event().values()) == {1}
    assert {(e.level, e.missed_deadlines, e.version) for e in events()} == {(1, 1, 2)}


@pytest.fixture
def ticks():
    """A periodic job that counts its runs, for the length of the test."""
    runs = []
    periodic.register("test tick", lambda: runs.append(1), every=dt.timedelta(minutes=1))
    yield runs
    periodic._JOBS.pop("test tick")


@pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="threads share SQLite's in-memory test database, which locks whole tables",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit")
def test_two_workers_run_each_periodic_job_once_a_period(personas, report, monday_morning, ticks):
    # given overdue events and two workers
    for _ in range(3):
        report(at=monday_morning)
    system = system_user()
    ran: dict[str, list] = {"w1": [], "w2": []}

    def worker(name, now, barrier):
        def run():
            barrier.wait()
            with acting_as(system, Source.WORKER):
                ran[name] += [job for job, _result in periodic.run_due(now, holder=name)]

        return run

    def period(now):
        barrier = threading.Barrier(2)
        in_threads(worker("w1", now, barrier), worker("w2", now, barrier))

    # when both look for due jobs at the same moment, twice within a minute and once after it
    start = timezone.now()
    period(start)
    period(start + dt.timedelta(seconds=30))
    period(start + dt.timedelta(seconds=61))

    # then each job ran once a period, by one worker or the other: the minutely ones twice
    minutely = [job.name for job in periodic.jobs() if job.interval <= dt.timedelta(minutes=1)]
    assert {"sweep", "test tick"} <= set(minutely)
    assert sorted(ran["w1"] + ran["w2"]) == sorted([job.name for job in periodic.jobs()] + minutely)
    assert len(ticks) == 2
    # and the sweep escalated each event once, in one audited sweep
    assert set(escalations_per_event().values()) == {1}
    assert AuditEntry.objects.filter(action="case_sweep").count() == 1


@pytest.mark.django_db
def test_an_escalated_limit_counts_working_hours_on_the_official_calendar(personas, report):
    # given an event in working hours and a police incident in clock hours, both overdue on the
    # eve of the National Day holiday (Wednesday 30 September 2026)
    reported = timezone.make_aware(dt.datetime(2026, 9, 30, 9, 0))
    hazard = report("0401", at=reported)
    incident = report("0102", at=reported)
    eve = timezone.make_aware(dt.datetime(2026, 9, 30, 16, 0))

    # when the sweep escalates them
    assert sweep(eve).escalated == 2

    # then the hazard's 24 h are working hours: 1.5 h on the eve, none in the 1-7 October holiday,
    # Thursday and Friday, and Saturday 10 October, a make-up working day, up to 17:30
    hazard = events().get(pk=hazard.pk)
    assert local(hazard.due_at) == dt.datetime(2026, 10, 10, 17, 30)
    assert hazard.remind_at == hazard.due_at - (hazard.due_at - eve) * 0.2  # as every step's
    # and the incident's are clock hours, as its steps' are
    assert local(events().get(pk=incident.pk).due_at) == dt.datetime(2026, 10, 1, 16, 0)
