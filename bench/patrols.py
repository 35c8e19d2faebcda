"""Benchmark: a four-hour patrol's upload, and a day's coverage, each against its floor.

1. Upload. In a database of its own (SQLite in a temporary data directory, or PostgreSQL with
   ``--postgres``: database ``fq_bench_patrols``, created and dropped by the run), with the city's
   3,475 grids: a volunteer's phone sends a four-hour patrol at one point every 5 s (2,880
   positions) in one ``POST /api/v1/patrols/<id>/points``, through the whole server (middleware,
   parsing, checks, the insert, the track as GeoJSON, its length, the grids it passed, the audit
   entry), timed in the process as the server's time (the grids' index already built, as in a
   running server). The floor, in the same run: a bare
   ``bulk_create`` of the same 2,880 rows. Sent again, nothing is added (idempotent); that is timed
   too. Goal: under 200 ms.
2. Coverage. 1,000 tracks of 360 positions (30 minutes at one every 5 s), random walks across the
   city, against the 3,475 grids: ``patrols.tracks.passages_many`` (one line per track, all in one
   query of the grids' STRtree, then each grid timed by the positions inside it) against a bare
   ``STRtree.query`` of the same tracks' segments, already built as geometries (359,000 of them).
   Both must find the same (track, grid) pairs. Goal: within 2× of the bare query.

    .venv/bin/python bench/patrols.py [--rounds 5] [--tracks 1000] [--postgres [URL]]
"""

import argparse
import datetime as dt
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.locate import OUTLINE, city_outline, voronoi_grids  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/fq_bench_patrols"
POINTS = 2_880  # four hours at one point every 5 s
STEP_M = 7.0  # a brisk walk: 1.4 m/s over 5 s


def setup_django(data_dir: Path, postgres: str | None) -> None:
    os.environ.update(
        FENGQIAO_DATA_DIR=str(data_dir),
        FENGQIAO_SECRET_KEY=secrets.token_urlsafe(50),
        FENGQIAO_DEBUG="0",
        FENGQIAO_HTTPS="0",
        FENGQIAO_LOG_LEVEL="WARNING",
        FENGQIAO_ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="fengqiao.settings",
    )
    if postgres:
        os.environ["FENGQIAO_DATABASE_URL"] = postgres
        _pg_admin(postgres, "DROP DATABASE IF EXISTS {name}", "CREATE DATABASE {name}")
    else:
        os.environ.pop("FENGQIAO_DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _pg_admin(url: str, *statements: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.format(name=name))


def build_city(grids: list):
    """The territory rows for the grids: one county, station and district, one village each."""
    from shapely.geometry import mapping

    from fengqiao.geo.choices import DivisionLevel, UnitKind
    from fengqiao.geo.models import Division, Grid, PoliceUnit

    city = Division.objects.create(code="640300000000", name="吴忠市", level=DivisionLevel.CITY)
    village = Division.objects.create(
        code="640302100201", name="金积村", level=DivisionLevel.VILLAGE, parent=city
    )
    bureau = PoliceUnit.objects.create(kind="city", code="640300", name="吴忠市公安局")
    county = PoliceUnit.objects.create(kind="county", code="640302", name="利通区分局", parent=bureau)
    station = PoliceUnit.objects.create(kind=UnitKind.STATION, code="ps01", name="派出所", parent=county)
    district = PoliceUnit.objects.create(kind=UnitKind.DISTRICT, code="d01", name="警务区", parent=station)
    rows = []
    for n, polygon in enumerate(grids):
        code = f"64030210{n:07d}"
        centre = polygon.representative_point()
        rows.append(
            Grid(
                code=code,
                name=f"网格{n}",
                community=village,
                district=district,
                geometry=mapping(polygon),
                centroid_lon=centre.x,
                centroid_lat=centre.y,
                area_km2=1.0,
                scope_path=f"{district.path}/{code}",
            )
        )
    Grid.objects.bulk_create(rows, batch_size=500)
    return Grid.objects.unscoped(reason="bench").order_by("code").first()


def walk(rng, start_lon, start_lat, n: int) -> np.ndarray:
    """A random walk of ``n`` positions, ~7 m apart, turning gently."""
    heading = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.3, n))
    metres_lat = 111_000.0
    metres_lon = metres_lat * np.cos(np.radians(start_lat))
    lons = start_lon + np.cumsum(np.cos(heading) * STEP_M / metres_lon)
    lats = start_lat + np.cumsum(np.sin(heading) * STEP_M / metres_lat)
    return np.column_stack([lons, lats])


