"""The demo city: load the real divisions of Wuzhong, generate police units, grids and staff, then
fill the registry (一标三实).

``generate_demo_city`` is one transaction and one audit entry (``demo_generate``), naming the
scale, the seed and what was made. Everything it writes comes from :func:`fengqiao.demo.city.plan_city`,
so the same divisions, scale and seed give the same codes, names, geometries and people.
``generate_demo_registry`` is likewise one transaction and one audit entry (``demo_registry``); its
rows come from :func:`fengqiao.demo.registry.plan_registry` and are written in bulk.
"""

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape

from fengqiao.accounts.models import Posting, User
from fengqiao.core import audit, workcalendar
from fengqiao.core.importing import bulk_load, copy_in, secondary_indexes
from fengqiao.core.models import CaseCounter, TimelineEntry
from fengqiao.core.roles import Role
from fengqiao.core.scoping import is_below
from fengqiao.demo import events as demo_events
from fengqiao.demo import names
from fengqiao.demo import registry as demo_registry
from fengqiao.demo.city import CityPlan, County, PlanError, Township, Village, plan_city, seeded
from fengqiao.demo.names import (
    GENERATED_USERNAME,
    DemoAccount,
    county_username,
    grid_worker_username,
    officer_username,
    station_username,
)
from fengqiao.events.actions import CATEGORIES_FILE, load_categories
from fengqiao.events.models import Attachment, Category, Event
from fengqiao.events.workflow import EVENT_WORKFLOW
from fengqiao.geo import actions as geo_actions
from fengqiao.geo.choices import DivisionLevel, UnitKind
from fengqiao.geo.data import WUZHONG
from fengqiao.geo.geometry import GeometryError, measures, parse_area, to_geojson
from fengqiao.geo.models import Division, Grid, PoliceUnit
from fengqiao.registry.models import (
    Address,
    CareTag,
    Employment,
    House,
    ImportBatch,
    Organisation,
    Person,
    RecordHistory,
    Residence,
)

DEMO_PASSWORD = "fengqiao-demo"
DEFAULT_SCALE = 1.0
DEFAULT_SEED = 1
# Events at 0.05 of a realistic rate (5 a grid a year instead of 100): two years of the whole city
# are ~33,500 events and ~229,000 timeline rows, about 19 s of CPU on SQLite for `fengqiao demo`.
DEFAULT_EVENTS_SCALE = 0.05
# The registry at 0.1 of the article's city (73,300 people, 16,200 houses, 600 organisations)
# keeps `make demo` on a fresh machine well under a minute; 1.0 is for the benchmarks.
DEFAULT_REGISTRY_SCALE = 0.1
DEFAULT_DATA_DIR = WUZHONG
DIVISIONS_FILE = "divisions_2016.csv"
BOUNDARIES_DIR = "boundaries"

DEMO_GENERATE = audit.register("demo_generate", "generated the demo city")
DEMO_REGISTRY = audit.register("demo_registry", "generated the demo registry")
DEMO_EVENTS = audit.register("demo_events", "generated the demo events")

UNSCOPED_DEMO = "demo: the generator builds and clears the whole territory"


class DemoError(RuntimeError):
    """The demo city cannot be built from what is in the database or the data directory."""


@dataclass
class DemoReport:
    """What ``generate_demo_city`` did."""

    created: bool
    scale: float
    seed: int
    counts: dict = field(default_factory=dict)
    reset: bool = False
    seconds: float = 0.0


# ---------------------------------------------------------------------------------------------
# the real divisions


