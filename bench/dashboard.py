"""Benchmark: the city's command-room dashboard against one raw GROUP BY over the events table.

Run (a data directory and database of its own, dropped at the end unless --keep):

    .venv/bin/python bench/dashboard.py                     # SQLite, scale-1.0 demo (slow to build)
    .venv/bin/python bench/dashboard.py --events-scale 0.2  # a fifth of the city's events
    .venv/bin/python bench/dashboard.py --postgres          # PostgreSQL: database fq_bench_dashboard
        [--registry-scale R] [--rounds 7] [--keep] [--reuse DIR]

In one run:

1. builds the demo city with two years of events (``fengqiao demo``: its bulk path, then the
   dashboard's rollups counted once, as ``make demo`` does);
2. the baseline: one ``GROUP BY`` month × category over the whole events table through the ORM
   (the month cut natively: ``strftime`` on SQLite, ``date_trunc`` on PostgreSQL), timed;
3. the dashboard, interleaved with the baseline round by round: the city bureau user's
   ``/command/`` page for the last twelve whole months (so its 同比 reaches two years back)
   through Django's test client — every figure, 同比 and 环比,
   the classes, the share of villages without a criminal case, the twelve months' chart, the
   template — server time, the rollups read after the stale days are caught up;
4. prints the medians, the ratio (goal: ≤ 2× the raw GROUP BY) and, as a stretch mark, DuckDB's
   time for the same GROUP BY on the same rows when the ``duckdb`` package is installed.

The figures are checked against the records once (the page's criminal cases equal a count of
the events table), so a fast wrong answer cannot pass.
"""

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/fq_bench_dashboard"
UNSCOPED_BENCH = "bench: the raw GROUP BY the dashboard is measured against"
GOAL = 2.0


def log(message: str = "") -> None:
    print(message, flush=True)


