"""Benchmark: event intake through ``POST /api/v1/events`` on the production server setup.

In one run, in a database of its own (SQLite in a temporary data directory, or PostgreSQL with
``--postgres``: database ``fq_bench_events``, created and dropped by the run):

1. builds the scale-1.0 demo city (3,475 grids, its staff; no registry: intake does not need it),
   loads the bundled event categories and issues an API token for the demo station user;
2. for each grid of that station, finds a square known to lie inside the grid (the largest square
   about the grid's representative point that the polygon contains, shrunk a little), so that a
   uniformly random point in the square is a fresh point inside a random grid of the caller's area;
3. starts gunicorn the way the Makefile serves the app (``fengqiao.wsgi``, gthread workers, DEBUG
   off) with ``bench.bench_settings``, whose URLconf is the project's plus two bench-only ceilings
   (``bench/bench_urls.py``): ``/bench/noop`` (a view that does nothing) and ``/bench/insert``
   (validates the same JSON body and inserts one row into a plain table made here with raw SQL);
4. drives each of the three with wrk (Debian's package; installed with apt-get if missing) and a
   generated Lua script: every request a JSON body with a random category, title, description and
   a random point in a random square, ``Authorization: Bearer <token>``; the same script, the same
   connections and the same duration for all three; a short warm-up first, unmeasured;
5. checks that every ``201`` wrk saw from the events API names an Event that is in the database
   (wrk collects the numbers from the responses), that no number came twice, and that the rows
   the measured run created (each request's description ends in a tag naming its run, so queued
   warm-up requests are not counted) equal the successes plus at most one request per connection
   (and per timeout) that the server carried out but wrk no longer read the answer of;
6. prints requests/s, p50/p99, errors and the ratios events / bare insert (goal ≥ 50 %) and
   events / no-op, with the goals (p99 < 100 ms, no errors) and the load average of the machine,
   and the server's CPU time per request of each endpoint (gunicorn's workers, plus on PostgreSQL
   the backends of the bench's database, read from /proc): unlike the rates, that figure holds
   whatever else the machine is doing.

The load generator is wrk (C, epoll, two threads; the Lua per request only formats a body and
reads the status), which costs a small fraction of what the server spends on a request, so it is
not the bottleneck even on the no-op view.

    .venv/bin/python bench/events.py [--duration 20] [--warmup 5] [--connections 16] [--workers 4]
        [--threads 2] [--rounds 1] [--demo-events S] [--postgres [URL]] [--keep]
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


def write_script(path: Path, *, token: str, codes, squares, numbers_file: Path, tag: str) -> None:
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

wrk.method = "POST"
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
# the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int, workers: int, threads: int, log_path: Path) -> subprocess.Popen:
    command = [
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
    with open(log_path, "ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)


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
            raise SystemExit(f"gunicorn exited ({server.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            if post(port, NOOP_PATH, {}, "-", timeout=5)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer in {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# ---------------------------------------------------------------------------------------------
# counting


def count_rows(kind: str, tag: str) -> int:
    """Rows the requests tagged ``tag`` created (0 for the no-op view)."""
    from django.db import connection

    from bench.bench_urls import BARE_TABLE
    from fengqiao.events.models import Event

    try:
        if kind == "events":
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


def check_numbers(path: Path) -> tuple[int, int, int]:
    """(numbers wrk saw, how many of them are not Events, how many came twice)."""
    from django.db import connection

    from fengqiao.events.models import Event

    numbers = [n for n in path.read_text().split("\n") if n] if path.exists() else []
    unique = set(numbers)
    found = 0
    chunk = sorted(unique)
    events = Event.objects.unscoped(reason=UNSCOPED_BENCH)
    for start in range(0, len(chunk), 5000):
        found += events.filter(number__in=chunk[start : start + 5000]).count()
    connection.close()
    return len(numbers), len(unique) - found, len(numbers) - len(unique)


# ---------------------------------------------------------------------------------------------
# the run


def measure(name, path, *, round_no, wrk, port, script_dir, token, codes, squares, args) -> dict:
    """Warm up, then load one endpoint. Every request's description ends in a tag naming the run
    (``#events-r1``), so the rows of the measured run are counted apart from the warm-up's, even
    when some warm-up requests are still queued at the server when the measured run starts."""
    url = f"http://127.0.0.1:{port}{path}"
    load = {"duration": args.duration, "connections": args.connections, "threads": args.wrk_threads}
    if args.warmup:
        warm = script_dir / f"{name}-warmup.lua"
        write_script(
            warm,
            token=token,
            codes=codes,
            squares=squares,
            numbers_file=script_dir / "numbers-warmup.txt",
            tag=f"{name}-warmup",
        )
        run_wrk(wrk, url, warm, **{**load, "duration": args.warmup})
        settled_count(name, f"{name}-warmup")
    tag = f"{name}-r{round_no}"
    numbers_file = script_dir / f"numbers-{tag}.txt"
    script = script_dir / f"{tag}.lua"
    write_script(script, token=token, codes=codes, squares=squares, numbers_file=numbers_file, tag=tag)
    loadavg_before = os.getloadavg()[0]
    cpu_before = server_cpu_seconds(port_owner=args.server_pid, database=args.database_name)
    result = run_wrk(wrk, url, script, **load)
    result["cpu"] = server_cpu_seconds(port_owner=args.server_pid, database=args.database_name) - cpu_before
    result["created"] = settled_count(name, tag)
    result["load"] = loadavg_before
    seconds = result["duration_us"] / 1e6
    ok = sum(n for s, n in result["statuses"].items() if 200 <= s < 300)
    result["ok"] = ok
    result["rate"] = ok / seconds
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    if name == "events":
        seen, missing, twice = check_numbers(numbers_file)
        result.update(seen=seen, missing=missing, twice=twice)
    return result


def server_cpu_seconds(*, port_owner: int, database: str | None) -> float:
    """CPU time (user + system) used so far by the gunicorn workers and, on PostgreSQL, by the
    backends serving this database: what the server spent, whatever else the machine is doing."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            text = (proc / "stat").read_text()
            title = (proc / "cmdline").read_bytes().decode(errors="replace") if database else ""
        except OSError:  # the process ended meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()
        # A backend's title reads "postgres: <user> <database> <client> <state>".
        if int(fields[1]) == port_owner or (
            database and title.startswith("postgres: ") and f" {database} " in title
        ):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def cut_off_limit(result: dict, connections: int) -> int:
    """Requests the server may have carried out without wrk reading the answer: the one in flight
    on each connection when the time was up, and each one wrk gave up waiting for."""
    return connections + result["timeout"] + result["read"]


def fmt_ms(us: float) -> str:
    return f"{us / 1000:.1f} ms"


def cpu_per_request(r: dict) -> str:
    return f"{1000 * r['cpu'] / max(r['ok'], 1):.2f} ms"


def print_round(results: dict, connections: int) -> None:
    log(
        f"{'endpoint':<28}{'req/s':>10}{'ok':>9}{'p50':>10}{'p99':>10}{'max':>10}{'errors':>8}{'rows':>9}"
        f"{'CPU/req':>10}"
    )
    for name, label in (
        ("noop", f"no-op view {NOOP_PATH}"),
        ("insert", f"bare insert {INSERT_PATH}"),
        ("events", f"intake {EVENTS_PATH}"),
    ):
        r = results.get(name)
        if r is None:
            continue
        rows = "" if name == "noop" else str(r["created"])
        log(
            f"{label:<28}{r['rate']:>10.0f}{r['ok']:>9}{fmt_ms(r['p50_us']):>10}{fmt_ms(r['p99_us']):>10}"
            f"{fmt_ms(r['max_us']):>10}{r['errors']:>8}{rows:>9}{cpu_per_request(r):>10}"
        )
        if r["errors"]:
            detail = {k: r[k] for k in ("connect", "read", "write", "status", "timeout") if r[k]}
            log(f"    errors: {detail}; answers by status: {r['statuses']}")
        if name != "noop":
            cut = r["created"] - r["ok"]
            verdict = "ok" if 0 <= cut <= cut_off_limit(r, connections) else "MISMATCH"
            log(
                f"    rows created {r['created']} = {r['ok']} successes + {cut} cut off in flight "
                f"(at most {cut_off_limit(r, connections)}: one per connection and per timeout): {verdict}"
            )
        if name == "events":
            log(
                f"    numbers in the answers: {r['seen']}, not found as Events: {r['missing']}, "
                f"given twice: {r['twice']}"
            )


def summarise(rounds: list[dict], args) -> None:
    def med(name, key):
        values = [r[name][key] for r in rounds if name in r]
        return statistics.median(values) if values else None

    log("")
    if len(rounds) > 1:
        log(f"medians over {len(rounds)} rounds:")
    noop, insert, events = med("noop", "rate"), med("insert", "rate"), med("events", "rate")
    log(
        f"no-op view        {noop:8.0f} req/s   p50 {fmt_ms(med('noop', 'p50_us'))}"
        f"  p99 {fmt_ms(med('noop', 'p99_us'))}"
    )
    log(
        f"bare insert       {insert:8.0f} req/s   p50 {fmt_ms(med('insert', 'p50_us'))}"
        f"  p99 {fmt_ms(med('insert', 'p99_us'))}"
    )
    if events is None:
        log("intake            (not measured: the events API did not answer 201)")
        return
    p99 = med("events", "p99_us")
    errors = sum(r["events"]["errors"] for r in rounds)
    log(
        f"intake            {events:8.0f} intakes/s   p50 {fmt_ms(med('events', 'p50_us'))}"
        f"  p99 {fmt_ms(p99)}"
    )
    ratio = events / insert
    log(f"intake / bare insert = {ratio:.0%}  (goal >= 50%: {'met' if ratio >= 0.5 else 'MISSED'})")
    cpu = {name: med(name, "cpu") / max(med(name, "ok"), 1) * 1000 for name in ("noop", "insert", "events")}
    log(
        f"server CPU per request: no-op {cpu['noop']:.2f} ms, bare insert {cpu['insert']:.2f} ms, "
        f"intake {cpu['events']:.2f} ms (intake costs {cpu['events'] / cpu['insert']:.1f}x the bare insert)"
    )
    log(f"intake / no-op view  = {events / noop:.0%}")
    log(f"intake p99 {fmt_ms(p99)}  (goal < 100 ms: {'met' if p99 < 100_000 else 'MISSED'})")
    log(f"intake errors {errors}  (goal 0: {'met' if errors == 0 else 'MISSED'})")
    bad = [
        r["events"]
        for r in rounds
        if r["events"]["missing"]
        or r["events"]["twice"]
        or not 0 <= r["events"]["created"] - r["events"]["ok"] <= cut_off_limit(r["events"], args.connections)
    ]
    log(f"every intake answered 201 is an Event in the database: {'yes' if not bad else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per endpoint (default 20)")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured seconds first (default 5)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker (default 2)")
    parser.add_argument("--rounds", type=int, default=1, help="measure the three endpoints N times (median)")
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
    server = None
    try:
        token, codes, squares = build(args.seed, args.demo_events)
        check_squares(squares)
        connections.close_all()
        port = free_port()
        server_log = data_dir / "gunicorn.log"
        server_env = {**os.environ, "PYTHONPATH": str(ROOT)}
        server = start_server(server_env, port, args.workers, args.threads, server_log)
        args.server_pid = server.pid  # its workers' CPU is the server's
        args.database_name = args.postgres.rpartition("/")[2] if args.postgres else None
        wait_ready(port, server, server_log)
        x0, y0, x1, y1, _pk = squares[0]
        probe = {
            "category": codes[0],
            "title": "探测",
            "description": "",
            "lon": (x0 + x1) / 2,
            "lat": (y0 + y1) / 2,
        }
        status, body = post(port, EVENTS_PATH, probe, token)
        log(f"probe POST {EVENTS_PATH}: {status} {body[:300]}")
        with_events = status == 201
        log(
            f"server: gunicorn {args.workers} workers x {args.threads} threads (gthread) "
            f"on 127.0.0.1:{port}; "
            f"load: wrk {args.wrk_threads} threads, {args.connections} connections, {args.duration:g} s per "
            f"endpoint after {args.warmup:g} s warm-up; {len(squares)} grids of '{ACCOUNT}', "
            f"{len(codes)} categories"
        )
        rounds = []
        for round_no in range(1, args.rounds + 1):
            log(f"\nround {round_no} ({loadavg()})")
            results = {}
            for name, path in (("noop", NOOP_PATH), ("insert", INSERT_PATH), ("events", EVENTS_PATH)):
                if name == "events" and not with_events:
                    continue
                results[name] = measure(
                    name,
                    path,
                    round_no=round_no,
                    wrk=wrk,
                    port=port,
                    script_dir=data_dir,
                    token=token,
                    codes=codes,
                    squares=squares,
                    args=args,
                )
            print_round(results, args.connections)
            rounds.append(results)
        summarise(rounds, args)
        errors = [
            li
            for li in server_log.read_text(errors="replace").splitlines()
            if "Traceback" in li or "ERROR" in li
        ]
        log(f"server log: {len(errors)} error lines ({server_log if args.keep else 'removed'})")
        log(loadavg())
    finally:
        if server is not None:
            stop_server(server)
        connections.close_all()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
            if args.postgres:
                drop_postgres(args.postgres)


if __name__ == "__main__":
    main()
