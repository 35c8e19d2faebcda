"""Shared fixtures: a small territory and the personas of the scoping matrix.

The territory: city 640300 → county 640302 → station ps01 → districts d01 and d02.
Grid A (in d01) and grid B (in d02) are neighbouring squares in two villages of the same
township. Grid C sits in another county's station, out of everyone's reach but the city's.
"""

import importlib
import time

import pytest
from django.db import OperationalError, connection, transaction

from fengqiao.accounts.models import Posting, User
from fengqiao.core.context import Source, acting_as
from fengqiao.core.roles import Role
from fengqiao.geo.choices import DivisionLevel, UnitKind
from fengqiao.geo.models import Division, Grid, PoliceUnit

PASSWORD = "fengqiao-test-pass"

# Fixtures every folder may use, without importing them (and re-declaring them as arguments).
pytest_plugins = [
    "tests.fixtures.api",
    "tests.fixtures.disputes",
    "tests.fixtures.events",
    "tests.fixtures.matrix",
    "tests.fixtures.registry",
]


def square(lon: float, lat: float, size: float = 0.01) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def make_grid(
    code: str, name: str, community: Division, district: PoliceUnit, lon: float, lat: float
) -> Grid:
    return Grid.objects.create(
        code=code,
        name=name,
        community=community,
        district=district,
        geometry=square(lon, lat),
        centroid_lon=lon + 0.005,
        centroid_lat=lat + 0.005,
        area_km2=0.98,
    )


class Territory:
    """Handles to the rows of the test territory, by role in the story."""


@pytest.fixture
def territory(db):
    t = Territory()
    div = lambda code, name, level, parent=None: Division.objects.create(  # noqa: E731
        code=code, name=name, level=level, parent=parent
    )
    t.city_div = div("640300000000", "吴忠市", DivisionLevel.CITY)
    t.county_div = div("640302000000", "利通区", DivisionLevel.COUNTY, t.city_div)
    t.town = div("640302100000", "金积镇", DivisionLevel.TOWN, t.county_div)
    t.village_a = div("640302100201", "金积村", DivisionLevel.VILLAGE, t.town)
    t.village_b = div("640302100202", "关渠村", DivisionLevel.VILLAGE, t.town)
    t.county2_div = div("640381000000", "青铜峡市", DivisionLevel.COUNTY, t.city_div)
    t.town2 = div("640381100000", "小坝镇", DivisionLevel.TOWN, t.county2_div)
    t.village_c = div("640381100201", "小坝村", DivisionLevel.VILLAGE, t.town2)

    unit = lambda kind, code, name, parent=None: PoliceUnit.objects.create(  # noqa: E731
        kind=kind, code=code, name=name, parent=parent
    )
    t.city = unit(UnitKind.CITY, "640300", "吴忠市公安局")
    t.county = unit(UnitKind.COUNTY, "640302", "利通区分局", t.city)
    t.station = unit(UnitKind.STATION, "ps01", "金积派出所", t.county)
    t.district_a = unit(UnitKind.DISTRICT, "d01", "金积第一警务区", t.station)
    t.district_b = unit(UnitKind.DISTRICT, "d02", "金积第二警务区", t.station)
    t.county2 = unit(UnitKind.COUNTY, "640381", "青铜峡市公安局", t.city)
    t.station2 = unit(UnitKind.STATION, "ps01", "小坝派出所", t.county2)
    t.district_c = unit(UnitKind.DISTRICT, "d01", "小坝第一警务区", t.station2)

    t.grid_a = make_grid("640302100201001", "金积村第一网格", t.village_a, t.district_a, 106.10, 37.90)
    t.grid_b = make_grid("640302100202001", "关渠村第一网格", t.village_b, t.district_b, 106.11, 37.90)
    t.grid_c = make_grid("640381100201001", "小坝村第一网格", t.village_c, t.district_c, 106.00, 38.00)
    return t


def make_user(username: str, role: str, *, unit=None, grid=None, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, role=role, **extra)
    if unit is not None or grid is not None:
        Posting.objects.create(user=user, unit=unit, grid=grid)
    return user


class Personas:
    """The people of the scoping matrix (after Healthchecks' Alice, Bob and Charlie)."""


@pytest.fixture
def personas(territory):
    p = Personas()
    p.grid_a = make_user("grid_a", Role.GRID_WORKER, grid=territory.grid_a, full_name="张三")
    p.grid_b = make_user("grid_b", Role.GRID_WORKER, grid=territory.grid_b, full_name="李四")
    p.officer = make_user("officer_a", Role.COMMUNITY_OFFICER, unit=territory.district_a, full_name="王五")
    p.station = make_user("station", Role.STATION, unit=territory.station, full_name="赵六")
    p.city = make_user("city", Role.CITY_COMMAND, unit=territory.city, full_name="钱七")
    p.resident = make_user("resident", Role.RESIDENT, full_name="孙八")
    p.admin = User.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    p.territory = territory
    return p


@pytest.fixture
def as_actor():
    """Run a block as a given user, the way the CLI does: ``with as_actor(user): ...``."""

    def enter(user, source=Source.CLI):
        return acting_as(user, source)

    return enter


@pytest.fixture
def atomic():
    return transaction.atomic


# A transactional test's database is emptied after it by ``flush``. On SQLite that is a ``DELETE``
# which the audit table's append-only triggers refuse (PostgreSQL's ``TRUNCATE`` does not fire
# them), so the triggers are lifted just for the flush and put back after the module.
_APPEND_ONLY = importlib.import_module("fengqiao.core.migrations.0008_keyed_audit_chain")


def _audit_triggers(on: bool) -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for sql in _APPEND_ONLY.SQLITE_REVERSE + (_APPEND_ONLY.SQLITE if on else []):
            _execute_once_unlocked(cursor, sql)


def _execute_once_unlocked(cursor, sql: str, patience: float = 10.0) -> None:
    """The live server's request threads share the test's in-memory connection: a request the
    browser left in flight (an image, a prefetch) may still hold a statement open when the test
    ends, and SQLite then refuses to drop a trigger with "table is locked" (it does not wait, as
    it does for a busy file). Wait for that request to finish."""
    deadline = time.monotonic() + patience
    while True:
        try:
            cursor.execute(sql)
            return
        except OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture(scope="module")
def _audit_triggers_back_after_the_module(django_db_setup, django_db_blocker):
    yield
    with django_db_blocker.unblock():
        _audit_triggers(on=True)


@pytest.fixture
def flushable_audit(transactional_db, _audit_triggers_back_after_the_module):
    """For tests on a transactional database (threads, the live server, commands that close
    connections): the audit stays append-only during the test and lets the flush through."""
    _audit_triggers(on=True)
    yield
    _audit_triggers(on=False)