def fresh_postgres(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def build(args) -> None:
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command(
        "demo",
        scale=1.0,
        registry_scale=args.registry_scale,
        events_scale=args.events_scale,
        seed=args.seed,
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    log(f"demo built in {time.perf_counter() - started:.1f} s")


def month_expression():
    """The month of ``opened_at`` as text, cut by the database itself."""
    from django.db.models import CharField, Func

    class Month(Func):
        output_field = CharField()

        def as_sqlite(self, compiler, connection, **extra):
            sql, params = compiler.compile(self.source_expressions[0])
            return f"strftime('%%Y-%%m', {sql})", params

        def as_postgresql(self, compiler, connection, **extra):
            sql, params = compiler.compile(self.source_expressions[0])
            return f"to_char(date_trunc('month', {sql}), 'YYYY-MM')", params

    return Month("opened_at")


def raw_group_by() -> int:
    from django.db.models import Count

    from fengqiao.events.models import Event

    rows = (
        Event.objects.unscoped(reason=UNSCOPED_BENCH)
        .annotate(month=month_expression())
        .values("month", "category_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return len(list(rows))


def timed(fn, rounds: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def duckdb_time(rounds: int) -> float | None:
    """The same GROUP BY in DuckDB over the same (id, opened_at, category) rows, in memory."""
    try:
        import duckdb
    except ImportError:
        return None
    from fengqiao.events.models import Event

    rows = list(Event.objects.unscoped(reason=UNSCOPED_BENCH).values_list("pk", "opened_at", "category_id"))
    con = duckdb.connect()
    con.execute("CREATE TABLE events (id BIGINT, opened_at TIMESTAMPTZ, category_id INTEGER)")
    con.executemany("INSERT INTO events VALUES (?, ?, ?)", rows)
    query = "SELECT date_trunc('month', opened_at) AS m, category_id, count(*) FROM events GROUP BY 1, 2"
    seconds, _ = timed(lambda: con.execute(query).fetchall(), rounds)
    return seconds


def measure(args) -> None:
    import datetime as dt

    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from fengqiao.accounts.models import User
    from fengqiao.analytics.dashboard import dashboard
    from fengqiao.events.models import Event

    city = User.objects.get(username="city")
    first = timezone.localdate().replace(day=1)
    end = first - dt.timedelta(days=1)
    start = first.replace(year=first.year - 1)
    events = Event.objects.unscoped(reason=UNSCOPED_BENCH).count()
    log(
        f"database: {connection.vendor}; {events:,} events; "
        f"period {start} to {end} (同比 from {start.year - 1})"
    )

    client = Client()
    client.force_login(city)
    url = f"{reverse('command')}?start={start}&end={end}"

    def page():
        response = client.get(url)
        assert response.status_code == 200, (response.status_code, response.get("Location"))
        return response

    page()  # warm: the process's reference caches, as a server in service has them
    # Interleaved, so that the machine's other work weighs on all three alike.
    raw_times, page_times, selector_times = [], [], []
    for _ in range(args.rounds):
        seconds, groups = timed(raw_group_by, 1)
        raw_times.append(seconds)
        page_times.append(timed(page, 1)[0])
        seconds, result = timed(lambda: dashboard(city, start=start, end=end), 1)
        selector_times.append(seconds)
    raw_seconds = statistics.median(raw_times)
    page_seconds = statistics.median(page_times)
    selector_seconds = statistics.median(selector_times)

    criminal = result.figures["events.criminal"].value
    counted = (
        Event.objects.unscoped(reason=UNSCOPED_BENCH)
        .filter(kind="case", offence="criminal", opened_at__date__gte=start, opened_at__date__lte=end)
        .count()
    )
    assert criminal == counted, (criminal, counted)

    log(f"raw GROUP BY month × category: {raw_seconds * 1000:8.1f} ms ({groups} groups)")
    log(f"dashboard page /command/:      {page_seconds * 1000:8.1f} ms ({len(result.figures)} figures)")
    log(f"  of which the figures:        {selector_seconds * 1000:8.1f} ms (rollups: {result.from_rollups})")
    ratio = page_seconds / raw_seconds
    log(
        f"ratio page / raw GROUP BY:     {ratio:8.2f}× "
        f"(goal ≤ {GOAL}×: {'met' if ratio <= GOAL else 'missed'})"
    )
    duck = duckdb_time(args.rounds)
    if duck is None:
        log("DuckDB: not installed (pip install duckdb for the stretch mark)")
    else:
        log(
            f"DuckDB, same GROUP BY in memory: {duck * 1000:6.1f} ms "
            f"(page / DuckDB {page_seconds / duck:.1f}×)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events-scale", type=float, default=1.0, help="demo events scale (1.0: the city)")
    parser.add_argument("--registry-scale", type=float, default=0.1, help="demo registry scale")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_PG, default=None, metavar="URL")
    parser.add_argument("--keep", action="store_true", help="keep the data directory / database")
    parser.add_argument("--reuse", metavar="DIR", help="measure again on what a --keep run built")
    args = parser.parse_args()

    data_dir = Path(args.reuse) if args.reuse else Path(tempfile.mkdtemp(prefix="fq-bench-dashboard-"))
    os.environ.update(
        FENGQIAO_DATA_DIR=str(data_dir),
        FENGQIAO_SECRET_KEY=secrets.token_urlsafe(50),
        FENGQIAO_DEBUG="0",
        FENGQIAO_HTTPS="0",
        FENGQIAO_ALLOWED_HOSTS="testserver",
        FENGQIAO_STAFF_MFA="off",  # the page's own time; the second factor is asked once a session
        FENGQIAO_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="fengqiao.settings",
    )
    if args.postgres:
        os.environ["FENGQIAO_DATABASE_URL"] = args.postgres
        if not args.reuse:
            fresh_postgres(args.postgres)
    else:
        os.environ.pop("FENGQIAO_DATABASE_URL", None)
    import django

    django.setup()
    try:
        if not args.reuse:
            build(args)
        measure(args)
    finally:
        if not args.keep and not args.reuse:
            from django.db import connections

            connections.close_all()
            if args.postgres:
                fresh_postgres(args.postgres, drop_only=True)
            shutil.rmtree(data_dir, ignore_errors=True)
        elif args.keep:
            log(f"kept: {data_dir}")


if __name__ == "__main__":
    main()