@transaction.atomic
def load_wuzhong_divisions(*, actor, data_dir: Path | str = DEFAULT_DATA_DIR) -> list:
    """Import the shipped divisions (``divisions_2016.csv``) and the city and county outlines
    (``boundaries/*.json``, GCJ-02) through the territory's own import actions, unless they are
    already there. Returns the import reports, empty when nothing needed importing."""
    data_dir = Path(data_dir)
    csv_path = data_dir / DIVISIONS_FILE
    if not csv_path.is_file():
        raise DemoError(
            _("%(path)s is missing: pass the directory of the Wuzhong data with --data") % {"path": csv_path}
        )
    reports = []
    if not Division.objects.filter(level=DivisionLevel.VILLAGE).exists():
        reports.append(geo_actions.import_divisions(csv_path, actor=actor, datum="gcj02"))
    lacking = Division.objects.filter(
        level__in=[DivisionLevel.CITY, DivisionLevel.COUNTY], outline__isnull=True
    ).order_by("code")
    for division in lacking:
        path = data_dir / BOUNDARIES_DIR / f"{division.code[:6]}.json"
        if path.is_file():
            reports.append(geo_actions.import_outlines(path, actor=actor, datum="gcj02"))
    return reports


# ---------------------------------------------------------------------------------------------
# generating


def _plan_inputs() -> tuple[Division, list[County], list[Township], list[Village]]:
    # Counties that have villages; found by id first, so the outlines are not dragged through a DISTINCT.
    with_villages = set(
        Division.objects.filter(level=DivisionLevel.VILLAGE).values_list("parent__parent_id", flat=True)
    )
    counties = list(
        Division.objects.filter(level=DivisionLevel.COUNTY, pk__in=with_villages).order_by("code")
    )
    if not counties:
        raise DemoError(_("there are no counties with villages: import the divisions first"))
    cities = list(Division.objects.defer("outline").filter(pk__in={c.parent_id for c in counties}))
    if len(cities) != 1 or cities[0].level != DivisionLevel.CITY:
        raise DemoError(_("the demo city needs counties under one city"))
    city = cities[0]
    county_inputs = []
    for county in counties:
        if county.outline is None:
            raise DemoError(
                _("county %(county)s has no outline: import it with `fengqiao import_outlines --datum gcj02`")
                % {"county": county}
            )
        try:
            outline = parse_area(county.outline)
        except GeometryError as exc:
            raise DemoError(
                _("the outline of %(county)s: %(reason)s") % {"county": county, "reason": exc}
            ) from None
        if outline.geom_type != "Polygon":
            raise DemoError(_("the outline of %(county)s has several parts") % {"county": county})
        county_inputs.append(County(county.code[:6], county.name, outline))
    townships = [
        Township(t.code, t.name, (t.lon, t.lat) if t.lon is not None and t.lat is not None else None)
        for t in Division.objects.filter(level=DivisionLevel.TOWN, parent__in=counties)
        .defer("outline")
        .order_by("code")
    ]
    villages = [
        Village(v.code, v.name, v.urban_rural_code)
        for v in Division.objects.filter(level=DivisionLevel.VILLAGE, parent__parent__in=counties)
        .defer("outline")
        .order_by("code")
    ]
    return city, county_inputs, townships, villages


# ---------------------------------------------------------------------------------------------
# writing


def _may_generate(actor) -> bool:
    return bool(actor and actor.is_authenticated and actor.is_superuser)


def _clear_territory() -> dict:
    """Remove the registry, the police tree, its grids and every posting into it. Staff accounts
    stay (the audit log may name them); the generator updates or deactivates them."""
    _clear_events()
    _clear_registry()
    postings, _by_model = Posting.objects.all().delete()
    grids, _by_model = Grid.objects.unscoped(reason=UNSCOPED_DEMO).delete()
    units = 0
    for kind in (UnitKind.DISTRICT, UnitKind.STATION, UnitKind.COUNTY, UnitKind.CITY):
        deleted, _by_model = PoliceUnit.objects.filter(kind=kind).delete()
        units += deleted
    return {"postings": postings, "grids": grids, "units": units}


