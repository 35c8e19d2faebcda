"""Benchmark: page 1 of each list, for a grid worker, an officer and the city, against its own SQL.

Run:

    .venv/bin/python bench/lists.py                  # SQLite, data dir var/bench-lists-sqlite
    .venv/bin/python bench/lists.py --postgres       # PostgreSQL: database fq_bench_lists
        [--requests 20] [--lists events,people,disputes,inbox] [--users grid,officer,city]
        [--rebuild] [--explain]

The data is the demo at scale 1.0 (``fengqiao demo --scale 1.0``: the whole city, its registry,
events and disputes at the demo's default shares), built once and kept (the SQLite data directory
under ``var/``, or the PostgreSQL database), so a rerun starts at once; each run migrates it
first, so it follows the checkout's schema. ``--rebuild`` builds it again.

For each list (events, people, disputes, inbox), as a page (``/events/``, ``/registry/people/``,
``/disputes/``, ``/inbox/``) and through the API (``/api/v1/events``, ``/api/v1/registry/people``,
``/api/v1/disputes``, ``/api/v1/inbox``), page 1, and for each of the demo's ``grid``, ``officer``
and ``city`` users, in one process with DEBUG off:

1. the server time: the request through the whole Django stack (middleware, session or token,
   view, template or schema), Django's test client in the same process, no HTTP server; after
   warm-up requests, the median (and the fastest) of ``--requests`` timed ones;
2. the list's own SQL: the statements that request ran, captured with
   ``CaptureQueriesContext`` and replayed bare on the database cursor (every row fetched), timed
   the same way;
3. the ratio of the two medians (goal <= 3x) and, for the city, page 1 against the goal of
   100 ms. The two are timed in turn, request and replay, so that the machine's other work
   weighs on both alike;
4. the floor: a page and an API answer with no list (``/track/``, ``/api/v1/me``), what the
   stack costs before a list adds anything, for reading the ratios of lists whose SQL takes
   a fraction of a millisecond.

``--explain`` prints each slow list's statements with their time and query plan. Tests never
assert these timings; the machine's other work disturbs them (the load average is printed).
"""

import argparse
import os
import re
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/fq_bench_lists"
DATA_DIR = ROOT / "var" / "bench-lists-sqlite"
SCALE = 1.0
SEED = 1
LISTS = {
    "events": ("/events/?page=1", "/api/v1/events?page=1"),
    "people": ("/registry/people/?page=1", "/api/v1/registry/people?page=1"),
    "disputes": ("/disputes/?page=1", "/api/v1/disputes?page=1"),
    "inbox": ("/inbox/?page=1", "/api/v1/inbox?page=1"),
}
USERS = ("grid", "officer", "city")
# The stack's floor, no list: what a page (session, user, base template; the tracking form) and
# any API answer (token, caller, schema) cost before a list adds anything.
FLOOR = ("/track/", "/api/v1/me")
RATIO_GOAL = 3.0
CITY_GOAL_MS = 100.0


def log(message: str = "") -> None:
    print(message, flush=True)


def built_marker(args) -> Path:
    return DATA_DIR / f"built-{'postgres' if args.postgres else 'sqlite'}-{SCALE}-{SEED}"


