"""Benchmark: redemptions at the points counter through ``POST /api/v1/points/redemptions``, against
a bench-only endpoint that writes the same rows with plain SQL in one transaction, in the same run.

    .venv/bin/python bench/points.py [--postgres [URL]] [--duration 15] [--warmup 3] [--clients 32]

1. In a database of its own (SQLite in a temporary data directory, or PostgreSQL with
   ``--postgres``: database ``fq_bench_points``, created and dropped by the run): one station,
   ``--clients`` volunteers with points enough for the whole run, an item of one point with stock
   enough, the station's user and its API token.
2. Serves the app as ``make demo`` does: gunicorn (``fengqiao.gunicorn_conf``, 2 workers of 4
   threads), DEBUG off, with ``bench.points_settings`` (the project's URLs plus the ceiling
   ``/bench/points-redeem-sql``, ``bench/points_urls.py``).
3. ``--clients`` clients, each on a keep-alive connection and redeeming for a volunteer of its
   own with a fresh idempotency key each time, drive the API for ``--duration`` seconds after a
   warm-up, then the ceiling the same way.
4. Prints, for each: redemptions per second, p50 and p99 latency, errors, and the server's CPU time
   per redemption (gunicorn's processes, plus on PostgreSQL the backends of the bench's database,
   read from /proc: it holds whatever else the machine does, the rates and latencies do not);
   then the goals: p99 < 100 ms, CPU per redemption <= 3x the ceiling's. Last, ``points check``
   and the audit chain's verification must pass over everything both wrote.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/fq_bench_points"
API_PATH = "/api/v1/points/redemptions"
CEILING_PATH = "/bench/points-redeem-sql"
TICKS = os.sysconf("SC_CLK_TCK")


def setup(data_dir: Path, postgres: str | None, clients: int) -> dict:
    from bench.patrols import build_city, setup_django

    setup_django(data_dir, postgres)
    from django.contrib.auth import get_user_model
    from shapely.geometry import box

    from fengqiao.accounts.actions import issue_api_token
    from fengqiao.accounts.models import Posting
    from fengqiao.core.commands import system_user
    from fengqiao.patrols import actions as patrols
    from fengqiao.patrols.choices import TeamKind
    from fengqiao.patrols.models import Member
    from fengqiao.points import actions
    from tests.fixtures.registry import valid_id_number

    grid = build_city([box(106.10, 37.90, 106.11, 37.91)])
    station = grid.district.parent
    user = get_user_model().objects.create_user(
        username="station", password=secrets.token_hex(8), role="station"
    )
    Posting.objects.create(user=user, unit=station)
    boss = system_user()
    team = patrols.create_team(actor=boss, name="金积村红袖标", kind=TeamKind.RED_ARMBAND, grid=grid)
    rule = actions.rule_for(station)
    rule.monthly_cap = 0
    rule.save()
    members = []
    for n in range(clients):
        # rows of their own: the bench's one actor would reach the registry's hourly look-up limit
        member = Member.objects.create(
            team=team, name=f"队员{n}", id_number=valid_id_number(), joined_on=dt.date.today()
        )
        actions.award_points(member, actor=user, points=10_000_000, reason="bench")
        members.append(member.pk)
    item = actions.add_item(station, actor=user, name="矿泉水", price=1)
    actions.deliver_stock(item, actor=user, quantity=10_000_000)
    _token, raw = issue_api_token(user, actor=user)
    return {"token": raw, "members": members, "item": item.pk}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.points_settings", "PYTHONPATH": str(ROOT)}
    env["FENGQIAO_ALLOWED_HOSTS"] = "127.0.0.1"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-c", "python:fengqiao.gunicorn_conf", "fengqiao.wsgi"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4"]
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def cpu_seconds(root_pid: int, postgres: str | None) -> float:
    """CPU time so far of the server's processes, and of the database's backends on PostgreSQL."""
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = int(fields[11]) + int(fields[12])
    ours = {root_pid}
    for _ in range(3):
        ours |= {pid for pid, parent in parents.items() if parent in ours}
    if postgres:
        import psycopg

        name = postgres.rsplit("/", 1)[1]
        with psycopg.connect(postgres.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name]
            ).fetchall()
        ours |= {row[0] for row in rows}
    return sum(times.get(pid, 0) for pid in ours) / TICKS


def drive(port: int, path: str, world: dict, seconds: float) -> tuple[list[float], int]:
    """Every client redeems for its own volunteer, back to back, until the time is up: latencies
    of the successes, and the count of anything else."""
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {world['token']}", "Content-Type": "application/json"}

    def client(member: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], 0
        while time.monotonic() < stop:
            body = json.dumps({"member": member, "item": world["item"], "idempotency_key": uuid.uuid4().hex})
            start = time.perf_counter()
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 201
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            if ok:
                mine.append(time.perf_counter() - start)
            else:
                bad += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client, args=(m,)) for m in world["members"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


def measure(name, port, path, world, server, postgres, args) -> dict:
    drive(port, path, world, args.warmup)
    load = os.getloadavg()[0]
    before, started = cpu_seconds(server.pid, postgres), time.monotonic()
    latencies, errors = drive(port, path, world, args.duration)
    elapsed, cpu = time.monotonic() - started, cpu_seconds(server.pid, postgres) - before
    n = len(latencies)
    ordered = sorted(latencies)
    result = {
        "name": name,
        "n": n,
        "rate": n / elapsed,
        "p50": statistics.median(ordered) * 1000 if n else float("nan"),
        "p99": ordered[min(n - 1, int(n * 0.99))] * 1000 if n else float("nan"),
        "errors": errors,
        "cpu_ms": cpu / n * 1000 if n else float("nan"),
    }
    print(
        f"{name:28} {result['rate']:7.1f}/s  p50 {result['p50']:6.1f} ms  p99 {result['p99']:6.1f} ms  "
        f"errors {errors}  server CPU {result['cpu_ms']:5.1f} ms/redemption  (load {load:.1f})",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_PG, default=None)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fq-bench-points-") as tmp:
        world = setup(Path(tmp), args.postgres, args.clients)
        from django.db import connections

        connections.close_all()
        port = free_port()
        server = serve(port)
        print(
            f"{'SQLite' if not args.postgres else 'PostgreSQL'}, gunicorn 2 workers × 4 threads, "
            f"{args.clients} clients, {args.duration:.0f} s each after {args.warmup:.0f} s of warm-up"
        )
        try:
            api = measure(
                "POST /api/v1/points/redemptions", port, API_PATH, world, server, args.postgres, args
            )
            sql = measure("same rows, plain SQL", port, CEILING_PATH, world, server, args.postgres, args)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        ratio = api["cpu_ms"] / sql["cpu_ms"]
        print(
            f"CPU per redemption: {ratio:.2f}× the plain SQL's "
            f"(goal ≤ 3×: {'met' if ratio <= 3 else 'NOT met'})"
        )
        print(
            f"p99 of the API: {api['p99']:.1f} ms (goal < 100 ms: {'met' if api['p99'] < 100 else 'NOT met'})"
        )
        print(f"rate: {api['rate'] / sql['rate']:.2f}× the plain SQL's")
        from django.core.management import call_command

        call_command("points", "check")
        call_command("audit", "verify")
        if args.postgres:
            from bench.patrols import _pg_admin

            connections.close_all()
            _pg_admin(args.postgres, "DROP DATABASE IF EXISTS {name}")


if __name__ == "__main__":
    main()