def _create_units(plan: CityPlan, city: Division) -> tuple[PoliceUnit, dict, dict, dict]:
    divisions = {
        d.code: d
        for d in Division.objects.filter(
            code__in=[c.code + "000000" for c in plan.counties]
            + [t for s in plan.stations for t in s.township_codes]
        ).only("pk", "code")
    }
    city_unit = PoliceUnit(
        kind=UnitKind.CITY, code=city.code[:6], name=names.city_bureau_name(city.name), division=city
    )
    city_unit.save()
    county_units = PoliceUnit.objects.bulk_create(
        [
            PoliceUnit(
                kind=UnitKind.COUNTY,
                code=c.code,
                name=names.county_bureau_name(c.name),
                parent=city_unit,
                path=f"{city_unit.path}/{c.code}",
                division=divisions[c.code + "000000"],
            )
            for c in plan.counties
        ]
    )
    by_county = {u.code: u for u in county_units}
    station_units = PoliceUnit.objects.bulk_create(
        [
            PoliceUnit(
                kind=UnitKind.STATION,
                code=s.code,
                name=s.name,
                parent=by_county[s.county_code],
                path=f"{by_county[s.county_code].path}/{s.code}",
                division=divisions[s.township_code],
            )
            for s in plan.stations
        ]
    )
    by_station = {u.code: u for u in station_units}
    district_units = PoliceUnit.objects.bulk_create(
        [
            PoliceUnit(
                kind=UnitKind.DISTRICT,
                code=d.code,
                name=d.name,
                parent=by_station[d.station_code],
                path=f"{by_station[d.station_code].path}/{d.code}",
            )
            for d in plan.districts
        ]
    )
    by_district = {u.code: u for u in district_units}
    return city_unit, by_county, by_station, by_district


def _create_grids(plan: CityPlan, by_district: dict[str, PoliceUnit]) -> dict[str, Grid]:
    used = {g.village_code for g in plan.grids}
    villages = {d.code: d for d in Division.objects.filter(code__in=used).only("pk", "code")}
    rows = []
    for g in plan.grids:
        district = by_district[g.district_code]
        lon, lat, area = measures(g.geometry)
        rows.append(
            Grid(
                code=g.code,
                name=g.name,
                community=villages[g.village_code],
                district=district,
                geometry=to_geojson(g.geometry),
                centroid_lon=lon,
                centroid_lat=lat,
                area_km2=area,
                scope_path=f"{district.path}/{g.code}",
            )
        )
    Grid.objects.bulk_create(rows, batch_size=500)
    return {g.code: g for g in rows}


def _save_village_outlines(plan: CityPlan) -> None:
    villages = list(Division.objects.filter(code__in=list(plan.village_outlines)).only("pk", "code"))
    for village in villages:
        village.outline = to_geojson(plan.village_outlines[village.code])
    Division.objects.bulk_update(villages, ["outline"], batch_size=500)


@dataclass(frozen=True)
class _Post:
    username: str
    role: str
    unit: PoliceUnit | None = None
    grid: Grid | None = None
    superuser: bool = False


def _posts(plan, city_unit, by_county, by_station, by_district, grids) -> list[_Post]:
    first_station = plan.stations[0].code
    first_district = plan.districts[0].code
    fixed_for = {
        ("station", first_station): DemoAccount.STATION,
        ("district", first_district): DemoAccount.OFFICER,
        ("grid", plan.demo_grid_code): DemoAccount.GRID,
        ("grid", plan.neighbour_grid_code): DemoAccount.GRID2,
    }
    posts = [
        _Post(DemoAccount.ADMIN, Role.CITY_COMMAND, superuser=True),
        _Post(DemoAccount.CITY, Role.CITY_COMMAND, unit=city_unit),
    ]
    posts += [_Post(county_username(code), Role.COUNTY_BUREAU, unit=unit) for code, unit in by_county.items()]
    posts += [
        _Post(fixed_for.get(("station", code), station_username(code)), Role.STATION, unit=unit)
        for code, unit in by_station.items()
    ]
    posts += [
        _Post(fixed_for.get(("district", code), officer_username(code)), Role.COMMUNITY_OFFICER, unit=unit)
        for code, unit in by_district.items()
    ]
    posts += [
        _Post(fixed_for.get(("grid", code), grid_worker_username(code)), Role.GRID_WORKER, grid=grid)
        for code, grid in grids.items()
    ]
    posts.append(_Post(DemoAccount.VOLUNTEER, Role.VOLUNTEER))  # posted nowhere: a team's member
    posts.append(_Post(DemoAccount.RESIDENT, Role.RESIDENT))
    return posts


