"""Benchmark: find one person among Wuzhong's 733,000 through the API, against Django admin's search.

Builds a throw-away database (SQLite in a temporary directory unless ``--database-url`` names a
database to fill — it is emptied first), migrates it, lays out the police tree with
3,475 grids and bulk-inserts N people (default 733,000: plausible names with their pinyin keys,
valid ID numbers, mobile numbers, spread over the grids). Then, for a sample of those people, it
times through ``GET /api/v1/registry/people?q=…`` as the city command (who sees all of them; the
Django test client, the whole request: token, scope, query, masking, JSON):

- ID number look-up (``q`` = the 18-character number);
- name prefix search: the Chinese name (``张三``), its pinyin (``zhangsan``) and initials (``zs``);
- and, for the record, surname-only prefixes (``马``, ``ma``), which match tens of thousands.

In the same run it times the same queries through the peer a Django team gets for free: the
project's admin changelist for Person (``registry.admin.PersonAdmin``, scoped), searching its
``search_fields`` (plus the initials column, so it finds what the API finds) with Django's default
``icontains``, as a superuser, a page of the same size. It prints p50 and p99 of each and the
ratio of the medians. Goal: p99 ≤ 20 ms and ≥ 50× faster than the admin search. No assertion: the
figures are the output.

    .venv/bin/python bench/search.py [--people 733000] [--sample 300] [--peer-sample 10]
        [--database-url postgres://postgres@127.0.0.1:5432/fq_bench] [--keep] [--reuse] [--profile]

``--keep`` keeps the temporary SQLite file; ``--database-url URL --reuse`` times a data set an
earlier run left there without building it again; ``--profile`` prints the SQL of one search and
a cProfile of the API requests.
"""

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNTIES = {  # Wuzhong's counties: code → (name, stations)
    "640302": ("利通区", 14),
    "640303": ("红寺堡区", 6),
    "640323": ("盐池县", 8),
    "640324": ("同心县", 8),
    "640381": ("青铜峡市", 8),
}
DISTRICTS = 118
GRIDS = 3_475
GRIDS_PER_VILLAGE = 5
# Where the floating population comes from (province-level codes of other provinces' counties).
OTHER_COUNTIES = ("610102", "620102", "410102", "130102", "150102", "370102", "510104", "640104")
PAGE = 20


