"""Benchmark: import Wuzhong's 733,000 people from a station's CSV with ``fengqiao import people``.

In one run, in a database of its own (SQLite in a temporary directory, or PostgreSQL with
``--postgres``) holding a small territory (40 grids) and its standard addresses (settled before
anything is measured: vacuumed and analysed on PostgreSQL, its write-ahead log checkpointed on
SQLite):

1. generates the people CSV: valid ID numbers (Wuzhong county codes for registered residents,
   other provinces' for the floating population), Chinese names, phones, current addresses that
   exist (by their full text, as stations write them);
2. imports it with ``fengqiao import people`` in a subprocess — full validation, placement in the
   address's grid, pinyin keys, one history row per person, the checkpointed chunks — and reads
   the child's peak memory (``resource.getrusage``);
3. measures the raw ceiling: the same rows, read from the same CSV, written into a copy of the
   people table with the same indexes by one ``sqlite3.executemany`` (``COPY`` on PostgreSQL),
   no validation (each row's address, grid and collector are the import's, found in a dict made
   before the clock starts; the pinyin keys get cheap stand-ins of the same shape);
4. measures django-import-export (a ModelResource over the same columns, the library a Django
   team would reach for) on a 20,000-row slice in a fresh copy of the database, extrapolated;
5. imports the same file a second time (every row unchanged) and prints everything with the ratios;
6. times, in this process, the encryption the import did (each person's ID number and phone
   encrypted in the record and in its history row, and their keyed hashes: docs/adr/0010) and
   prints its share of the import's wall and CPU time. The ceiling writes the values in plain, with
   the plain values standing in for the hash columns (the same indexes kept up to date).

    .venv/bin/python bench/import_registry.py [--rows 733000] [--postgres [URL]] [--slice 20000]
"""

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/fq_bench_import"
HEADER = [
    "公民身份号码",
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "联系电话",
    "户籍地址",
    "现住址",
    "人员类型",
    "来此事由",
    "采集日期",
]
WUZHONG_COUNTIES = ("640302", "640303", "640323", "640324", "640381")
OTHER_COUNTIES = ("610102", "620102", "410102", "510104", "130102", "640104", "150102", "630102")
STREETS = (
    "滨河路",
    "利宁街",
    "朝阳街",
    "明珠路",
    "胜利路",
    "裕民街",
    "古城路",
    "世纪大道",
    "开元大道",
    "金积大道",
)
COMPOUNDS = ("金积花园", "朝阳小区", "滨河家园", "明珠苑", "富民小区", "幸福里", "康乐苑", "阳光城")