def _staff(plan: CityPlan, posts: list[_Post]) -> int:
    """Create or update one account per post, all with the demo password (hashed once), and post
    them. Earlier demo staff whose post is gone are deactivated, not deleted: the audit log may
    name them. Returns how many accounts were deactivated."""
    password = make_password(DEMO_PASSWORD)
    existing = {u.username: u for u in User.objects.filter(username__in=[p.username for p in posts])}
    to_create, to_update, users = [], [], {}
    for post in posts:
        user = existing.get(post.username) or User(username=post.username)
        user.password = password
        user.role = post.role
        user.full_name = names.person_name(seeded(plan.seed, "person", post.username))
        user.is_active = True
        user.is_superuser = user.is_staff = post.superuser
        (to_update if user.pk else to_create).append(user)
        users[post.username] = user
    User.objects.bulk_create(to_create, batch_size=500)
    User.objects.bulk_update(
        to_update, ["password", "role", "full_name", "is_active", "is_superuser", "is_staff"]
    )
    # bulk_create skips save(): a stored copy of the posted node's path is set here, if the model keeps one.
    stores_path = any(f.name == "path" for f in Posting._meta.concrete_fields)
    postings = []
    for p in posts:
        if p.unit is None and p.grid is None:
            continue
        posting = Posting(user=users[p.username], unit=p.unit, grid=p.grid)
        if stores_path:
            posting.path = p.grid.scope_path if p.grid is not None else p.unit.path
        postings.append(posting)
    Posting.objects.bulk_create(postings, batch_size=500)
    stale = User.objects.filter(is_active=True, is_superuser=False).exclude(username__in=list(users))
    stale_ids = [u.pk for u in stale.only("pk", "username") if GENERATED_USERNAME.match(u.username)]
    return User.objects.filter(pk__in=stale_ids).update(is_active=False)


@transaction.atomic
def generate_demo_city(
    *, actor, scale: float = DEFAULT_SCALE, seed: int = DEFAULT_SEED, reset: bool = False
) -> DemoReport:
    """Build the demo city from the divisions in the database: police units, grids, village
    outlines, one account per post and the eight demo accounts, in one transaction with one
    audit entry. If a police tree already exists, nothing changes unless ``reset`` is set, in
    which case the tree, its grids and all postings are removed first."""
    if not _may_generate(actor):
        raise PermissionDenied(_("Only a superuser may generate the demo city."))
    started = time.perf_counter()
    if PoliceUnit.objects.exists() and not reset:
        return DemoReport(created=False, scale=scale, seed=seed)
    cleared = _clear_territory() if reset else {}
    city, counties, townships, villages = _plan_inputs()
    try:
        plan = plan_city(counties, townships, villages, scale=scale, seed=seed)
    except PlanError as exc:
        raise DemoError(str(exc)) from exc
    city_unit, by_county, by_station, by_district = _create_units(plan, city)
    grids = _create_grids(plan, by_district)
    _save_village_outlines(plan)
    posts = _posts(plan, city_unit, by_county, by_station, by_district, grids)
    deactivated = _staff(plan, posts)
    counts = {
        **plan.counts(),
        "staff": sum(1 for p in posts if p.unit is not None or p.grid is not None),
        "accounts": len(posts),
    }
    audit.record(
        DEMO_GENERATE,
        city_unit,
        actor=actor,
        after={
            "scale": scale,
            "seed": seed,
            "counts": counts,
            "reset": reset,
            "cleared": cleared,
            "deactivated": deactivated,
            "grid": plan.demo_grid_code,
            "grid2": plan.neighbour_grid_code,
        },
    )
    return DemoReport(
        created=True,
        scale=scale,
        seed=seed,
        counts=counts,
        reset=reset,
        seconds=time.perf_counter() - started,
    )


