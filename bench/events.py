"""Benchmark: event intake through ``POST /api/v1/events``, against the ceilings of the same work.

Run (each takes about 6 minutes; a database of its own, dropped at the end):

    .venv/bin/python bench/events.py                 # SQLite, in a temporary data directory
    .venv/bin/python bench/events.py --postgres      # PostgreSQL: database fq_bench_events
        [--duration 20] [--warmup 5] [--connections 16] [--workers 4] [--threads 2] [--rate 100]
        [--servers gunicorn,granian] [--rounds 1] [--demo-events S] [--keep]

In one run:

1. builds the scale-1.0 demo city (3,475 grids, its staff; no registry: intake does not need it),
   loads the bundled event categories and issues an API token for the demo station user;
2. for each grid of that station, finds a square known to lie inside the grid, so that a uniformly
   random point in the square is a fresh point inside a random grid of the caller's area;
3. serves the app with each server in turn, gunicorn (gthread) and granian (WSGI), with the same
   workers and threads, DEBUG off, with ``bench.bench_settings``, whose URLconf is the project's
   plus three bench-only ceilings (``bench/bench_urls.py``): ``/bench/noop`` (a view that does
   nothing), ``/bench/insert`` (validates the same body, inserts one row into a plain table) and
   ``/bench/intake-sql`` (writes the rows one intake writes, the event, its timeline entry, its
   notifications, the audit entry and its chain head, the case counter, with plain SQL in one
   transaction: the ceiling the goal compares intake with);
4. closed loop: drives each endpoint with wrk (Debian's package, installed with apt-get if
   missing) and a generated Lua script, the same connections and duration for all, a short
   warm-up first: its rate is the closed-loop maximum; last, a list as well:
   ``GET /api/v1/events?page=1`` as the station user, over the events the run took in;
5. open loop: sends the ceiling and intake ``--rate`` requests a second for ``--duration``
   seconds at a constant arrival rate (``bench/openloop.py``: a request goes out when it is due
   however slowly the server answers, its latency counted from then), counting failed and late
   requests;
6. checks that every event number the answers gave is an Event in the database, none twice, and
   that the rows each run created equal its successes plus at most what was cut off in flight;
   at the end, that the audit chain (the ceiling's entries included) still verifies;
7. prints, per server, requests/s, p50/p99, errors and the server's CPU time per request (its
   processes, plus on PostgreSQL the backends of the bench's database, read from /proc: unlike the
   rates, that figure holds whatever else the machine is doing), and the goals: intake CPU per
   request <= 3x the ceiling's, p99 < 100 ms at 100 intakes/s offered, no errors; the earlier
   ceilings' ratios (no-op, bare insert); and granian against gunicorn.

wrk (C, epoll) and the open-loop generator (asyncio, a few per cent of a core at 100/s) cost a
small fraction of what the server spends on a request. The machine's other work disturbs the rates
and latencies: the load average is printed with each server's run.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/fq_bench_events"
EVENTS_PATH = "/api/v1/events"
NOOP_PATH = "/bench/noop"
INSERT_PATH = "/bench/insert"
CEILING_PATH = "/bench/intake-sql"
LIST_PATH = "/api/v1/events?page=1"
ACCOUNT = "station"  # the demo station user: reports for the grids of its station
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
DESCRIPTIONS = ("群众来电反映，请尽快核实处置。", "网格员巡查发现。", "", "现场有人员聚集，需要派员查看。")
UNSCOPED_BENCH = "bench: counting and checking what the load created"


def log(message: str = "") -> None:
    print(message, flush=True)


def loadavg() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


# ---------------------------------------------------------------------------------------------
# the database and the city


def fresh_postgres(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_postgres(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def demo_city(seed: int, out, events_scale: float = 0.0) -> None:
    """The scale-1.0 demo city without its registry and, unless asked, without demo events."""
    from django.core.management import call_command, load_command_class

    options = {"scale": 1.0, "registry_scale": 0.0, "seed": seed, "stdout": out}
    parser = load_command_class("fengqiao.demo", "demo").create_parser("fengqiao", "demo")
    if any(action.dest == "events_scale" for action in parser._actions):
        options["events_scale"] = events_scale
    call_command("demo", **options)


def build(
    seed: int, events_scale: float
) -> tuple[str, list[str], list[tuple[float, float, float, float, int]]]:
    """The city, the categories, the token, the plain table. Returns (token, category codes,
    squares inside the station's grids)."""
    import io

    from django.core.management import call_command
    from django.db import connection

    from bench.bench_urls import bare_table_sql
    from fengqiao.accounts.actions import issue_api_token
    from fengqiao.accounts.models import User
    from fengqiao.core.commands import system_user
    from fengqiao.core.context import Source, acting_as
    from fengqiao.events.actions import CATEGORIES_FILE, load_categories
    from fengqiao.events.models import Category
    from fengqiao.geo.models import Grid

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    out = io.StringIO()
    demo_city(seed, out, events_scale)
    system = system_user()
    with acting_as(system, Source.CLI):
        load_categories(json.loads(CATEGORIES_FILE.read_text(encoding="utf-8")), actor=system)
    user = User.objects.get(username=ACCOUNT)
    with acting_as(user, Source.CLI):
        _token, raw = issue_api_token(user, actor=user, name="bench")
    with connection.cursor() as cursor:
        cursor.execute(bare_table_sql(connection.vendor))
        cursor.execute("ANALYZE")  # planner statistics, as a database in service has them
    parents = set(Category.objects.exclude(parent=None).values_list("parent_id", flat=True))
    codes = sorted(
        Category.objects.filter(active=True).exclude(pk__in=parents).values_list("code", flat=True)
    )
    grids = list(Grid.objects.visible_to(user).filter(is_active=True).values_list("pk", "geometry"))
    squares = inner_squares(grids)
    log(
        f"built in {time.perf_counter() - started:.1f} s: "
        f"{Grid.objects.unscoped(reason=UNSCOPED_BENCH).count()}"
        f" grids in the city, {len(grids)} in the area of '{ACCOUNT}', {len(codes)} leaf categories"
    )
    return raw, codes, squares


def inner_squares(grids) -> list[tuple[float, float, float, float, int]]:
    """For each grid, a square about its representative point that the polygon contains (found
    by bisection, then shrunk by a fifth so that rounding to 6 decimals cannot push a point out).
    The grids do not overlap, so a point inside the square is placed in that grid and no other."""
    import shapely
    from shapely.geometry import box, shape

    squares = []
    for pk, geometry in grids:
        polygon = shape(geometry)
        shapely.prepare(polygon)
        centre = polygon.representative_point()
        x, y = centre.x, centre.y
        minx, miny, maxx, maxy = polygon.bounds
        low, high = 0.0, min(maxx - minx, maxy - miny) / 2
        for _ in range(30):
            mid = (low + high) / 2
            if polygon.contains(box(x - mid, y - mid, x + mid, y + mid)):
                low = mid
            else:
                high = mid
        half = low * 0.8
        if half > 1e-5:  # about a metre: a grid too thin for a square is left out
            squares.append((x - half, y - half, x + half, y + half, pk))
    return squares


def check_squares(squares, rng_seed: int = 1, per_square: int = 20) -> None:
    """Place random points of every square with the city's locator: each lands in its grid."""
    import numpy as np

    from fengqiao.geo import locator

    rng = np.random.default_rng(rng_seed)
    lons, lats, want = [], [], []
    for x0, y0, x1, y1, pk in squares:
        lons += list(np.round(rng.uniform(x0, x1, per_square), 6))
        lats += list(np.round(rng.uniform(y0, y1, per_square), 6))
        want += [pk] * per_square
    got = locator.locate_many(lons, lats)
    wrong = int((got != np.asarray(want)).sum())
    if wrong:
        raise SystemExit(f"{wrong} of {len(want)} sample points are not in their grid: the squares are wrong")


# ---------------------------------------------------------------------------------------------
# the load generator


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    log("wrk is missing: installing Debian's package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, stdout=subprocess.DEVNULL)
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk could not be installed")
    return path


def lua_string(text: str) -> str:
    """A Lua long-bracket literal of ASCII text (the JSON encoding keeps it ASCII)."""
    assert "]==]" not in text
    return f"[==[{text}]==]"


def write_script(
    path: Path, *, token: str, codes, squares, numbers_file: Path, tag: str, method: str = "POST"
) -> None:
    """A wrk script: random intakes (POST), or the same GET of the URL wrk is given."""
    boxes = ",\n".join("{{{:.7f},{:.7f},{:.7f},{:.7f}}}".format(*s[:4]) for s in squares)
    script = f"""-- generated by bench/events.py: random intakes, answers counted per status
local boxes = {{
{boxes}
}}
local categories = {{{", ".join(lua_string(c) for c in codes)}}}
local titles = {{{", ".join(lua_string(json.dumps(t)) for t in TITLES)}}}
local descriptions = {{{", ".join(lua_string(json.dumps(f"{d} #{tag}".strip())) for d in DESCRIPTIONS)}}}
local numbers_file = {lua_string(str(numbers_file))}
local threads = {{}}

wrk.method = "{method}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. {lua_string(token)}

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(thread_no * 7919 + os.time())
  statuses = {{}}
  numbers = {{}}
end

function request()
  if wrk.method == "GET" then return wrk.format() end
  local b = boxes[math.random(#boxes)]
  local lon = b[1] + (b[3] - b[1]) * math.random()
  local lat = b[2] + (b[4] - b[2]) * math.random()
  local body = string.format(
    '{{"category":"%s","title":%s,"description":%s,"lon":%.6f,"lat":%.6f}}',
    categories[math.random(#categories)], titles[math.random(#titles)],
    descriptions[math.random(#descriptions)], lon, lat)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 then
    local n = body:match('"number"%s*:%s*"([^"]+)"')
    if n then numbers[#numbers + 1] = n end
  end
end

function done(summary, latency, requests)
  local merged = {{}}
  local f = io.open(numbers_file, "w")
  for _, t in ipairs(threads) do
    for s, n in pairs(t:get("statuses")) do merged[s] = (merged[s] or 0) + n end
    for _, n in ipairs(t:get("numbers")) do f:write(n, "\\n") end
  end
  f:close()
  local parts = {{}}
  for s, n in pairs(merged) do parts[#parts + 1] = string.format('"%d":%d', s, n) end
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,"statuses":{{%s}}}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    table.concat(parts, ",")))
end
"""
    path.write_text(script, encoding="utf-8")


def run_wrk(wrk: str, url: str, script: Path, *, duration: float, connections: int, threads: int) -> dict:
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((li for li in done.stdout.splitlines() if li.startswith("BENCH-RESULT ")), None)
    if done.returncode or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("BENCH-RESULT "))
    result["statuses"] = {int(k): v for k, v in result["statuses"].items()}
    return result


# ---------------------------------------------------------------------------------------------
# the servers


SERVERS = ("gunicorn", "granian")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(kind: str, port: int, workers: int, threads: int) -> list[str]:
    """The app served as the Makefile serves it: ``fengqiao.wsgi``, ``workers`` processes of
    ``threads`` threads each, with either server."""
    if kind == "gunicorn":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "fengqiao.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--backlog",
            "1024",
            "--log-level",
            "warning",
            "--chdir",
            str(ROOT),
        ]
    return [
        str(Path(sys.executable).parent / "granian"),
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--backlog",
        "1024",
        "--log-level",
        "warning",
        "--working-dir",
        str(ROOT),
        "fengqiao.wsgi:application",
    ]


