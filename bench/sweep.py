"""Benchmark: the deadline sweep over 100,000 overdue open events, against one bulk UPDATE.

In one run, in a database of its own (SQLite in a temporary data directory, or PostgreSQL with
``--postgres``: database ``fq_bench_sweep``, created and dropped by the run, plus a working copy
``fq_bench_sweep_run`` made from it as a template for each measurement):

1. builds the scale-1.0 demo city (3,475 grids, its staff; no registry) and the event categories;
2. bulk-inserts N open events (default 100,000) spread over every grid, every leaf category and
   every open status, each held where intake would route it (its grid, or its station for the
   categories that go straight there) and every one past its deadline;
3. for each of ``--rounds`` rounds, on a fresh copy of that database each time:
   - the ceiling: one ``UPDATE`` of the same rows that makes the same change to the cases (holder
     one rung up, level + 1, a new due time and reminder, the clock restarted, missed deadlines
     and version + 1), in one transaction;
   - the sweep as the worker runs it (``fengqiao.core.casework.sweep`` as the system user, source
     ``worker``): its selects, its UPDATEs, one timeline entry per case, the audit entry, and the
     notifications to each new holder after commit;
   and checks both changed every row (each event one level up) and the sweep wrote N timeline
   entries;
4. prints both times, the ratio (goal: the sweep within 3× of the UPDATE) and the load average;
   with ``--profile``, one more sweep on a fresh copy with the time per SQL statement kind (an
   execute wrapper) and a cProfile of the Python side;
5. with ``--timeline``, the sweep's escalation entries for every event written alone, rolled back,
   twice each way: by ``casework.insert_timeline`` (one INSERT ... SELECT, the sweep's way) and by
   ``bulk_create`` (the public API's way; the figures of docs/adr/0004).

    .venv/bin/python bench/sweep.py [--events 100000] [--rounds 2] [--postgres [URL]] [--profile]
        [--timeline] [--keep]
"""

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import random
import re
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/fq_bench_sweep"
UNSCOPED_BENCH = "bench: filling and checking the events the sweep works on"
TITLES = (
    "楼道堵塞",
    "路灯不亮",
    "井盖缺失",
    "噪音扰民",
    "占道经营",
    "电动车违规充电",
    "邻里纠纷",
    "可疑人员",
)


def log(message: str = "") -> None:
    print(message, flush=True)


def loadavg() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


# ---------------------------------------------------------------------------------------------
# databases: the built one stays untouched; every measurement works on a fresh copy of it


class Databases:
    def __init__(self, postgres_url: str | None, data_dir: Path):
        self.postgres_url = postgres_url
        self.data_dir = data_dir
        if postgres_url:
            self.base_name = postgres_url.rpartition("/")[2]
            self.copy_name = self.base_name + "_run"

    def _admin(self):
        import psycopg

        return psycopg.connect(self.postgres_url.rpartition("/")[0] + "/postgres", autocommit=True)

    def create(self) -> None:
        if self.postgres_url:
            with self._admin() as conn:
                for name in (self.copy_name, self.base_name):
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{self.base_name}"')

    def fresh_copy(self) -> None:
        """Point Django at a new copy of the built database."""
        from django.db import connection

        base = connection.settings_dict.setdefault("BENCH_BASE_NAME", connection.settings_dict["NAME"])
        connection.close()
        if self.postgres_url:
            with self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.copy_name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{self.copy_name}" TEMPLATE "{self.base_name}"')
            connection.settings_dict["NAME"] = self.copy_name
        else:
            with sqlite3.connect(base) as raw:  # fold the WAL into the file before copying it
                raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            copy = self.data_dir / "run.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(str(copy) + suffix).unlink(missing_ok=True)
            shutil.copyfile(base, copy)
            connection.settings_dict["NAME"] = str(copy)

    def drop(self) -> None:
        from django.db import connections

        connections.close_all()
        if self.postgres_url:
            with self._admin() as conn:
                for name in (self.copy_name, self.base_name):
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------------------------
# the data