# ---------------------------------------------------------------------------------------------
# the registry (一标三实)

# The registry's tables in the order their rows can be written (foreign keys point backwards).
REGISTRY_MODELS: dict[str, type[models.Model]] = {
    "address": Address,
    "person": Person,
    "house": House,
    "organisation": Organisation,
    "residence": Residence,
    "employment": Employment,
    "care_tag": CareTag,
}
UNSCOPED_REGISTRY = "demo: the generator fills and clears the whole registry"


@dataclass
class RegistryReport:
    """What ``generate_demo_registry`` did."""

    created: bool
    scale: float
    seed: int
    today: dt.date | None = None
    counts: dict = field(default_factory=dict)
    reset: bool = False
    seconds: float = 0.0


def registry_exists() -> bool:
    """Whether any address, person, house or organisation is on record (generated or not)."""
    return any(
        model.objects.unscoped(reason=UNSCOPED_REGISTRY).exists()
        for model in (Person, Address, House, Organisation)
    )


def _clear_registry() -> dict:
    """Remove every registry row, its record history and import batches: the demo data is rebuilt
    wholesale. Refused (ProtectedError, as an ORM delete would) while rows of other apps refer to
    registry records. Hundreds of thousands of rows, so no ORM: plain DELETEs, children first, on
    SQLite with the secondary indexes set aside meanwhile."""
    cleared_models = [*REGISTRY_MODELS.values(), RecordHistory, ImportBatch]
    for model in cleared_models:
        for relation in model._meta.related_objects:
            other = relation.related_model
            if other in cleared_models:
                continue
            manager = other._default_manager
            qs = manager.unscoped(reason=UNSCOPED_REGISTRY) if hasattr(manager, "unscoped") else manager.all()
            blockers = list(qs.filter(**{f"{relation.field.name}__isnull": False})[:1])
            if blockers:
                raise models.ProtectedError(
                    f"rows of {other._meta.label} refer to {model._meta.label}", set(blockers)
                )
    order = [RecordHistory, CareTag, Employment, Residence, Organisation, House, Person, Address, ImportBatch]
    tables = [connection.ops.quote_name(model._meta.db_table) for model in order]
    with connection.cursor() as cursor:
        cleared = {}
        for model, table in zip(order, tables, strict=True):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            cleared[model._meta.model_name] = cursor.fetchone()[0]
        if not any(cleared.values()):
            return cleared
        if connection.vendor == "postgresql":
            # Not TRUNCATE: PostgreSQL refuses it on tables other apps' foreign keys point at
            # (events, disputes), even when no row of theirs refers to a registry record.
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
            return cleared
        indexes = [ix for model in order for ix in secondary_indexes(model._meta.db_table)]
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")
        for _name, sql in indexes:
            cursor.execute(sql)
    return cleared