def start_server(
    kind: str, env: dict, port: int, workers: int, threads: int, log_path: Path
) -> subprocess.Popen:
    with open(log_path, "ab") as out:
        return subprocess.Popen(
            server_command(kind, port, workers, threads),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )


def post(port: int, path: str, body: dict, token: str, timeout: float = 30) -> tuple[int, str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_ready(port: int, server: subprocess.Popen, log_path: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            if post(port, NOOP_PATH, {}, "-", timeout=5)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server did not answer in {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class CpuMeter:
    """CPU time (user + system) the server spends between ``start()`` and ``stop()``: its main
    process and workers and, on PostgreSQL, the backends serving this database, read from /proc
    (whatever else the machine is doing). Sampled every quarter second, each process by its id
    and start time, so one that ends meanwhile (a database connection past its age) keeps what it
    had spent but its last quarter second, and one that starts counts from nothing."""

    def __init__(self, *, server_pid: int, database: str | None):
        self.server_pid, self.database = server_pid, database
        self.first: dict[tuple[str, str], int] = {}
        self.last: dict[tuple[str, str], int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, *, initial: bool = False) -> None:
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                text = (proc / "stat").read_text()
                title = (proc / "cmdline").read_bytes().decode(errors="replace") if self.database else ""
            except OSError:  # the process ended meanwhile
                continue
            fields = text[text.rindex(")") + 2 :].split()
            # A backend's title reads "postgres: <user> <database> <client> <state>".
            if (
                int(proc.name) == self.server_pid
                or int(fields[1]) == self.server_pid
                or (self.database and title.startswith("postgres: ") and f" {self.database} " in title)
            ):
                key = (proc.name, fields[19])  # pid and start time: a reused pid is another process
                ticks = int(fields[11]) + int(fields[12])  # utime, stime
                self.first.setdefault(key, ticks if initial else 0)
                self.last[key] = ticks

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self._sample()

    def start(self) -> "CpuMeter":
        self._sample(initial=True)
        self._thread.start()
        return self

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        self._sample()
        return sum(self.last[k] - self.first[k] for k in self.last) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# counting


def count_rows(kind: str, tag: str) -> int:
    """Rows the requests tagged ``tag`` created (0 for the no-op view)."""
    from django.db import connection

    from bench.bench_urls import BARE_TABLE
    from fengqiao.events.models import Event

    try:
        if kind in ("events", "ceiling"):
            events = Event.objects.unscoped(reason=UNSCOPED_BENCH)
            return events.filter(description__endswith=f"#{tag}").count()
        if kind == "insert":
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {BARE_TABLE} WHERE description LIKE %s", [f"%#{tag}"])
                return cursor.fetchone()[0]
        return 0
    finally:
        connection.close()  # hold no snapshot or lock while the server writes


def settled_count(kind: str, tag: str, timeout: float = 120) -> int:
    """The rows of ``tag`` once the server has finished what wrk left behind when it stopped:
    the request in flight on each connection and any still queued at the server."""
    last = count_rows(kind, tag)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(1.5)
        now = count_rows(kind, tag)
        if now == last:
            return now
        last = now
    raise SystemExit(f"rows tagged {tag} kept coming for {timeout:.0f} s after the load stopped")


def check_numbers(numbers: list[str]) -> tuple[int, int, int]:
    """(numbers the answers gave, how many of them are not Events, how many came twice)."""
    from django.db import connection

    from fengqiao.events.models import Event

    unique = set(numbers)
    found = 0
    chunk = sorted(unique)
    events = Event.objects.unscoped(reason=UNSCOPED_BENCH)
    for start in range(0, len(chunk), 5000):
        found += events.filter(number__in=chunk[start : start + 5000]).count()
    connection.close()
    return len(numbers), len(unique) - found, len(numbers) - len(unique)


ROW_TABLES = {
    "events": "events_event",
    "timeline": "core_timelineentry",
    "notifications": "core_notification",
    "audit": "core_auditentry",
}


def table_rows() -> dict[str, int]:
    """Rows in each table an intake writes: their growth per event shows the ceiling writes what
    intake writes."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            counts = {}
            for name, table in ROW_TABLES.items():
                cursor.execute(f"SELECT count(*) FROM {table}")
                counts[name] = cursor.fetchone()[0]
        return counts
    finally:
        connection.close()


def read_numbers(path: Path) -> list[str]:
    return [n for n in path.read_text().split("\n") if n] if path.exists() else []


def audit_chain_intact() -> str:
    """The audit chain verified end to end: the ceiling's entries are chained as the app's are."""
    from django.db import connection

    from fengqiao.core import audit

    try:
        report = audit.verify_chain()
        return "intact" if report.ok else f"BROKEN ({report})"
    except Exception as exc:  # the bench reports, it does not stop on a changed API
        return f"not checked ({type(exc).__name__}: {exc})"
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------------
# the run


ENDPOINTS = (
    ("noop", NOOP_PATH, "no-op view"),
    ("insert", INSERT_PATH, "bare insert"),
    ("ceiling", CEILING_PATH, "intake's rows, plain SQL"),
    ("events", EVENTS_PATH, "intake"),
    ("list", LIST_PATH, "events list, page 1"),
)
WRITERS = ("ceiling", "events")  # answer event numbers, checked against the database
READERS = ("list",)  # GET, the station user's page 1 of the events the run took in


def measure(name, path, *, server, tag, wrk, port, script_dir, token, codes, squares, args) -> dict:
    """Warm up, then load one endpoint with wrk (closed loop). Every request's description ends
    in a tag naming the run (``#events-gunicorn-r1``), so the rows of the measured run are counted
    apart from the warm-up's, even when some warm-up requests are still queued at the server."""
    url = f"http://127.0.0.1:{port}{path}"
    method = "GET" if name in READERS else "POST"
    load = {"duration": args.duration, "connections": args.connections, "threads": args.wrk_threads}
    if args.warmup:
        warm = script_dir / f"{name}-{server}-warmup.lua"
        write_script(
            warm,
            token=token,
            codes=codes,
            squares=squares,
            numbers_file=script_dir / "numbers-warmup.txt",
            tag=f"{name}-{server}-warmup",
            method=method,
        )
        run_wrk(wrk, url, warm, **{**load, "duration": args.warmup})
        settled_count(name, f"{name}-{server}-warmup")
    numbers_file = script_dir / f"numbers-{tag}.txt"
    script = script_dir / f"{tag}.lua"
    write_script(
        script, token=token, codes=codes, squares=squares, numbers_file=numbers_file, tag=tag, method=method
    )
    loadavg_before = os.getloadavg()[0]
    tables_before = table_rows() if name in WRITERS else {}
    meter = CpuMeter(server_pid=args.server_pid, database=args.database_name).start()
    result = run_wrk(wrk, url, script, **load)
    result["cpu"] = meter.stop()
    result["created"] = settled_count(name, tag)
    if name in WRITERS:
        result["per_event"] = {
            table: (n - tables_before[table]) / max(result["created"], 1) for table, n in table_rows().items()
        }
    result["load"] = loadavg_before
    seconds = result["duration_us"] / 1e6
    ok = sum(n for s, n in result["statuses"].items() if 200 <= s < 300)
    result["ok"] = ok
    result["rate"] = ok / seconds
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    if name in WRITERS:
        seen, missing, twice = check_numbers(read_numbers(numbers_file))
        result.update(seen=seen, missing=missing, twice=twice)
    return result


def body_maker(*, codes, squares, tag: str, seed: int):
    """Request bodies as the wrk script makes them: a random category, title, description and
    point in a random square."""
    import random

    rng = random.Random(seed)
    descriptions = [f"{d} #{tag}".strip() for d in DESCRIPTIONS]

    def body(_i: int) -> bytes:
        x0, y0, x1, y1, _pk = squares[rng.randrange(len(squares))]
        return json.dumps(
            {
                "category": rng.choice(codes),
                "title": rng.choice(TITLES),
                "description": rng.choice(descriptions),
                "lon": round(rng.uniform(x0, x1), 6),
                "lat": round(rng.uniform(y0, y1), 6),
            },
            ensure_ascii=False,
        ).encode()

    return body


def measure_open(name, path, *, tag, port, token, codes, squares, args) -> dict:
    """Load one endpoint at a constant arrival rate (``bench/openloop.py``): requests go out
    when they are due, however slowly the server answers."""
    from bench.openloop import open_loop

    loadavg_before = os.getloadavg()[0]
    meter = CpuMeter(server_pid=args.server_pid, database=args.database_name).start()
    run = open_loop(
        f"http://127.0.0.1:{port}{path}",
        rate=args.rate,
        duration=args.duration,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=body_maker(codes=codes, squares=squares, tag=tag, seed=hash(tag) & 0xFFFF),
        keep_bodies=True,
    )
    numbers = [json.loads(b).get("number", "") for b in run.bodies]
    created = settled_count(name, tag)  # also what the server finished after the client gave up
    cpu = meter.stop()
    result = {**run.summary(), "cpu": cpu, "load": loadavg_before, "elapsed": run.elapsed}
    seen, missing, twice = check_numbers([n for n in numbers if n])
    # CPU per intake written: a request the client gave up on still cost the server its work.
    result.update(seen=seen, missing=missing, twice=twice, created=created, done=max(created, 1))
    return result


def fmt_ms(us: float) -> str:
    return f"{us / 1000:.1f} ms"


def cut_off_limit(result: dict, connections: int) -> int:
    """Requests the server may have carried out without wrk reading the answer: the one in flight
    on each connection when the time was up, and each one wrk gave up waiting for."""
    return connections + result["timeout"] + result["read"]


def rows_ok(r: dict, limit: int) -> bool:
    return not r["missing"] and not r["twice"] and 0 <= r["created"] - r["ok"] <= limit


def print_closed(results: dict, connections: int) -> None:
    log(
        f"  {'closed loop (wrk)':<46}{'req/s':>8}{'ok':>8}{'p50':>10}{'p99':>10}{'max':>10}{'errors':>8}"
        f"{'rows':>8}{'CPU/req':>10}"
    )
    for name, path, label in ENDPOINTS:
        r = results.get(name)
        if r is None:
            continue
        rows = "" if name == "noop" else str(r["created"])
        cpu = f"{1000 * r['cpu'] / max(r['ok'], 1):.2f} ms"
        log(
            f"  {label + ' ' + path:<46}{r['rate']:>8.0f}{r['ok']:>8}{fmt_ms(r['p50_us']):>10}"
            f"{fmt_ms(r['p99_us']):>10}{fmt_ms(r['max_us']):>10}{r['errors']:>8}{rows:>8}{cpu:>10}"
        )
        if r["errors"]:
            detail = {k: r[k] for k in ("connect", "read", "write", "status", "timeout") if r[k]}
            log(f"      errors: {detail}; answers by status: {r['statuses']}")
        if name in WRITERS:
            limit = cut_off_limit(r, connections)
            log(
                f"      rows {r['created']} = {r['ok']} answered + {r['created'] - r['ok']} cut off "
                f"(at most {limit}); numbers not in the database {r['missing']}, twice {r['twice']}: "
                f"{'ok' if rows_ok(r, limit) else 'MISMATCH'}"
            )
            log(
                "      rows written per event: "
                + ", ".join(f"{t} {n:.2f}" for t, n in r["per_event"].items())
            )


def print_open(results: dict, rate: float) -> None:
    log(
        f"  {f'open loop, {rate:g}/s offered':<46}{'sent':>8}{'ok':>8}{'p50':>10}{'p99':>10}{'max':>10}"
        f"{'failed':>8}{'late':>8}{'CPU/req':>10}"
    )
    for name, path, label in ENDPOINTS:
        r = results.get(f"open-{name}")
        if r is None:
            continue
        cpu = f"{1000 * r['cpu'] / r['done']:.2f} ms"
        log(
            f"  {label + ' ' + path:<46}{r['sent']:>8}{r['ok']:>8}{r['p50_ms']:>7.1f} ms"
            f"{r['p99_ms']:>7.1f} ms{r['max_ms']:>7.1f} ms{r['failed']:>8}{r['late']:>8}{cpu:>10}"
        )
        if r["errors"]:
            log(f"      failures: {r['errors']}")
        log(
            f"      rows {r['created']} for {r['ok']} answered ({r['connections']} connections opened); "
            f"numbers not in the database {r['missing']}, twice {r['twice']}: "
            f"{'ok' if rows_ok(r, r['failed']) else 'MISMATCH'}"
        )


def summarise(rounds: list[dict], args) -> None:
    def med(server, name, key):
        values = [r[server][name][key] for r in rounds if name in r.get(server, {})]
        return statistics.median(values) if values else None

    def cpu(server, name):
        values = [
            1000 * r[server][name]["cpu"] / r[server][name].get("done", max(r[server][name]["ok"], 1))
            for r in rounds
            if name in r.get(server, {})
        ]
        return statistics.median(values) if values else None

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    log("")
    log(f"summary{f' (medians over {len(rounds)} rounds)' if len(rounds) > 1 else ''}:")
    for server in args.servers:
        log(f"{server} ({args.workers} workers x {args.threads} threads):")
        for name, _path, label in ENDPOINTS:
            rate = med(server, name, "rate")
            if rate is None:
                continue
            log(
                f"  closed-loop maximum, {label:<26}{rate:7.0f} req/s"
                f"  p99 {fmt_ms(med(server, name, 'p99_us'))}"
                f"  CPU {cpu(server, name):.2f} ms/request"
            )
        if med(server, "events", "rate") is None:
            log("  intake not measured: the events API did not answer 201")
            continue
        log(
            "  earlier ceilings: intake / bare insert = "
            f"{med(server, 'events', 'rate') / med(server, 'insert', 'rate'):.0%}"
            f" of the rate, {cpu(server, 'events') / cpu(server, 'insert'):.1f}x the CPU; "
            f"intake / no-op = {med(server, 'events', 'rate') / med(server, 'noop', 'rate'):.0%}"
        )
        ratio = cpu(server, "events") / cpu(server, "ceiling")
        log(
            f"  intake CPU / its rows in plain SQL (closed loop): {cpu(server, 'events'):.2f} / "
            f"{cpu(server, 'ceiling'):.2f} ms = {ratio:.1f}x  (goal <= 3x: {verdict(ratio <= 3)})"
        )
        if med(server, "open-events", "sent") is not None:
            open_ratio = cpu(server, "open-events") / cpu(server, "open-ceiling")
            log(
                f"  intake CPU / its rows in plain SQL (open loop): {cpu(server, 'open-events'):.2f} / "
                f"{cpu(server, 'open-ceiling'):.2f} ms = {open_ratio:.1f}x"
            )
            p99 = med(server, "open-events", "p99_ms")
            failed = sum(r[server]["open-events"]["failed"] for r in rounds)
            late = sum(r[server]["open-events"]["late"] for r in rounds)
            log(
                f"  intake at {args.rate:g}/s offered: p99 {p99:.1f} ms "
                f"(goal < 100 ms: {verdict(p99 < 100)}), "
                f"p50 {med(server, 'open-events', 'p50_ms'):.1f} ms, ceiling's p99 "
                f"{med(server, 'open-ceiling', 'p99_ms'):.1f} ms; failed {failed}, late {late}"
            )
        errors = sum(r[server]["events"]["errors"] for r in rounds) + sum(
            r[server].get("open-events", {}).get("failed", 0) for r in rounds
        )
        log(f"  intake errors, both loops: {errors}  (goal 0: {verdict(errors == 0)})")
        bad = [
            r
            for r in rounds
            for name in ("events", "ceiling")
            if not rows_ok(r[server][name], cut_off_limit(r[server][name], args.connections))
            or (
                f"open-{name}" in r[server]
                and not rows_ok(r[server][f"open-{name}"], r[server][f"open-{name}"]["failed"])
            )
        ]
        log(f"  every answered intake is an Event in the database, none twice: {'yes' if not bad else 'NO'}")
    if len(args.servers) == 2 and all(med(s, "events", "rate") for s in args.servers):
        a, b = args.servers
        log(f"{b} / {a}:")
        for name, _path, label in ENDPOINTS:
            ra, rb = med(a, name, "rate"), med(b, name, "rate")
            if ra and rb:
                log(
                    f"  {label:<26} closed-loop rate {rb / ra:.2f}x, p99 {fmt_ms(med(b, name, 'p99_us'))} vs "
                    f"{fmt_ms(med(a, name, 'p99_us'))}"
                )
        if med(a, "open-events", "p99_ms") is not None:
            log(
                f"  intake at {args.rate:g}/s: p99 {med(b, 'open-events', 'p99_ms'):.1f} ms vs "
                f"{med(a, 'open-events', 'p99_ms'):.1f} ms, CPU {cpu(b, 'open-events'):.2f} vs "
                f"{cpu(a, 'open-events'):.2f} ms/request"
            )


def run_server(kind, *, round_no, wrk, data_dir, token, codes, squares, args) -> dict:
    """Start one server, load every endpoint closed-loop then the writers open-loop, stop it."""
    port = free_port()
    server_log = data_dir / f"{kind}.log"
    server = start_server(
        kind, {**os.environ, "PYTHONPATH": str(ROOT)}, port, args.workers, args.threads, server_log
    )
    args.server_pid = server.pid  # its workers' CPU is the server's
    results = {}
    try:
        wait_ready(port, server, server_log)
        x0, y0, x1, y1, _pk = squares[0]
        probe = {
            "category": codes[0],
            "title": "探测",
            "description": "",
            "lon": (x0 + x1) / 2,
            "lat": (y0 + y1) / 2,
        }
        probes = {
            name: post(port, path, probe, token)
            for name, path in (("ceiling", CEILING_PATH), ("events", EVENTS_PATH))
        }
        for name, (status, body) in probes.items():
            if status != 201:
                log(f"  probe {name}: {status} {body[:300]}")
        log(f"\n{kind}, round {round_no} (port {port}, {loadavg()})")
        for name, path, _label in ENDPOINTS:
            if name in probes and probes[name][0] != 201:
                continue
            tag = f"{name}-{kind}-r{round_no}"
            results[name] = measure(
                name,
                path,
                server=kind,
                tag=tag,
                wrk=wrk,
                port=port,
                script_dir=data_dir,
                token=token,
                codes=codes,
                squares=squares,
                args=args,
            )
        print_closed(results, args.connections)
        if args.rate:
            for name, path, _label in ENDPOINTS:
                if name in WRITERS and name in results:
                    results[f"open-{name}"] = measure_open(
                        name,
                        path,
                        tag=f"open-{name}-{kind}-r{round_no}",
                        port=port,
                        token=token,
                        codes=codes,
                        squares=squares,
                        args=args,
                    )
            print_open(results, args.rate)
    finally:
        stop_server(server)
    errors = [
        li for li in server_log.read_text(errors="replace").splitlines() if "Traceback" in li or "ERROR" in li
    ]
    log(f"  {kind} log: {len(errors)} error lines{f' ({server_log})' if args.keep else ''}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per endpoint (default 20)")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured seconds first (default 5)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=4, help="server worker processes (default 4)")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker (default 2)")
    parser.add_argument(
        "--rate", type=float, default=100, help="open-loop arrivals per second (default 100; 0: no open loop)"
    )
    parser.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help=f"comma-separated, of {', '.join(SERVERS)} (default both)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="measure everything N times (median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--demo-events",
        type=float,
        default=0.0,
        metavar="S",
        help="fill the city with the demo's events at this scale first (default 0: none)",
    )
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_PG, default=None, metavar="URL")
    parser.add_argument("--keep", action="store_true", help="keep the data directory / database")
    args = parser.parse_args()
    args.servers = [s for s in args.servers.split(",") if s]
    if not set(args.servers) <= set(SERVERS):
        parser.error(f"--servers: of {', '.join(SERVERS)}")

    wrk = ensure_wrk()
    data_dir = Path(tempfile.mkdtemp(prefix="fq-bench-events-"))
    env = {
        "FENGQIAO_DATA_DIR": str(data_dir),
        "FENGQIAO_SECRET_KEY": secrets.token_urlsafe(50),
        "FENGQIAO_DEBUG": "0",
        "FENGQIAO_HTTPS": "0",
        "FENGQIAO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "FENGQIAO_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
    }
    if args.postgres:
        env["FENGQIAO_DATABASE_URL"] = args.postgres
        fresh_postgres(args.postgres)
    else:
        os.environ.pop("FENGQIAO_DATABASE_URL", None)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection, connections

    log(f"{loadavg()}, {os.cpu_count()} CPUs; database: {connection.vendor} ({args.postgres or data_dir})")
    args.database_name = args.postgres.rpartition("/")[2] if args.postgres else None
    try:
        token, codes, squares = build(args.seed, args.demo_events)
        check_squares(squares)
        connections.close_all()
        log(
            f"servers: {', '.join(args.servers)}, each {args.workers} workers x {args.threads} threads; "
            f"closed loop: wrk {args.wrk_threads} threads, {args.connections} connections, "
            f"{args.duration:g} s per endpoint after {args.warmup:g} s warm-up; "
            f"open loop: {args.rate:g} requests/s for {args.duration:g} s; "
            f"{len(squares)} grids of '{ACCOUNT}', {len(codes)} categories"
        )
        rounds = []
        for round_no in range(1, args.rounds + 1):
            rounds.append(
                {
                    kind: run_server(
                        kind,
                        round_no=round_no,
                        wrk=wrk,
                        data_dir=data_dir,
                        token=token,
                        codes=codes,
                        squares=squares,
                        args=args,
                    )
                    for kind in args.servers
                }
            )
        summarise(rounds, args)
        log(f"audit chain after the run: {audit_chain_intact()}")
        log(loadavg())
    finally:
        connections.close_all()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
            if args.postgres:
                drop_postgres(args.postgres)


if __name__ == "__main__":
    main()