def demo_city(seed: int, out, events_scale: float = 0.0) -> None:
    """The scale-1.0 demo city without its registry and, unless asked, without demo events."""
    from django.core.management import call_command, load_command_class

    options = {"scale": 1.0, "registry_scale": 0.0, "seed": seed, "stdout": out}
    parser = load_command_class("fengqiao.demo", "demo").create_parser("fengqiao", "demo")
    if any(action.dest == "events_scale" for action in parser._actions):
        options["events_scale"] = events_scale
    call_command("demo", **options)


def build_city(seed: int) -> None:
    from django.core.management import call_command

    from fengqiao.core.commands import system_user
    from fengqiao.core.context import Source, acting_as
    from fengqiao.events.actions import CATEGORIES_FILE, load_categories

    call_command("migrate", verbosity=0)
    demo_city(seed, io.StringIO())
    system = system_user()
    with acting_as(system, Source.CLI):
        load_categories(json.loads(CATEGORIES_FILE.read_text(encoding="utf-8")), actor=system)


def insert_events(n: int, now: dt.datetime, seed: int) -> None:
    """N open events, every one overdue, spread over the city's grids and the leaf categories.
    Written with one executemany (COPY on PostgreSQL) per 5,000 rows, since Django's bulk_create
    spends minutes preparing 35 fields of 100,000 rows; columns not set here take the model's
    default."""
    from django.db import connection, models, transaction

    from fengqiao.events.choices import Channel
    from fengqiao.events.models import Category, Event, new_tracking_code
    from fengqiao.events.routing import holder_for
    from fengqiao.events.workflow import OPEN
    from fengqiao.geo.models import Grid

    rng = random.Random(seed)
    grids = list(
        Grid.objects.unscoped(reason=UNSCOPED_BENCH).filter(is_active=True).defer("geometry").order_by("pk")
    )
    parents = set(Category.objects.exclude(parent=None).values_list("parent_id", flat=True))
    categories = list(Category.objects.filter(active=True).exclude(pk__in=parents))
    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    blank = Event()
    template = {f.attname: getattr(blank, f.attname) for f in fields}
    stamps = {f.attname for f in fields if isinstance(f, models.DateTimeField)}
    adapt = connection.ops.adapt_datetimefield_value
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {Event._meta.db_table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"

    def write(cursor, rows):
        if connection.vendor == "postgresql":  # COPY: executemany spends minutes on 100,000 rows
            with cursor.cursor.copy(f"COPY {Event._meta.db_table} ({columns}) FROM STDIN") as copy:
                for values in rows:
                    copy.write_row(values)
        else:
            cursor.executemany(sql, rows)

    holders = {}
    batch = []
    with transaction.atomic(), connection.cursor() as cursor:
        for i in range(n):
            grid = rng.choice(grids)
            category = rng.choice(categories)
            key = (category.pk, grid.pk)
            if key not in holders:
                holders[key] = holder_for(category, grid)
            opened = now - dt.timedelta(hours=rng.uniform(2, 96))
            due = now - dt.timedelta(minutes=rng.uniform(1, 60 * 48))
            if due <= opened:
                due = opened + (now - opened) / 2
            row = {
                **template,
                "scope_path": grid.scope_path,
                "number": f"E-{grid.scope_path.split('/')[1]}-{opened:%Y%m%d}-B{i:06d}",
                "status": rng.choice(OPEN),
                "holder_path": holders[key],
                "opened_at": opened,
                "step_started_at": opened,
                "due_at": due,
                "remind_at": due - (due - opened) * 0.2,
                "reminded": rng.random() < 0.7,
                "kind": category.kind,
                "category_id": category.pk,
                "title": rng.choice(TITLES),
                "channel": Channel.STAFF,
                "grid_id": grid.pk,
                "lon": grid.centroid_lon,
                "lat": grid.centroid_lat,
                "tracking_code": new_tracking_code(),
            }
            batch.append(tuple(adapt(row[a]) if a in stamps else row[a] for a in (f.attname for f in fields)))
            if len(batch) == 5000:
                write(cursor, batch)
                batch = []
        if batch:
            write(cursor, batch)


# ---------------------------------------------------------------------------------------------
# the two measurements


def ceiling_update(now: dt.datetime) -> tuple[float, int, str]:
    """One UPDATE making the sweep's change to the case rows, committed. (seconds, rows, SQL)"""
    from django.db import connection, transaction

    from fengqiao.core.casework import parent_sql, workflows

    workflow = workflows()["event"]
    due = now + workflow.escalation_limit
    remind = workflow.reminder(now, due)
    states = workflow.open_states
    sql = (
        f"UPDATE events_event SET holder_path = {parent_sql('holder_path')}, level = level + 1, "
        "due_at = %s, remind_at = %s, reminded = %s, step_started_at = %s, "
        "missed_deadlines = missed_deadlines + 1, version = version + 1 "
        f"WHERE status IN ({', '.join(['%s'] * len(states))}) AND due_at <= %s"
    )
    adapt = connection.ops.adapt_datetimefield_value  # as the ORM stores them (naive UTC on SQLite)
    params = [adapt(due), adapt(remind), False, adapt(now), *states, adapt(now)]
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.rowcount
    return time.perf_counter() - started, rows, sql


def run_sweep(now: dt.datetime):
    from fengqiao.core import casework
    from fengqiao.core.commands import system_user
    from fengqiao.core.context import Source, acting_as

    system = system_user()
    started = time.perf_counter()
    with acting_as(system, Source.WORKER):
        report = casework.sweep(now)
    return time.perf_counter() - started, report


def check_escalated(n: int, *, timeline: bool) -> None:
    from fengqiao.core.models import TimelineEntry
    from fengqiao.events.models import Event

    events = Event.objects.unscoped(reason=UNSCOPED_BENCH)
    moved = events.filter(level=1, missed_deadlines=1, version=2).count()
    if moved != n:
        raise SystemExit(f"only {moved} of {n} events were escalated")
    if timeline:
        entries = TimelineEntry.objects.filter(case_type="event", transition="escalate").count()
        if entries != n:
            raise SystemExit(f"{entries} escalation timeline entries for {n} events")


class StatementTimes:
    """An execute wrapper: wall time and count per kind of SQL statement (verb and table)."""

    def __init__(self):
        self.times = defaultdict(float)
        self.counts = defaultdict(int)

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.times[self.kind(sql)] += time.perf_counter() - started
            self.counts[self.kind(sql)] += 1

    @staticmethod
    def kind(sql: str) -> str:
        verb = sql.lstrip().split(None, 1)[0].upper()
        table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.IGNORECASE)
        return f"{verb} {table.group(1) if table else ''}".strip()