def ensure_database(args) -> None:
    """The demo at scale 1.0, built once; migrated on every run."""
    from django.core.management import call_command

    marker = built_marker(args)
    if args.rebuild or not marker.exists():
        started = time.perf_counter()
        if args.postgres:
            import psycopg

            base, _, name = args.postgres.rpartition("/")
            with psycopg.connect(base + "/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
        else:
            for name in ("fengqiao.sqlite3", "fengqiao.sqlite3-wal", "fengqiao.sqlite3-shm"):
                (DATA_DIR / name).unlink(missing_ok=True)
        marker.unlink(missing_ok=True)
        call_command("migrate", verbosity=0)
        with open(os.devnull, "w") as quiet:
            call_command("demo", scale=SCALE, seed=SEED, verbosity=0, stdout=quiet)
        marker.write_text(f"fengqiao demo --scale {SCALE} --seed {SEED}\n")
        log(f"built the demo at scale {SCALE} in {time.perf_counter() - started:.0f} s")
    else:
        call_command("migrate", verbosity=0)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as a database in service has them


def timed(fn, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def replay(statements: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            if cursor.description is not None:
                cursor.fetchall()


def capture(client, url: str, headers: dict) -> tuple[int, list[str]]:
    """The status and the statements of one request. A server-side cursor (PostgreSQL, for
    ``.iterator()``) is replayed as its query: its DECLARE, FETCH and CLOSE are cursor handling."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    statements = []
    for sql in (q["sql"] for q in queries.captured_queries):
        head = sql.lstrip()[:8].upper()
        if head.startswith("DECLARE"):
            sql = re.split(r"\bCURSOR\b.*?\bFOR\b", sql, maxsplit=1, flags=re.S)[1]
        elif head.startswith(("FETCH", "CLOSE", "MOVE")):
            continue
        statements.append(sql)
    return response.status_code, statements


def explain(statements: list[str]) -> None:
    """Each statement's bare time and the database's plan for it."""
    from django.db import connection

    for sql in statements:
        ms = statistics.median(timed(lambda s=sql: replay([s]), 5))
        log(f"      {ms:7.2f} ms  {sql[:400]}")
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                plan = [row[-1] for row in cursor.fetchall()]
            else:
                cursor.execute(f"EXPLAIN {sql}")
                plan = [row[0] for row in cursor.fetchall()]
        for line in plan[:14]:
            log(f"                 {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=20, help="timed requests per list and user (default 20)"
    )
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests first (default 3)")
    parser.add_argument("--lists", default=",".join(LISTS), help=f"comma-separated, of {', '.join(LISTS)}")
    parser.add_argument("--users", default=",".join(USERS), help=f"comma-separated, of {', '.join(USERS)}")
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_PG, default=None, metavar="URL")
    parser.add_argument("--rebuild", action="store_true", help="build the demo data again")
    parser.add_argument("--explain", action="store_true", help="print the SQL and plans of lists off goal")
    args = parser.parse_args()

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        {
            "FENGQIAO_DATA_DIR": str(DATA_DIR),
            "FENGQIAO_SECRET_KEY": secrets.token_urlsafe(50),
            "FENGQIAO_DEBUG": "0",
            "FENGQIAO_HTTPS": "0",
            "FENGQIAO_ALLOWED_HOSTS": "testserver",
            "FENGQIAO_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "fengqiao.settings",
        }
    )
    if args.postgres:
        os.environ["FENGQIAO_DATABASE_URL"] = args.postgres
    else:
        os.environ.pop("FENGQIAO_DATABASE_URL", None)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from fengqiao.accounts.actions import issue_api_token
    from fengqiao.accounts.models import User
    from fengqiao.core.context import Source, acting_as

    ensure_database(args)
    log(
        "load average {:.2f} {:.2f} {:.2f}, {} CPUs; ".format(*os.getloadavg(), os.cpu_count())
        + f"database: {connection.vendor} ({args.postgres or DATA_DIR}); demo scale {SCALE}; "
        f"median of {args.requests} requests after {args.warmup} unmeasured"
    )
    rows = []
    log(
        f"{'list':<10}{'user':<9}{'door':<6}{'status':>7}{'queries':>8}{'server':>11}{'fastest':>11}"
        f"{'bare SQL':>11}{'ratio':>8}  goal"
    )
    for username in args.users.split(","):
        user = User.objects.get(username=username)
        with acting_as(user, Source.CLI):
            _token, raw = issue_api_token(user, actor=user, name="bench-lists")
        page_client = Client()
        page_client.force_login(user)
        api_client = Client()
        for name in ["floor", *args.lists.split(",")]:
            for door, url in zip(("page", "api"), FLOOR if name == "floor" else LISTS[name], strict=True):
                client = page_client if door == "page" else api_client
                headers = {"Authorization": f"Bearer {raw}"} if door == "api" else {}

                def get(client=client, url=url, headers=headers):
                    return client.get(url, headers=headers)

                for _ in range(args.warmup):
                    get()
                status, statements = capture(client, url, headers)
                # Interleaved, so that the machine's other work weighs on both alike.
                server_times, bare_times = [], []
                for _ in range(args.requests):
                    server_times += timed(get, 1)
                    bare_times += timed(lambda s=statements: replay(s), 1)
                server, bare = statistics.median(server_times), statistics.median(bare_times)
                ratio = server / bare if bare else float("inf")
                goals = [ratio <= RATIO_GOAL] + ([server <= CITY_GOAL_MS] if username == "city" else [])
                verdict = "(floor)" if name == "floor" else "met" if all(goals) else "MISSED"
                log(
                    f"{name:<10}{username:<9}{door:<6}{status:>7}{len(statements):>8}{server:>8.1f} ms"
                    f"{min(server_times):>8.1f} ms{bare:>8.1f} ms{ratio:>7.1f}x  {verdict}"
                )
                rows.append((name, username, door, status, len(statements), server, bare, ratio, verdict))
                if args.explain and verdict != "met":
                    explain(statements)
    log("")
    rows = [r for r in rows if r[0] != "floor"]
    missed = [r for r in rows if r[-1] != "met"]
    log(
        f"goal: page 1 within {RATIO_GOAL:g}x its bare SQL, and the city's within {CITY_GOAL_MS:g} ms: "
        f"{len(rows) - len(missed)} of {len(rows)} met"
    )
    for name, username, door, _status, _n, server, bare, ratio, _verdict in missed:
        log(f"  missed: {name} {door} as {username}: {server:.1f} ms, {ratio:.1f}x its SQL ({bare:.1f} ms)")
    city = [r for r in rows if r[1] == "city"]
    if city:
        log(f"slowest page 1 for the city: {max(r[5] for r in city):.1f} ms")
    log("load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