def upload(args, grids, rng) -> None:
    from django.test import Client
    from django.utils import timezone

    from fengqiao.accounts.models import User
    from fengqiao.core.roles import Role
    from fengqiao.patrols import actions
    from fengqiao.patrols.choices import TeamKind
    from fengqiao.patrols.models import Patrol, TrackPoint

    grid = build_city(grids)
    admin = User.objects.create_superuser("bench", "bench@example.org", secrets.token_urlsafe(16))
    volunteer = User.objects.create_user("volunteer", password=secrets.token_urlsafe(16), role=Role.VOLUNTEER)
    from fengqiao.core.context import Source, acting_as

    with acting_as(admin, Source.CLI):
        team = actions.create_team(actor=admin, name="红袖标", kind=TeamKind.RED_ARMBAND, grid=grid)
        actions.add_member(team, actor=admin, name="王兰花", id_number="640302199001010024", user=volunteer)
    centre = shapely.geometry.shape(grid.geometry).representative_point()
    client = Client()
    client.force_login(volunteer)
    # A server process keeps the grids' index once built (geo.locator); build it before timing.
    from fengqiao.geo.locator import current_locator

    current_locator()
    upload_ms, again_ms, floor_ms = [], [], []
    for _round in range(args.rounds):
        start = timezone.now() - dt.timedelta(hours=4, minutes=1)
        coords = walk(rng, centre.x, centre.y, POINTS)
        points = [
            {
                "seq": i,
                "at": (start + dt.timedelta(seconds=5 * i)).isoformat(),
                "lon": round(float(lon), 7),
                "lat": round(float(lat), 7),
                "accuracy": 6.0,
            }
            for i, (lon, lat) in enumerate(coords)
        ]
        pid = str(uuid.uuid4())
        answer = client.post(
            "/api/v1/patrols", {"id": pid, "started_at": start.isoformat()}, content_type="application/json"
        )
        assert answer.status_code == 201, answer.content
        body = {"points": points}
        t0 = time.perf_counter()
        answer = client.post(f"/api/v1/patrols/{pid}/points", body, content_type="application/json")
        upload_ms.append((time.perf_counter() - t0) * 1000)
        assert answer.status_code == 200 and answer.json() == {"added": POINTS, "points": POINTS}, (
            answer.content
        )
        t0 = time.perf_counter()
        answer = client.post(f"/api/v1/patrols/{pid}/points", body, content_type="application/json")
        again_ms.append((time.perf_counter() - t0) * 1000)
        assert answer.json() == {"added": 0, "points": POINTS}
        # the floor: the same rows, inserted bare into another patrol
        other = Patrol.objects.create(
            patroller=volunteer, started_at=start, scope_path=team.scope_path, id=uuid.uuid4()
        )
        rows = [
            TrackPoint(
                patrol=other,
                seq=p["seq"],
                at=start + dt.timedelta(seconds=5 * p["seq"]),
                lon=p["lon"],
                lat=p["lat"],
                accuracy=6.0,
            )
            for p in points
        ]
        t0 = time.perf_counter()
        TrackPoint.objects.bulk_create(rows, batch_size=1000)
        floor_ms.append((time.perf_counter() - t0) * 1000)
    up, again, floor = (statistics.median(x) for x in (upload_ms, again_ms, floor_ms))
    from django.db import connection

    print(f"upload of {POINTS} positions ({connection.vendor}, median of {args.rounds}):")
    print(f"  POST /points, whole server   {up:8.1f} ms   (goal < 200 ms: {'met' if up < 200 else 'MISSED'})")
    print(f"  the same sent again           {again:8.1f} ms   (nothing added)")
    print(f"  floor: bare bulk_create       {floor:8.1f} ms")
    print(f"  ratio upload / floor          {up / floor:8.2f}×")


def coverage(args, grids, rng) -> None:
    from fengqiao.geo.locator import Locator
    from fengqiao.patrols import tracks

    locator = Locator(range(1, len(grids) + 1), grids)
    outline = city_outline(OUTLINE)
    starts = shapely.get_coordinates(
        shapely.points(
            rng.uniform(*outline.bounds[0::2], args.tracks * 3),
            rng.uniform(*outline.bounds[1::2], args.tracks * 3),
        )
    )
    inside = shapely.contains_xy(outline, starts[:, 0], starts[:, 1])
    starts = starts[inside][: args.tracks]
    base = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    track_list = []
    for lon, lat in starts:
        coords = walk(rng, lon, lat, args.points)
        times = [base + dt.timedelta(seconds=5 * i) for i in range(len(coords))]
        track_list.append(tracks.Track.of(list(zip(times, coords[:, 0], coords[:, 1], strict=True))))
    segments = np.concatenate([tracks.segments(t) for t in track_list])
    owners = np.concatenate([np.full(len(t) - 1, i) for i, t in enumerate(track_list)])
    ours, bare = [], []
    for _round in range(args.rounds):
        t0 = time.perf_counter()
        result = tracks.passages_many(track_list, locator)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        seg_idx, tree_idx = locator.tree.query(segments, predicate="intersects")
        bare.append(time.perf_counter() - t0)
    ours_s, bare_s = statistics.median(ours), statistics.median(bare)
    passed = sum(len(r) for r in result)
    print(
        f"coverage of {len(track_list)} tracks × {args.points} positions ({len(segments):,} segments) "
        f"against {len(grids)} grids (median of {args.rounds}):"
    )
    pairs = {
        (int(track), int(locator.ids[grid])) for track, grid in zip(owners[seg_idx], tree_idx, strict=True)
    }
    assert pairs == {(i, g) for i, r in enumerate(result) for g in r}, "coverage and the bare query disagree"
    print(
        f"  passages_many (lines, query, first/last per grid)    {ours_s * 1000:8.1f} ms"
        f"  ({passed:,} grid passages)"
    )
    print(f"  bare STRtree.query of the same segments               {bare_s * 1000:8.1f} ms")
    ratio = ours_s / bare_s
    print(
        f"  ratio                                                 {ratio:8.2f}×"
        f"  (goal ≤ 2×: {'met' if ratio <= 2 else 'MISSED'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tracks", type=int, default=1_000)
    parser.add_argument("--points", type=int, default=360, help="positions per coverage track")
    parser.add_argument("--grids", type=int, default=3_475)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_PG, default=None, metavar="URL")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    grids = voronoi_grids(city_outline(OUTLINE), args.grids, rng)
    with tempfile.TemporaryDirectory(prefix="fq-bench-patrols-") as data_dir:
        setup_django(Path(data_dir), args.postgres)
        try:
            upload(args, grids, rng)
            coverage(args, grids, rng)
        finally:
            if args.postgres:
                from django.db import connections

                connections.close_all()
                _pg_admin(args.postgres, "DROP DATABASE IF EXISTS {name}")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