def profile_sweep(now: dt.datetime, databases: Databases) -> None:
    from django.db import connection

    databases.fresh_copy()
    times = StatementTimes()
    profiler = cProfile.Profile()
    with connection.execute_wrapper(times):
        profiler.enable()
        seconds, report = run_sweep(now)
        profiler.disable()
    log(f"\nprofiled sweep: {seconds:.2f} s (under cProfile), {report.escalated} escalated")
    sql_total = sum(times.times.values())
    log(f"SQL statements: {sql_total:.2f} s in {sum(times.counts.values())} statements; the rest is Python")
    for kind, spent in sorted(times.times.items(), key=lambda kv: -kv[1])[:12]:
        log(f"  {spent:7.3f} s  {times.counts[kind]:6d} x  {kind}")
    for order, lines in (("cumulative", 30), ("tottime", 15)):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(lines)
        log(out.getvalue())


def compare_timeline_writes(now: dt.datetime, databases: Databases) -> None:
    """The escalation entries of every event, by the sweep's INSERT ... SELECT and by bulk_create."""
    from django.db import transaction

    from fengqiao.core.casework import insert_timeline
    from fengqiao.core.models import TimelineEntry
    from fengqiao.events.models import Event

    databases.fresh_copy()
    events = Event.objects.unscoped(reason=UNSCOPED_BENCH).order_by("pk")
    rows = list(events.values_list("pk", "holder_path", "status"))

    def insert_select(part):
        insert_timeline(Event, [pk for pk, _path, _status in part], "escalate", now, escalate=True)

    def bulk_create(part):
        TimelineEntry.objects.bulk_create(
            TimelineEntry(
                case_type="event",
                case_id=pk,
                at=now,
                transition="escalate",
                from_status=status,
                to_status=status,
                holder_path=path.rsplit("/", 1)[0],
                data={"from": path},
            )
            for pk, path, status in part
        )

    log(f"\n{len(rows):,} escalation timeline entries, written alone and rolled back ({loadavg()}):")
    for _round in range(2):
        for name, write in (("INSERT ... SELECT", insert_select), ("bulk_create", bulk_create)):
            started = time.perf_counter()
            with transaction.atomic():
                for start in range(0, len(rows), 50_000):  # the sweep's chunks
                    write(rows[start : start + 50_000])
                seconds = time.perf_counter() - started
                transaction.set_rollback(True)
            log(f"  {name:18} {seconds:6.2f} s")


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="open overdue events (default 100,000)")
    parser.add_argument("--rounds", type=int, default=2, help="ceiling + sweep pairs, each on a fresh copy")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_PG, default=None, metavar="URL")
    parser.add_argument(
        "--profile", action="store_true", help="one more sweep, timed per statement and profiled"
    )
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="time the sweep's timeline writes alone, both ways",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data directory / databases")
    parser.add_argument(
        "--reuse",
        metavar="DIR",
        help="measure again on what an earlier --keep run built (its data directory; with --postgres, "
        "its database too) instead of building",
    )
    args = parser.parse_args()

    data_dir = Path(args.reuse) if args.reuse else Path(tempfile.mkdtemp(prefix="fq-bench-sweep-"))
    os.environ.update(
        FENGQIAO_DATA_DIR=str(data_dir),
        FENGQIAO_SECRET_KEY=secrets.token_urlsafe(50),
        FENGQIAO_DEBUG="0",
        FENGQIAO_HTTPS="0",
        FENGQIAO_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="fengqiao.settings",
    )
    if args.postgres:
        os.environ["FENGQIAO_DATABASE_URL"] = args.postgres
    else:
        os.environ.pop("FENGQIAO_DATABASE_URL", None)
    databases = Databases(args.postgres, data_dir)
    if not args.reuse:
        databases.create()
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    log(f"{loadavg()}, {os.cpu_count()} CPUs; database: {connection.vendor} ({args.postgres or data_dir})")
    try:
        if args.reuse:
            from fengqiao.events.models import Event

            args.events = Event.objects.unscoped(reason=UNSCOPED_BENCH).count()
            log(f"reusing {args.events:,} events")
        else:
            started = time.perf_counter()
            build_city(args.seed)
            log(f"city and categories built in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            insert_events(args.events, timezone.now(), args.seed)
            log(f"{args.events:,} overdue open events inserted in {time.perf_counter() - started:.1f} s")
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        sweep_at = timezone.now()
        ceilings, sweeps = [], []
        for round_no in range(1, args.rounds + 1):
            log(f"\nround {round_no} ({loadavg()})")
            databases.fresh_copy()
            seconds, rows, sql = ceiling_update(sweep_at)
            if rows != args.events:
                raise SystemExit(f"the UPDATE changed {rows} rows, not {args.events}")
            check_escalated(args.events, timeline=False)
            ceilings.append(seconds)
            log(f"  one UPDATE (the ceiling): {seconds:6.2f} s  ({rows:,} rows)")
            databases.fresh_copy()
            seconds, report = run_sweep(sweep_at)
            if report.escalated != args.events or report.reminded:
                raise SystemExit(f"the sweep escalated {report.escalated}, reminded {report.reminded}")
            check_escalated(args.events, timeline=True)
            sweeps.append(seconds)
            log(f"  casework.sweep():         {seconds:6.2f} s  ({report.escalated:,} escalated)")
        if ceilings:
            ceiling, swept = statistics.median(ceilings), statistics.median(sweeps)
            log(f"\nthe ceiling: {sql}")
            log(
                f"\n{args.events:,} overdue events on {connection.vendor}: sweep {swept:.2f} s, one UPDATE "
                f"{ceiling:.2f} s (medians of {args.rounds}): sweep / UPDATE = {swept / ceiling:.1f}x "
                f"(goal <= 3x: {'met' if swept <= 3 * ceiling else 'MISSED'}); "
                f"{args.events / swept:,.0f} cases/s"
            )
        if args.profile:
            profile_sweep(sweep_at, databases)
        if args.timeline:
            compare_timeline_writes(sweep_at, databases)
        log(loadavg())
    finally:
        if args.keep or args.reuse:
            log(f"kept: {data_dir}" + (f" and {args.postgres}" if args.postgres else ""))
        else:
            databases.drop()
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