def _grid_sites() -> list[demo_registry.GridSite]:
    """The grids to fill, with their village, township and county names and the grid worker
    posted there (who is recorded as having collected the grid's records). The grids of the demo
    accounts ``grid`` and ``grid2`` are showcases: each kind of floating-population duty shows there."""
    collectors: dict[int, int] = {}
    showcases: set[int] = set()
    for grid_id, user_id, username in (
        Posting.objects.filter(grid__isnull=False, user__is_active=True)
        .order_by("grid_id", "user_id")
        .values_list("grid_id", "user_id", "user__username")
    ):
        collectors.setdefault(grid_id, user_id)
        if username in (DemoAccount.GRID, DemoAccount.GRID2):
            showcases.add(grid_id)
    rows = list(
        Grid.objects.unscoped(reason=UNSCOPED_REGISTRY)
        .filter(is_active=True)
        .order_by("code")
        .values_list(
            "pk",
            "code",
            "scope_path",
            "geometry",
            "community_id",
            "community__name",
            "community__parent__name",
            "community__parent__parent__name",
            "community__urban_rural_code",
        )
    )
    communities = (
        Division.objects.select_related("parent")
        .defer("outline", "parent__outline")
        .in_bulk({row[4] for row in rows})
    )
    return [
        demo_registry.GridSite(
            pk=pk,
            code=code,
            scope_path=path,
            polygon=shape(geometry),
            community_pk=community,
            community=communities[community],
            village_name=village,
            township_name=township or "",
            county_name=county or "",
            urban_rural_code=ur or "",
            collector_pk=collectors.get(pk),
            showcase=pk in showcases,
        )
        for pk, code, path, geometry, community, village, township, county, ur in rows
    ]


class _Records:
    """The planned rows as records, their derived columns (scope, full address, pinyin keys) made
    by the models' ``refresh_derived`` as the importer's are, written with the import path's
    ``copy_in`` every ``CHUNK`` rows, in the order their foreign keys need."""

    CHUNK = 20_000

    def __init__(self, sites: list[demo_registry.GridSite]):
        self.grids = (
            Grid.objects.unscoped(reason=UNSCOPED_REGISTRY).defer("geometry").in_bulk([s.pk for s in sites])
        )
        self.communities = {s.community_pk: s.community for s in sites}
        self.pending: dict[str, list] = {key: [] for key in REGISTRY_MODELS}
        self.written = dict.fromkeys(REGISTRY_MODELS, 0)

    def add(self, rows: dict[str, list[dict]]) -> None:
        made: dict[str, dict] = {}
        parents = {"residence": "house", "employment": "organisation", "care_tag": "person"}
        for key, model in REGISTRY_MODELS.items():
            parent = made.get(parents.get(key, ""))
            objs = made[key] = {}
            for row in rows[key]:
                obj = objs[row["id"]] = model(**row)
                if parent is not None:  # a relation lies where its house, organisation or person does
                    setattr(obj, parents[key], parent[getattr(obj, f"{parents[key]}_id")])
                else:
                    obj.grid = self.grids[obj.grid_id]
                if key == "address":
                    obj.community = self.communities[obj.community_id]
                obj.refresh_derived()
            self.pending[key].extend(objs.values())
        if max(len(objs) for objs in self.pending.values()) >= self.CHUNK:
            self.flush()

    def flush(self) -> dict[str, int]:
        for key, objs in self.pending.items():
            copy_in(objs)
            self.written[key] += len(objs)
            objs.clear()
        return dict(self.written)


def _first_free_ids() -> dict[str, int]:
    return {
        key: (model.objects.unscoped(reason=UNSCOPED_REGISTRY).aggregate(m=Max("pk"))["m"] or 0) + 1
        for key, model in REGISTRY_MODELS.items()
    }