def setup_django(database_url: str | None, data_dir: Path) -> None:
    os.environ["FENGQIAO_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("FENGQIAO_SECRET_KEY", "bench-search-not-secret")
    os.environ["FENGQIAO_HTTPS"] = "0"
    os.environ["FENGQIAO_LOG_LEVEL"] = "WARNING"
    os.environ["FENGQIAO_ALLOWED_HOSTS"] = "testserver"
    # The city command sees masked numbers, so each ID look-up is counted against the hourly limit
    # (registry.access): the count is made on every look-up, and the limit is set past the run's.
    os.environ["FENGQIAO_EXACT_LOOKUPS_PER_HOUR"] = "1000000"
    # The peer is the admin's changelist, reached with a forced log-in: no second factor to give.
    os.environ.setdefault("FENGQIAO_STAFF_MFA", "off")
    if database_url:
        os.environ["FENGQIAO_DATABASE_URL"] = database_url
    else:
        os.environ.pop("FENGQIAO_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "fengqiao.settings"
    import django

    django.setup()


# --- the data set ------------------------------------------------------------------------------


def empty_database() -> None:
    """A PostgreSQL database given on the command line is emptied; SQLite starts from nothing."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")


def build_territory():
    """City → 5 counties → 44 stations → 118 districts → 3,475 grids in 695 villages."""
    from fengqiao.geo.choices import DivisionLevel, UnitKind
    from fengqiao.geo.models import Division, Grid, PoliceUnit

    city_div = Division.objects.create(code="640300000000", name="吴忠市", level=DivisionLevel.CITY)
    city = PoliceUnit.objects.create(kind=UnitKind.CITY, code="640300", name="吴忠市公安局")
    stations = []
    for code, (name, n_stations) in COUNTIES.items():
        county_div = Division.objects.create(
            code=f"{code}000000", name=name, level=DivisionLevel.COUNTY, parent=city_div
        )
        county = PoliceUnit.objects.create(kind=UnitKind.COUNTY, code=code, name=f"{name}公安局", parent=city)
        for s in range(1, n_stations + 1):
            town = Division.objects.create(
                code=f"{code}{100 + s:03d}000",
                name=f"{name}第{s}镇",
                level=DivisionLevel.TOWN,
                parent=county_div,
            )
            station = PoliceUnit.objects.create(
                kind=UnitKind.STATION, code=f"ps{s:02d}", name=f"第{s}派出所", parent=county
            )
            stations.append((station, town))
    districts = []
    for i in range(DISTRICTS):
        station, town = stations[i % len(stations)]
        seq = sum(1 for d, _ in districts if d.parent_id == station.pk) + 1
        district = PoliceUnit.objects.create(
            kind=UnitKind.DISTRICT, code=f"d{seq:02d}", name=f"{station.name}第{seq}警务区", parent=station
        )
        districts.append((district, town))
    grids = []
    villages_per_town: dict[int, int] = {}
    n_villages = -(-GRIDS // GRIDS_PER_VILLAGE)
    for v in range(n_villages):
        district, town = districts[v % len(districts)]
        seq = villages_per_town[town.pk] = villages_per_town.get(town.pk, 0) + 1
        village = Division.objects.create(
            code=f"{town.code[:9]}{200 + seq:03d}",
            name=f"第{v + 1}村",
            level=DivisionLevel.VILLAGE,
            parent=town,
        )
        for g in range(1, GRIDS_PER_VILLAGE + 1):
            if len(grids) == GRIDS:
                break
            lon, lat = 105.5 + (len(grids) % 60) * 0.01, 37.0 + (len(grids) // 60) * 0.01
            ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01], [lon, lat]]
            code = f"{village.code}{g:03d}"
            grids.append(
                Grid(
                    code=code,
                    name=f"{village.name}第{g}网格",
                    community=village,
                    district=district,
                    geometry={"type": "Polygon", "coordinates": [ring]},
                    centroid_lon=lon + 0.005,
                    centroid_lat=lat + 0.005,
                    area_km2=0.98,
                    scope_path=f"{district.path}/{code}",
                )
            )
    Grid.objects.bulk_create(grids, batch_size=1000)
    return city, list(
        Grid.objects.unscoped(reason="bench: the grids to fill").values_list("pk", "scope_path")
    )


def id_number(rng: random.Random, county: str, born: dt.date, sex: str, taken: set) -> str:
    from fengqiao.registry.validators import id_check_char

    while True:
        seq = rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
        first17 = f"{county}{born:%Y%m%d}{seq:03d}"
        number = first17 + id_check_char(first17)
        if number not in taken:
            taken.add(number)
            return number


def people_rows(n: int, grids: list, seed: int):
    """Yield (values by column, sample facts) for ``n`` people, generated as the demo would."""
    from fengqiao.demo.names import person_name
    from fengqiao.registry.text import pinyin_keys

    rng = random.Random(seed)
    keys: dict[str, tuple[str, str]] = {}
    taken: set[str] = set()
    phones: set[str] = set()
    counties = list(COUNTIES)
    start = dt.date(1935, 1, 1).toordinal()
    span = dt.date(2024, 12, 31).toordinal() - start
    for _ in range(n):
        name = person_name(rng)
        pinyin, initials = keys.get(name) or keys.setdefault(name, pinyin_keys(name))
        sex = "M" if rng.random() < 0.51 else "F"
        born = dt.date.fromordinal(start + rng.randrange(span))
        floating = rng.random() < 0.12
        county = rng.choice(OTHER_COUNTIES) if floating else rng.choice(counties)
        number = id_number(rng, county, born, sex, taken)
        phone = ""
        if rng.random() < 0.8:
            while not phone or phone in phones:
                phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
            phones.add(phone)
        grid_id, scope_path = grids[rng.randrange(len(grids))]
        yield {
            "id_number": number,
            "name": name,
            "name_pinyin": pinyin,
            "name_initials": initials,
            "sex": sex,
            "birth_date": born,
            "phone": phone,
            "grid_id": grid_id,
            "scope_path": scope_path,
            "resident_type": "floating" if floating else "registered",
            "collected_at": dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(730)),
        }


def insert_people(n: int, grids: list, seed: int) -> None:
    """Insert the people in batches with executemany (COPY on PostgreSQL)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from fengqiao.core import crypto
    from fengqiao.registry.models import Person

    now = timezone.now()
    fields = [f for f in Person._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    constant = {}
    for f in fields:
        if f.attname in ("created_at", "updated_at"):
            constant[f.attname] = f.get_db_prep_save(now, connection)
        elif f.has_default() or f.null or f.blank:
            constant[f.attname] = f.get_db_prep_save(f.get_default(), connection)
    date_prep = connection.ops.adapt_datefield_value
    table = connection.ops.quote_name(Person._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['%s'] * len(columns))})"
    batch: list[tuple] = []

    def flush(cursor):
        if not batch:
            return
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
        else:
            cursor.executemany(sql, batch)
        batch.clear()

    with transaction.atomic(), connection.cursor() as cursor:
        for row in people_rows(n, grids, seed):
            values = []
            for f in fields:
                # Numbers and phones stored as the model stores them (encrypted, with their keyed
                # hashes, docs/adr/0010), so the look-ups time what production runs.
                if isinstance(f, crypto.BlindIndexField):
                    values.append(crypto.index(row.get(f.source, ""), f.label))
                elif isinstance(f, crypto.EncryptedMixin) and f.attname in row:
                    values.append(f.get_db_prep_save(row[f.attname], connection))
                elif f.attname in row:
                    value = row[f.attname]
                    values.append(date_prep(value) if isinstance(value, dt.date) else value)
                else:
                    values.append(constant[f.attname])
            batch.append(tuple(values))
            if len(batch) == 20_000:
                flush(cursor)
        flush(cursor)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def sample_people(rng: random.Random, n: int) -> list[dict]:
    """``n`` people drawn at random from the database."""
    from fengqiao.registry.models import Person

    people = Person.objects.unscoped(reason="bench: drawing the people to look for")
    ids = list(people.values_list("id", flat=True))
    chosen = rng.sample(ids, min(n, len(ids)))
    rows = {
        r["id"]: r
        for r in people.filter(id__in=chosen).values(
            "id", "id_number", "name", "name_pinyin", "name_initials"
        )
    }
    return [rows[i] for i in chosen]


def make_users(city):
    from fengqiao.accounts.actions import issue_api_token
    from fengqiao.accounts.models import Posting, User

    command = User.objects.create_user("bench_city", password="bench-password-1", role="city_command")
    Posting.objects.create(user=command, unit=city)
    admin = User.objects.create_superuser("bench_admin", "bench@example.org", "bench-password-1")
    _, token = issue_api_token(command, actor=command, name="bench")
    return command, admin, token


# --- the peer: Django admin's changelist search ----------------------------------------------------


def install_peer_admin():
    """The peer: the project's own admin changelist for Person (scoped, read-only), searching with
    Django's default lookup (``icontains``) over its ``search_fields`` — plus the initials column,
    so that it finds what the API finds — a page the size of the API's."""
    from django.conf import settings
    from django.contrib import admin
    from django.urls import clear_url_caches, include, path

    from fengqiao.core.admin import ScopedAdminMixin
    from fengqiao.registry.models import Person

    base = type(admin.site._registry[Person]) if Person in admin.site._registry else admin.ModelAdmin
    if not issubclass(base, ScopedAdminMixin):
        base = type("ScopedPersonAdmin", (ScopedAdminMixin, base), {})
    fields = list(getattr(base, "search_fields", ()) or ["id_number", "name", "name_pinyin", "phone"])

    class PeerPersonAdmin(base):
        search_fields = [*fields, *(["name_initials"] if "name_initials" not in fields else [])]
        list_per_page = PAGE

    site = admin.AdminSite(name="peer_admin")
    site.register(Person, PeerPersonAdmin)
    urls = types.ModuleType("bench_search_urls")
    urls.urlpatterns = [path("peer-admin/", site.urls), path("", include("fengqiao.urls"))]
    sys.modules["bench_search_urls"] = urls
    settings.ROOT_URLCONF = "bench_search_urls"
    clear_url_caches()
    print(f"peer: {base.__name__} changelist, search_fields = {PeerPersonAdmin.search_fields} (icontains)")
    return "/peer-admin/registry/person/"


# --- timing -----------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def time_requests(client, url: str, queries: list[str], headers: dict, check) -> tuple[list[float], int]:
    times, found = [], 0
    for q in queries:
        t0 = time.perf_counter()
        response = client.get(url, {"q": q, **({"limit": PAGE} if "/api/" in url else {})}, headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}?q={q}: HTTP {response.status_code}: {response.content[:300]!r}")
        found += check(response, q)
    return times, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=733_000)
    parser.add_argument("--sample", type=int, default=300, help="queries of each kind through the API")
    parser.add_argument("--peer-sample", type=int, default=10, help="queries of each kind through the admin")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url", help="a database to fill instead of a temporary SQLite file (it is emptied first)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite database")
    parser.add_argument(
        "--reuse", action="store_true", help="with --database-url: time the data set already there"
    )
    parser.add_argument("--profile", action="store_true", help="profile the API requests (cProfile)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="fengqiao-bench-search-"))
    setup_django(args.database_url, tmp)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from fengqiao.registry.models import Person

    t0 = time.perf_counter()
    where = connection.settings_dict["NAME"]
    if args.reuse and args.database_url:
        from fengqiao.accounts.actions import issue_api_token
        from fengqiao.accounts.models import User

        command = User.objects.get(username="bench_city")
        admin_user = User.objects.get(username="bench_admin")
        _, token = issue_api_token(command, actor=command, name="bench")
        people = Person.objects.unscoped(reason="bench: the data set's size").count()
        print(f"data set: {people:,} people, {connection.vendor} ({where}), reused")
    else:
        empty_database()
        call_command("migrate", verbosity=0)
        city, grids = build_territory()
        insert_people(args.people, grids, args.seed)
        command, admin_user, token = make_users(city)
        print(
            f"data set: {args.people:,} people in {len(grids):,} grids, {connection.vendor} ({where}), "
            f"built in {time.perf_counter() - t0:.0f} s"
        )

    rng = random.Random(args.seed)
    picked = sample_people(rng, args.sample)
    surnames = [row["name"][0] for row in picked]
    kinds = {
        "ID number": [row["id_number"] for row in picked],
        "name 张三": [row["name"] for row in picked],
        "pinyin zhangsan": [row["name_pinyin"] for row in picked],
        "initials zs": [row["name_initials"] for row in picked],
        "surname 马": surnames,
        "surname pinyin ma": [pinyin_of(s) for s in surnames],
    }
    goal_kinds = ["ID number", "name 张三", "pinyin zhangsan", "initials zs"]

    peer_url = install_peer_admin()
    api_client, admin_client = Client(), Client()
    admin_client.force_login(admin_user)
    # Every request states its purpose, and every read is on the record (docs/adr/0009).
    api_headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en", "X-Purpose": "case"}
    api_url = "/api/v1/registry/people"

    def api_found(response, q):
        return int(response.json()["count"] > 0)

    def admin_found(response, q):
        return int(b"0 results" not in response.content and b"0 \xe4\xb8\xaa" not in response.content)

    # warm up both paths (imports, caches, the token's last-used write)
    time_requests(api_client, api_url, kinds["ID number"][:5], api_headers, api_found)
    time_requests(admin_client, peer_url, kinds["ID number"][:2], {}, admin_found)

    print(
        f"\n{'query':<20} {'API p50':>9} {'API p99':>9} {'admin p50':>10} {'admin p99':>10} {'ratio p50':>10}"
    )
    api_all: dict[str, list[float]] = {}
    admin_all: dict[str, list[float]] = {}
    for kind, queries in kinds.items():
        api_times, found = time_requests(api_client, api_url, queries, api_headers, api_found)
        peer_queries = queries[: args.peer_sample]
        admin_times, _ = time_requests(admin_client, peer_url, peer_queries, {}, admin_found)
        api_all[kind], admin_all[kind] = api_times, admin_times
        ratio = statistics.median(admin_times) / statistics.median(api_times)
        print(
            f"{kind:<20} {percentile(api_times, 50):>7.2f}ms {percentile(api_times, 99):>7.2f}ms "
            f"{percentile(admin_times, 50):>8.1f}ms {percentile(admin_times, 99):>8.1f}ms {ratio:>9.0f}x"
            f"   ({len(queries)} via API, {found} found; {len(peer_queries)} via admin)"
        )

    id_api, id_admin = api_all["ID number"], admin_all["ID number"]
    name_api = [t for k in goal_kinds[1:] for t in api_all[k]]
    name_admin = [t for k in goal_kinds[1:] for t in admin_all[k]]
    print()
    for label, ours, peer in (("ID look-up", id_api, id_admin), ("name/pinyin prefix", name_api, name_admin)):
        p99 = percentile(ours, 99)
        ratio = statistics.median(peer) / statistics.median(ours)
        print(
            f"{label}: p50 {percentile(ours, 50):.2f} ms, p99 {p99:.2f} ms (goal <= 20 ms: "
            f"{'met' if p99 <= 20 else 'NOT met'}); admin search p50 {statistics.median(peer):.0f} ms; "
            f"{ratio:,.0f}x faster at the median (goal >= 50x: {'met' if ratio >= 50 else 'NOT met'})"
        )
    read_audit_cost(api_url, api_headers, kinds["ID number"], api_found, id_api)
    if args.profile:
        profile(api_client, api_url, api_headers, kinds)
    connection.close()
    if args.keep or args.database_url:
        print(f"database kept: {where} (time it again with --database-url ... --reuse)")
    if not args.keep:
        shutil.rmtree(tmp)  # the data directory (and the SQLite file, unless --database-url named another)


def read_audit_cost(url, headers, queries, check, audited: list[float]) -> None:
    """The same ID look-ups once more through a handler without the read-audit middleware: what
    putting every read on the record (one audit entry, its ReadLog and PersonRead rows, the
    look-up count, the alert check) costs a request, measured in this run."""
    from django.conf import settings
    from django.test import Client

    from fengqiao.core.models import AuditEntry

    reads = AuditEntry.objects.filter(action__in=["registry_read", "registry_lookup"]).count()
    middleware = settings.MIDDLEWARE
    settings.MIDDLEWARE = [m for m in middleware if m != "fengqiao.registry.access.ReadAuditMiddleware"]
    try:
        bare = Client()
        time_requests(bare, url, queries[:5], headers, check)
        times, _ = time_requests(bare, url, queries, headers, check)
    finally:
        settings.MIDDLEWARE = middleware
    print(
        f"read auditing: {reads:,} read entries written in this run; ID look-up p50 "
        f"{percentile(audited, 50):.2f} ms audited vs {percentile(times, 50):.2f} ms without "
        f"(+{percentile(audited, 50) - percentile(times, 50):.2f} ms), p99 {percentile(audited, 99):.2f} "
        f"vs {percentile(times, 99):.2f} ms"
    )


def profile(client, url, headers, kinds) -> None:
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url, {"q": kinds["pinyin zhangsan"][0], "limit": PAGE}, headers=headers)
    for query in queries.captured_queries:
        print(f"{float(query['time']) * 1000:7.2f} ms  {query['sql'][:300]}")
    profiler = cProfile.Profile()
    profiler.enable()
    for kind in ("ID number", "pinyin zhangsan"):
        for q in kinds[kind]:
            client.get(url, {"q": q, "limit": PAGE}, headers=headers)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def pinyin_of(surname: str) -> str:
    from fengqiao.registry.text import pinyin_keys

    return pinyin_keys(surname + "三")[0].removesuffix("san")


if __name__ == "__main__":
    main()