def log(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------------------------
# the database


def configure(env: dict) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "fengqiao.settings"
    import django

    django.setup()


def fresh_postgres(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def copy_postgres(url: str, copy_name: str) -> str:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{copy_name}" TEMPLATE "{name}"')
    return f"{base}/{copy_name}"


def iex_database(url: str) -> str:
    """The name of the database copy django-import-export runs in, next to the benchmark's own."""
    return url.rpartition("/")[2] + "_iex"


def drop_postgres(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build_territory(n_addresses: int, rng: random.Random) -> list[str]:
    """A county with 2 townships, 10 villages, 4 police districts and 40 grids (squares), and
    ``n_addresses`` standard addresses spread over the grids. Returns their full texts."""
    from django.core.management import call_command

    from fengqiao.core.scoping import unscoped_block
    from fengqiao.geo.choices import DivisionLevel, UnitKind
    from fengqiao.geo.models import Division, Grid, PoliceUnit
    from fengqiao.registry.models import Address

    call_command("migrate", verbosity=0)
    city = Division.objects.create(code="640300000000", name="吴忠市", level=DivisionLevel.CITY)
    county = Division.objects.create(
        code="640302000000", name="利通区", level=DivisionLevel.COUNTY, parent=city
    )
    towns = [
        Division.objects.create(code=f"6403021{t}0000", name=name, level=DivisionLevel.TOWN, parent=county)
        for t, name in ((0, "金积镇"), (1, "金银滩镇"))
    ]
    villages = [
        Division.objects.create(
            code=f"{towns[v // 5].code[:9]}2{v:02d}",
            name=f"第{v + 1}村",
            level=DivisionLevel.VILLAGE,
            parent=towns[v // 5],
        )
        for v in range(10)
    ]
    bureau = PoliceUnit.objects.create(kind=UnitKind.CITY, code="640300", name="吴忠市公安局")
    branch = PoliceUnit.objects.create(kind=UnitKind.COUNTY, code="640302", name="利通区分局", parent=bureau)
    station = PoliceUnit.objects.create(kind=UnitKind.STATION, code="ps01", name="金积派出所", parent=branch)
    districts = [
        PoliceUnit.objects.create(
            kind=UnitKind.DISTRICT, code=f"d{d:02d}", name=f"第{d}警务区", parent=station
        )
        for d in range(1, 5)
    ]
    grids = []
    for g in range(40):
        village = villages[g // 4]
        lon, lat = 106.0 + (g % 8) * 0.01, 37.9 + (g // 8) * 0.01
        ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01], [lon, lat]]
        grids.append(
            Grid.objects.create(
                code=f"{village.code}{g % 4 + 1:03d}",
                name=f"{village.name}第{g % 4 + 1}网格",
                community=village,
                district=districts[g // 10],
                geometry={"type": "Polygon", "coordinates": [ring]},
                centroid_lon=lon + 0.005,
                centroid_lat=lat + 0.005,
                area_km2=0.98,
            )
        )
    for village in villages:
        village.parent = next(t for t in towns if t.pk == village.parent_id)
    batch, texts = [], []
    for i in range(n_addresses):
        grid = grids[i % len(grids)]
        grid.community = next(v for v in villages if v.pk == grid.community_id)
        address = Address(
            code=f"{grid.code}{i // len(grids) + 1:06d}",
            community=grid.community,
            grid=grid,
            street=STREETS[i % len(STREETS)],
            compound=COMPOUNDS[(i // 7) % len(COMPOUNDS)],
            door_plate=str(i // 70 + 1),
            building=str(i % 12 + 1),
            unit=str(i % 4 + 1),
            room=f"{i % 6 + 1}0{i % 3 + 1}",
        )
        address.refresh_derived()
        batch.append(address)
        texts.append(address.full_text)
        if len(batch) == 5000:
            Address.objects.bulk_create(batch)
            batch = []
    with unscoped_block("benchmark setup"):
        Address.objects.bulk_create(batch)
    if len(set(texts)) != len(texts):
        raise SystemExit("benchmark setup: address texts are not unique")
    return texts


def write_people_csv(path: Path, rows: int, addresses: list[str], rng: random.Random) -> None:
    from fengqiao.demo.names import person_name
    from fengqiao.registry.validators import id_check_char

    start = dt.date(1940, 1, 1).toordinal()
    span = dt.date(2020, 12, 31).toordinal() - start
    collected_start = dt.date(2023, 1, 1).toordinal()
    seen = set()
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        written = 0
        while written < rows:
            floating = rng.random() < 0.25
            county = rng.choice(OTHER_COUNTIES if floating else WUZHONG_COUNTIES)
            born = dt.date.fromordinal(start + rng.randrange(span))
            seq = rng.randrange(1000)
            first17 = f"{county}{born:%Y%m%d}{seq:03d}"
            if first17 in seen:
                continue
            seen.add(first17)
            male = seq % 2 == 1
            name = person_name(rng)
            phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if rng.random() < 0.85 else ""
            current = addresses[rng.randrange(len(addresses))]
            hukou = (
                ("宁夏回族自治区吴忠市利通区" + current) if not floating else "陕西省西安市新城区解放路1号"
            )
            writer.writerow(
                [
                    first17 + id_check_char(first17),
                    name,
                    "男" if male else "女",
                    "回族" if rng.random() < 0.35 else "汉族",
                    born.isoformat() if rng.random() < 0.5 else born.strftime("%Y/%-m/%-d"),
                    phone,
                    hukou,
                    current,
                    "流动" if floating else "户籍",
                    "务工" if floating else "",
                    dt.date.fromordinal(collected_start + rng.randrange(600)).isoformat(),
                ]
            )
            written += 1


# ---------------------------------------------------------------------------------------------
# the raw ceiling


CEILING_COLUMNS = (
    "id_number",
    "name",
    "sex",
    "ethnicity",
    "birth_date",
    "phone",
    "hukou_address",
    "resident_type",
    "reason_for_coming",
    "collected_at",
)


def ceiling_rows(path: Path, places: "Places", now: str):
    """The CSV's cells into the same columns, with the address, grid and collector the import
    gives each row (the indexes on them then see the same keys); the pinyin keys get stand-ins of
    the same shape (the name for its pinyin, the first character for initials)."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for idn, name, sex, eth, born, phone, hukou, current, rtype, reason, collected in reader:
            address, grid = places.of_text[current]
            yield (
                idn,
                name,
                "",
                name,
                name[:1],
                "M" if sex == "男" else "F",
                eth,
                born,
                phone,
                hukou,
                address,
                "floating" if rtype == "流动" else "registered",
                reason,
                collected,
                grid,
                places.grid_path[grid],
                places.collector,
                now,
                now,
                idn,
                phone,
            )


class Places:
    """Where the import put the people: address and grid by the address's text, the grids'
    scope paths, and the collector (the importing user). Read before the ceiling's clock starts."""

    def __init__(self):
        from fengqiao.geo.models import Grid
        from fengqiao.registry.models import Address, Person

        reason = "benchmark: the ceiling's row content"
        addresses = Address.objects.unscoped(reason=reason).values_list("full_text", "id", "grid_id")
        self.of_text = {text: (pk, grid) for text, pk, grid in addresses}
        self.grid_path = dict(Grid.objects.unscoped(reason=reason).values_list("id", "scope_path"))
        people = Person.objects.unscoped(reason=reason)
        self.collector = people.values_list("collected_by_id", flat=True).first()


CEILING_INSERT_COLUMNS = (
    "id_number",
    "name",
    "former_name",
    "name_pinyin",
    "name_initials",
    "sex",
    "ethnicity",
    "birth_date",
    "phone",
    "hukou_address",
    "current_address_id",
    "resident_type",
    "reason_for_coming",
    "collected_at",
    "grid_id",
    "scope_path",
    "collected_by_id",
    "created_at",
    "updated_at",
    # the keyed-hash columns of the encrypted ID number and phone (core.crypto): the plain values
    # stand in for their hashes, so the ceiling keeps the same unique and plain indexes up to date
    "id_number_hash",
    "phone_hash",
)
# NOT NULL columns without a value in the CSV
CEILING_CONSTANTS = {
    "native_place": "",
    "marital_status": "",
    "education": "",
    "occupation": "",
    "workplace": "",
    "residence_permit_number": "",
    "nationality": "",
    "document_type": "",
    "document_number": "",
}


def sqlite_ceiling(db_path: Path, csv_path: Path, places: Places) -> float:
    """One executemany, in one transaction, into a fresh copy of registry_person: the same DDL and
    indexes, the pragmas of the project's connections (WAL, synchronous NORMAL). The time runs
    until the connection is closed (the final checkpoint of the write-ahead log), as the import's
    runs until its process ends."""
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    ddl = [
        sql
        for (sql,) in source.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'registry_person' AND sql IS NOT NULL"
        )
    ]
    source.close()
    target_path = db_path.parent / "ceiling.sqlite3"
    target = sqlite3.connect(target_path, isolation_level=None)
    target.execute("PRAGMA journal_mode=WAL")
    target.execute("PRAGMA synchronous=NORMAL")
    for sql in ddl:
        target.execute(sql)
    columns = list(CEILING_INSERT_COLUMNS) + list(CEILING_CONSTANTS)
    sql = "INSERT INTO registry_person ({}) VALUES ({})".format(
        ", ".join(columns), ", ".join("?" * len(columns))
    )
    constants = tuple(CEILING_CONSTANTS.values())
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    t0 = time.perf_counter()
    target.execute("BEGIN")
    target.executemany(sql, (row + constants for row in ceiling_rows(csv_path, places, now)))
    target.execute("COMMIT")
    target.close()
    elapsed = time.perf_counter() - t0
    check = sqlite3.connect(target_path)
    (count,) = check.execute("SELECT count(*) FROM registry_person").fetchone()
    check.close()
    return elapsed, count


def postgres_ceiling(url: str, csv_path: Path, places: Places) -> float:
    """COPY into a copy of registry_person made with LIKE … INCLUDING ALL (same indexes)."""
    import psycopg

    columns = list(CEILING_INSERT_COLUMNS) + list(CEILING_CONSTANTS)
    constants = tuple(CEILING_CONSTANTS.values())
    now = dt.datetime.now(dt.UTC).isoformat()
    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_ceiling")
        conn.execute("CREATE TABLE bench_ceiling (LIKE registry_person INCLUDING ALL)")
        conn.commit()
        t0 = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY bench_ceiling ({', '.join(columns)}) FROM STDIN") as copy:
            for row in ceiling_rows(csv_path, places, now):
                copy.write_row(row + constants)
        conn.commit()
        elapsed = time.perf_counter() - t0
        (count,) = conn.execute("SELECT count(*) FROM bench_ceiling").fetchone()
        conn.execute("DROP TABLE bench_ceiling")
        conn.commit()
    return elapsed, count


# ---------------------------------------------------------------------------------------------
# django-import-export (run in a child process, on a fresh copy of the database)


def iex_child(csv_path: str, slice_rows: int) -> None:
    """The baseline: a ModelResource over the same columns, default settings (one save per row)."""
    import tablib
    from import_export import fields, resources, widgets

    from fengqiao.core.context import Source, acting_as
    from fengqiao.core.scoping import unscoped_block
    from fengqiao.registry.models import Address, Person

    class SexWidget(widgets.CharWidget):
        def clean(self, value, row=None, **kwargs):
            return {"男": "M", "女": "F"}.get(value, value)

    class ResidentTypeWidget(widgets.CharWidget):
        def clean(self, value, row=None, **kwargs):
            return {"户籍": "registered", "流动": "floating"}.get(value, value)

    class DateWidget(widgets.DateWidget):
        def __init__(self):
            super().__init__(format="%Y-%m-%d")

        def clean(self, value, row=None, **kwargs):
            if value and "/" in value:
                value = dt.datetime.strptime(value, "%Y/%m/%d").date().isoformat()
            return super().clean(value, row, **kwargs)

    class PersonResource(resources.ModelResource):
        id_number = fields.Field(attribute="id_number", column_name="公民身份号码")
        name = fields.Field(attribute="name", column_name="姓名")
        sex = fields.Field(attribute="sex", column_name="性别", widget=SexWidget())
        ethnicity = fields.Field(attribute="ethnicity", column_name="民族")
        birth_date = fields.Field(attribute="birth_date", column_name="出生日期", widget=DateWidget())
        phone = fields.Field(attribute="phone", column_name="联系电话")
        hukou_address = fields.Field(attribute="hukou_address", column_name="户籍地址")
        current_address = fields.Field(
            attribute="current_address",
            column_name="现住址",
            widget=widgets.ForeignKeyWidget(Address, field="full_text"),
        )
        resident_type = fields.Field(
            attribute="resident_type", column_name="人员类型", widget=ResidentTypeWidget()
        )
        reason_for_coming = fields.Field(attribute="reason_for_coming", column_name="来此事由")
        collected_at = fields.Field(attribute="collected_at", column_name="采集日期", widget=DateWidget())

        class Meta:
            model = Person
            import_id_fields = ("id_number",)
            fields = (
                "id_number",
                "name",
                "sex",
                "ethnicity",
                "birth_date",
                "phone",
                "hukou_address",
                "current_address",
                "resident_type",
                "reason_for_coming",
                "collected_at",
            )

        def before_save_instance(self, instance, row, **kwargs):
            instance.grid_id = instance.current_address.grid_id

    with open(csv_path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        data = [row for _, row in zip(range(slice_rows), reader, strict=False)]
    dataset = tablib.Dataset(*data, headers=header)
    from fengqiao.core.commands import system_user

    with acting_as(system_user(), Source.CLI), unscoped_block("benchmark baseline: django-import-export"):
        t0 = time.perf_counter()
        result = PersonResource().import_data(dataset, dry_run=False, raise_errors=True)
        elapsed = time.perf_counter() - t0
        count = Person.objects.count()
    print(json.dumps({"seconds": elapsed, "rows": len(data), "people": count, "errors": result.has_errors()}))


# ---------------------------------------------------------------------------------------------


def encryption_seconds(csv_path: Path) -> tuple[float, float]:
    """What the import spends on encryption, measured on the same rows in this process: per person
    the ID number and phone encrypted in the record and again in its history row, and their two
    keyed hashes, with the key and cipher the import used (the data directory's key file)."""
    from fengqiao.core import crypto

    values = []
    with csv_path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            values.append((row[0], row[5].replace(" ", "")))
    crypto.keyring()  # read the key file before the clock starts
    t0, cpu0 = time.perf_counter(), time.process_time()
    for idn, phone in values:
        crypto.encrypt(idn, "registry.person.id_number")
        crypto.index(idn, "id_number")
        crypto.encrypt(idn, "registry.recordhistory.after.id_number")
        if phone:
            crypto.encrypt(phone, "registry.person.phone")
            crypto.index(phone, "phone")
            crypto.encrypt(phone, "registry.recordhistory.after.phone")
    return time.perf_counter() - t0, time.process_time() - cpu0


def fengqiao_cmd() -> list[str]:
    script = Path(sys.executable).with_name("fengqiao")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fengqiao.cli"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_import(env: dict, csv_path: Path, report: Path, errors: Path) -> tuple[float, float, dict]:
    """Run the command; its wall time, its CPU time, its report."""
    cmd = [
        *fengqiao_cmd(),
        "import",
        "people",
        str(csv_path),
        "--report",
        str(report),
        "--errors",
        str(errors),
    ]
    cpu0, t0 = children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, env={**os.environ, **env}, stdout=subprocess.PIPE, text=True)
    elapsed, cpu = time.perf_counter() - t0, children_cpu() - cpu0
    if done.returncode != 0:
        raise SystemExit(f"fengqiao import failed ({done.returncode}):\n{done.stdout}")
    log("  " + done.stdout.strip().replace("\n", "\n  "))
    return elapsed, cpu, json.loads(report.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=733_000)
    parser.add_argument("--slice", type=int, default=20_000, help="rows for django-import-export")
    parser.add_argument(
        "--postgres", nargs="?", const=DEFAULT_PG, help=f"PostgreSQL URL (default {DEFAULT_PG})"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--iex-child", nargs=2, metavar=("CSV", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.iex_child:
        configure({})
        iex_child(args.iex_child[0], int(args.iex_child[1]))
        return

    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="fq-bench-import-"))
    db_path = tmp / "fengqiao.sqlite3"
    db_url = args.postgres or f"sqlite:///{db_path}"
    env = {
        "FENGQIAO_DATA_DIR": str(tmp / "data"),
        "FENGQIAO_DATABASE_URL": db_url,
        "FENGQIAO_SECRET_KEY": "benchmark-only-not-secret",
        "FENGQIAO_HTTPS": "0",
        "FENGQIAO_LOG_LEVEL": "WARNING",
        # Production settings for the import and django-import-export alike, whatever the caller's
        # environment says: in debug mode Django keeps every query's SQL (on SQLite with its
        # parameters quoted by one more query).
        "FENGQIAO_DEBUG": "0",
    }
    try:
        if args.postgres:
            fresh_postgres(db_url)
        configure(env)
        from fengqiao.core.scoping import unscoped_block
        from fengqiao.geo.models import Grid

        n_addresses = max(args.rows * 10 // 45, 100)
        t0 = time.perf_counter()
        with unscoped_block("benchmark setup"):
            texts = build_territory(n_addresses, rng)
        grids = dict(Grid.objects.unscoped(reason="benchmark").values_list("id", "scope_path"))
        database = "PostgreSQL" if args.postgres else "SQLite"
        log(
            f"database: {database}; territory: {len(grids)} grids, {n_addresses:,} addresses "
            f"({time.perf_counter() - t0:.1f} s)"
        )
        from django.db import connection, connections

        # The territory was just written: settle it as a city's long-standing addresses are, so
        # that catching up on it (PostgreSQL's hint bits and autovacuum, SQLite's write-ahead log)
        # does not land in whichever phase is measured first.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if args.postgres else "PRAGMA wal_checkpoint(TRUNCATE)")
        connections.close_all()
        if args.postgres:
            baseline_url = copy_postgres(db_url, iex_database(db_url))
        else:
            # SQLite's backup API, not a file copy: the database is in WAL mode, and copying the
            # file would both miss the WAL and (closing a descriptor of it) drop this process's locks.
            source, target = sqlite3.connect(db_path), sqlite3.connect(tmp / "baseline.sqlite3")
            source.backup(target)
            source.close()
            target.close()
            baseline_url = f"sqlite:///{tmp / 'baseline.sqlite3'}"

        csv_path = tmp / "people.csv"
        t0 = time.perf_counter()
        write_people_csv(csv_path, args.rows, texts, rng)
        size = csv_path.stat().st_size
        log(
            f"people CSV: {args.rows:,} rows, {size / 1e6:.1f} MB, "
            f"written in {time.perf_counter() - t0:.1f} s"
        )

        # The setup's writes (the database, its copy for the baseline, the CSV) reach the disk
        # now, not in the kernel's write-back during whichever phase is timed first.
        os.sync()

        # 1. ours
        log("fengqiao import people (full validation, grid placement, history):")
        load_before = os.getloadavg()[0]
        ours, ours_cpu, counts = run_import(env, csv_path, tmp / "report.json", tmp / "errors.csv")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if counts["inserted"] != args.rows or counts["rejected"]:
            raise SystemExit(f"the import did not take every row: {counts}")
        ours_rate = args.rows / ours

        from fengqiao.core.models import AuditEntry
        from fengqiao.registry.models import Person, RecordHistory

        people = Person.objects.unscoped(reason="benchmark check").count()
        history = RecordHistory.objects.count()
        audits = AuditEntry.objects.filter(action="import").count()
        connection.close()
        log(f"  {people:,} people and {history:,} history rows stored; {audits} audit entry")

        # 2. again: nothing changes
        log("the same file again:")
        again, _again_cpu, counts2 = run_import(env, csv_path, tmp / "report2.json", tmp / "errors2.csv")
        if counts2["unchanged"] != args.rows:
            raise SystemExit(f"the second import changed something: {counts2}")

        # 3. the ceiling
        places = Places()
        connection.close()
        cpu0 = time.process_time()
        if args.postgres:
            ceiling, stored = postgres_ceiling(db_url, csv_path, places)
            ceiling_name = "COPY"
        else:
            ceiling, stored = sqlite_ceiling(db_path, csv_path, places)
            ceiling_name = "sqlite3.executemany"
        ceiling_cpu = time.process_time() - cpu0
        if stored != args.rows:
            raise SystemExit(f"the ceiling stored {stored} rows, not {args.rows}")
        ceiling_rate = args.rows / ceiling
        crypto_s, crypto_cpu = encryption_seconds(csv_path)

        # 4. django-import-export on a slice, in a fresh copy of the database
        slice_rows = min(args.slice, args.rows)
        child = subprocess.run(
            [sys.executable, __file__, "--iex-child", str(csv_path), str(slice_rows)],
            env={**os.environ, **env, "FENGQIAO_DATABASE_URL": baseline_url},
            stdout=subprocess.PIPE,
            text=True,
        )
        if child.returncode != 0:
            raise SystemExit("django-import-export baseline failed")
        iex = json.loads(child.stdout.strip().splitlines()[-1])
        if iex["errors"] or iex["people"] != slice_rows:
            raise SystemExit(f"django-import-export did not import the slice: {iex}")
        iex_rate = iex["rows"] / iex["seconds"]

        load_after = os.getloadavg()[0]

        vs_ceiling = ours / ceiling
        vs_iex = ours_rate / iex_rate
        cores = os.cpu_count() or 1
        log("")
        log(
            f"rows: {args.rows:,} ({database}); {cores} CPU cores; "
            f"load average {load_before:.1f} → {load_after:.1f}"
        )
        log(f"  {'':34} {'wall s':>8} {'rows/s':>9} {'CPU s':>8}")
        log(
            f"  {'fengqiao import people':34} {ours:8.1f} {ours_rate:9,.0f} {ours_cpu:8.1f}"
            f"  peak {peak_mb:,.0f} MB"
        )
        log(f"  {'  the same file again (unchanged)':34} {again:8.1f} {args.rows / again:9,.0f}")
        # On PostgreSQL the work is the server's: this process's CPU says nothing about COPY.
        ceiling_cpu_text = f"{ceiling_cpu:8.1f}" if not args.postgres else f"{'(server)':>8}"
        log(f"  {'raw ceiling, ' + ceiling_name:34} {ceiling:8.1f} {ceiling_rate:9,.0f} {ceiling_cpu_text}")
        log(
            f"  {'django-import-export, ' + format(iex['rows'], ',') + ' rows':34} {iex['seconds']:8.1f} "
            f"{iex_rate:9,.0f}   (extrapolated to {args.rows:,} rows: {args.rows / iex_rate:,.0f} s)"
        )
        verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
        cpu_ratio = "" if args.postgres else f", {ours_cpu / ceiling_cpu:.2f}x CPU"
        log(f"ours / raw ceiling: {vs_ceiling:.2f}x wall{cpu_ratio} (goal <= 2x) {verdict(vs_ceiling <= 2)}")
        log(f"speed-up over django-import-export: {vs_iex:.1f}x (goal >= 20x) {verdict(vs_iex >= 20)}")
        log(f"peak memory: {peak_mb:,.0f} MB (goal < 1024 MB) {verdict(peak_mb < 1024)}")
        from fengqiao.core import crypto

        scheme = f"{crypto.cipher_name()}, index {crypto.keyring().index_scheme}"
        log(
            f"encryption ({scheme}): {crypto_s:.1f} s of the import's {ours:.1f} s wall "
            f"({100 * crypto_s / ours:.1f}%), {crypto_cpu:.1f} s of its {ours_cpu:.1f} s CPU "
            f"({100 * crypto_cpu / ours_cpu:.1f}%), {1e6 * crypto_cpu / args.rows:.1f} µs CPU a person"
        )
    finally:
        if args.postgres:
            from django.db import connections

            connections.close_all()
            drop_postgres(db_url.rpartition("/")[0] + "/" + iex_database(db_url))
            drop_postgres(db_url)
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