@transaction.atomic
def generate_demo_registry(
    *,
    actor,
    scale: float = DEFAULT_REGISTRY_SCALE,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
    reset: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RegistryReport:
    """Fill the registry of the demo city: addresses, people, houses, organisations and their
    relations at ``scale`` of the article's city (1.0 = 733,000 people, 162,000 houses, 6,000
    organisations), with collection dates over the 24 months up to ``today`` (default: today).
    One transaction, one audit entry. If the registry holds anything, nothing changes unless
    ``reset`` is set, in which case it is emptied first. ``progress(done, total)`` is called as
    grids are filled."""
    if not _may_generate(actor):
        raise PermissionDenied(_("Only a superuser may generate the demo city."))
    started = time.perf_counter()
    today = today or timezone.localdate()
    if registry_exists() and not reset:
        return RegistryReport(created=False, scale=scale, seed=seed, today=today)
    cleared = _clear_registry() if reset else {}
    sites = _grid_sites()
    if not sites:
        raise DemoError(_("there are no grids to fill: generate the city first"))
    # The tables are empty (or just emptied): their indexes are built once, at the end.
    with bulk_load(REGISTRY_MODELS.values(), defer_indexes=True):
        records = _Records(sites)
        try:
            plan = demo_registry.plan_registry(
                sites, scale=scale, seed=seed, today=today, first_ids=_first_free_ids()
            )
            for done, grid_rows in enumerate(plan, start=1):
                records.add(grid_rows.rows)
                if progress is not None:
                    progress(done, len(sites))
        except demo_registry.PlanError as exc:
            raise DemoError(str(exc)) from exc
        counts = records.flush()
    audit.record(
        DEMO_REGISTRY,
        actor=actor,
        object_type="registry",
        object_repr="demo registry",
        after={
            "scale": scale,
            "seed": seed,
            "today": today.isoformat(),
            "counts": counts,
            "reset": reset,
            "cleared": cleared,
        },
    )
    return RegistryReport(
        created=True,
        scale=scale,
        seed=seed,
        today=today,
        counts=counts,
        reset=reset,
        seconds=time.perf_counter() - started,
    )


# ---------------------------------------------------------------------------------------------
# the events of the closed loop

UNSCOPED_EVENTS = "demo: the generator fills and clears every event"
EVENT_PREFIX = EVENT_WORKFLOW.prefix


@dataclass
class EventsReport:
    """What ``generate_demo_events`` did."""

    created: bool
    scale: float
    seed: int
    counts: dict = field(default_factory=dict)
    reset: bool = False
    seconds: float = 0.0


def events_exist() -> bool:
    return Event.objects.unscoped(reason=UNSCOPED_EVENTS).exists()


def _clear_events() -> dict:
    """Remove every event, its timeline, attachments and number counters: the demo's events are
    rebuilt wholesale. Refused (ProtectedError) while rows of other apps refer to events."""
    for relation in Event._meta.related_objects:
        other = relation.related_model
        if other in (Event, Attachment):
            continue
        manager = other._default_manager
        qs = manager.unscoped(reason=UNSCOPED_EVENTS) if hasattr(manager, "unscoped") else manager.all()
        blockers = list(qs.filter(**{f"{relation.field.name}__isnull": False})[:1])
        if blockers:
            raise models.ProtectedError(f"rows of {other._meta.label} refer to events", set(blockers))
    for attachment in Attachment.objects.all():
        attachment.file.delete(save=False)
    attachments, _by_model = Attachment.objects.all().delete()
    timeline, _by_model = TimelineEntry.objects.filter(case_type=EVENT_WORKFLOW.case_type).delete()
    CaseCounter.objects.filter(prefix=EVENT_PREFIX).delete()
    table = connection.ops.quote_name(Event._meta.db_table)
    with connection.cursor() as cursor:
        # duplicates point at their originals (PROTECT): one statement removes both, no ORM collector
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        events = cursor.fetchone()[0]
        cursor.execute(f"UPDATE {table} SET duplicate_of_id = NULL WHERE duplicate_of_id IS NOT NULL")
        cursor.execute(f"DELETE FROM {table}")
    return {"events": events, "timeline": timeline, "attachments": attachments}


def _event_sites() -> list[demo_events.GridSite]:
    """The grids with who works their events, and which of them the demo accounts look at."""
    first_at: dict[str, User] = {}
    accounts: dict[str, str] = {}
    for username, user_id, grid_path, unit_path in (
        Posting.objects.filter(user__is_active=True)
        .order_by("user_id")
        .values_list("user__username", "user_id", "grid__scope_path", "unit__path")
    ):
        path = grid_path or unit_path
        first_at.setdefault(path, User(pk=user_id, username=username))
        accounts[username] = path
    showcase = {accounts.get(DemoAccount.GRID), accounts.get(DemoAccount.GRID2)}
    rows = list(
        Grid.objects.unscoped(reason=UNSCOPED_EVENTS)
        .filter(is_active=True)
        .order_by("code")
        .values_list("pk", "code", "name", "scope_path", "geometry", "community__urban_rural_code")
    )
    # The officer's district and the station's station get a showcase grid too, if they have none.
    for account in (DemoAccount.OFFICER, DemoAccount.STATION):
        unit = accounts.get(account)
        if unit and not any(p and is_below(p, unit) for p in showcase):
            first = next((r[3] for r in rows if is_below(r[3], unit)), None)
            showcase.add(first)
    sites = []
    for pk, code, name, path, geometry, urban in rows:
        parts = path.split("/")
        sites.append(
            demo_events.GridSite(
                pk=pk,
                code=code,
                name=name,
                scope_path=path,
                polygon=shape(geometry),
                urban_rural_code=urban or "",
                worker=first_at.get(path),
                officer=first_at.get("/".join(parts[:4])),
                chief=first_at.get("/".join(parts[:3])),
                showcase=path in showcase,
            )
        )
    return sites


def _max_id(model) -> int:
    manager = model._default_manager
    qs = manager.unscoped(reason=UNSCOPED_EVENTS) if hasattr(manager, "unscoped") else manager.all()
    return (qs.aggregate(m=Max("pk"))["m"] or 0) + 1


@transaction.atomic
def generate_demo_events(
    *,
    actor,
    scale: float = DEFAULT_EVENTS_SCALE,
    seed: int = DEFAULT_SEED,
    now: dt.datetime | None = None,
    reset: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> EventsReport:
    """Two years of events up to ``now`` in the demo city (see :mod:`fengqiao.demo.events`) at
    ``scale`` of a realistic rate (1.0 = 100 events a grid a year), with their timelines and the
    number counters, after loading the bundled categories. One transaction, one audit entry.
    If there are events, nothing changes unless ``reset`` is set, in which case they go first.
    ``progress(done, total)`` is called month by month."""
    if not _may_generate(actor):
        raise PermissionDenied(_("Only a superuser may generate the demo city."))
    started = time.perf_counter()
    now = now or timezone.now()
    now = timezone.localtime(now)
    if events_exist() and not reset:
        return EventsReport(created=False, scale=scale, seed=seed)
    cleared = _clear_events() if reset else {}
    sites = _event_sites()
    if not sites:
        raise DemoError(_("there are no grids to fill: generate the city first"))
    load_categories(json.loads(CATEGORIES_FILE.read_text(encoding="utf-8")), actor=actor)
    resident = User.objects.filter(username=DemoAccount.RESIDENT, is_active=True).first()
    try:
        plan = demo_events.plan_events(
            sites,
            list(Category.objects.filter(active=True)),
            scale=scale,
            seed=seed,
            now=now,
            first_id=_max_id(Event),
            resident=resident,
        )
    except demo_events.PlanError as exc:
        raise DemoError(str(exc)) from exc
    # Counters of days without events are no use; the generated days get theirs below.
    CaseCounter.objects.filter(prefix=EVENT_PREFIX).delete()
    with workcalendar.pinned(), bulk_load([Event, TimelineEntry], defer_indexes=not events_exist()):
        for done, chunk in enumerate(plan.chunks, start=1):
            copy_in(chunk["event"])
            copy_in(chunk["timeline"])
            if progress is not None:
                progress(done, demo_events.MONTHS)
    counters = plan.numbers.save()
    counts = {**plan.counts, "counters": counters}
    audit.record(
        DEMO_EVENTS,
        actor=actor,
        object_type="events",
        object_repr="demo events",
        after={
            "scale": scale,
            "seed": seed,
            "now": now.isoformat(),
            "counts": counts,
            "reset": reset,
            "cleared": cleared,
        },
    )
    return EventsReport(
        created=True,
        scale=scale,
        seed=seed,
        counts=counts,
        reset=reset,
        seconds=time.perf_counter() - started,
    )
