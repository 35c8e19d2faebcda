"""Reads behind the registry's pages, built on the registry's own selectors and search (always
scoped): the lists with their filters, what each record page shows, its history in words."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core.context import Source
from fengqiao.core.scoping import scope_prefixes
from fengqiao.geo.models import Grid, PoliceUnit
from fengqiao.registry import history as registry_history
from fengqiao.registry import search, selectors, stats
from fengqiao.registry.choices import SpecialTrade
from fengqiao.registry.models import Address, House, Organisation, Person
from fengqiao.web.registry import rules

# How many care-tagged people a tag filter reads at most (each read is one audit entry).
TAG_FILTER_LIMIT = 2000

URL_NAMES = {
    Person: "registry_person",
    Address: "registry_address",
    House: "registry_house",
    Organisation: "registry_organisation",
    Grid: "grid_detail",
}


def record_url(obj) -> str:
    name = URL_NAMES.get(type(obj))
    if name is None:
        return ""
    return reverse(name, args=[obj.code if isinstance(obj, Grid) else obj.pk])


# ---------------------------------------------------------------------------------------------
# lists


@dataclass
class Listing:
    """A list page's records (paginated as they are) and what the search said about the query."""

    records: object
    notice: str = ""


def filtered(slug: str, user, filters: dict) -> Listing:
    """The records of a list page: the filters narrow, the search box searches, the scope bounds."""
    query = filters.get("q", "")
    retired = bool(filters.get("retired"))
    grid = filters.get("grid")
    if slug == "person":
        people = Person.objects.all()
        if grid is not None:
            people = people.filter(grid=grid)
        if filters.get("resident_type"):
            people = people.filter(resident_type=filters["resident_type"])
        if filters.get("tag"):
            # Who carries a care tag is itself care-tag data: read through the audited selector.
            tags = selectors.care_tagged_people(user, kind=filters["tag"], limit=TAG_FILTER_LIMIT)
            people = people.filter(pk__in=[t.person_id for t in tags])
        results = search.search_people(user, query, queryset=people, include_retired=retired)
    elif slug == "address":
        addresses = Address.objects.all()
        if grid is not None:
            addresses = addresses.filter(grid=grid)
        results = search.search_addresses(user, query, queryset=addresses, include_retired=retired)
    elif slug == "house":
        houses = House.objects.all()
        if grid is not None:
            houses = houses.filter(grid=grid)
        if filters.get("use"):
            houses = houses.filter(use=filters["use"])
        if filters.get("rented"):
            houses = houses.filter(is_rented=filters["rented"] == "yes")
        results = search.search_houses(user, query, queryset=houses, include_retired=retired)
    elif slug == "organisation":
        organisations = Organisation.objects.all()
        if grid is not None:
            organisations = organisations.filter(grid=grid)
        if filters.get("org_type"):
            organisations = organisations.filter(org_type=filters["org_type"])
        if filters.get("trade"):
            organisations = organisations.filter(**{filters["trade"]: True})
        results = search.search_organisations(user, query, queryset=organisations, include_retired=retired)
    else:
        raise ValueError(f"unknown record kind {slug!r}")
    return Listing(results, results.notice)


@dataclass
class Everything:
    """The registry's search box over every kind at once."""

    people: list = field(default_factory=list)
    addresses: list = field(default_factory=list)
    houses: list = field(default_factory=list)
    organisations: list = field(default_factory=list)
    notice: str = ""

    @property
    def empty(self) -> bool:
        return not (self.people or self.addresses or self.houses or self.organisations)


def search_everything(user, query: str, *, limit: int = 10) -> Everything:
    """People by whatever the query is (ID number, phone, name, pinyin, address); addresses,
    houses and organisations when it reads as text or a code."""
    people = search.search_people(user, query)
    found = Everything(people=list(people[:limit]), notice=people.notice)
    compact = query.replace(" ", "")
    code_like = len(compact) >= 12 and compact.isalnum() and people.key != search.Key.ID_NUMBER
    if people.key in (search.Key.ADDRESS, search.Key.NAME) or code_like:
        found.addresses = list(search.search_addresses(user, query)[:limit])
        found.houses = list(search.search_houses(user, query)[:limit])
    if people.key in (search.Key.ADDRESS, search.Key.NAME, search.Key.PHONE) or code_like:
        found.organisations = list(search.search_organisations(user, query)[:limit])
    return found


# ---------------------------------------------------------------------------------------------
# a record's page


@dataclass
class Fact:
    """One line of a record page: a field's label and its value as this user may see it."""

    label: str
    value: object
    name: str = ""
    url: str = ""
    masked: bool = False  # shown masked: the page marks it, and offers "reveal" when ``reveal``
    reveal: bool = False
    mono: bool = False


_HIDDEN = {
    *("id", "scope_path", "name_pinyin", "name_initials", "retired_at", "created_at", "updated_at"),
    *("match_key", "id_number_hash", "phone_hash"),  # keys the system finds records by, not facts
}
_MONO = {"id_number", "phone", "code", "credit_code", "legal_representative_id", "document_number"}


def _display(user, record, f: models.Field):
    value = getattr(record, f.name)
    if value is None or value == "":
        return None, ""
    if f.choices:
        return getattr(record, f"get_{f.name}_display")(), ""
    if isinstance(f, models.BooleanField):
        return (_("yes") if value else _("no")), ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M"), ""
    if isinstance(value, dt.date):
        return value.isoformat(), ""
    if isinstance(f, models.ForeignKey):
        if hasattr(value, "is_visible_to") and not value.is_visible_to(user):
            return _("recorded, outside your scope"), ""
        text = value.full_text if isinstance(value, Address) else str(value)
        return text, record_url(value)
    return value, ""


def _iso(value) -> str:
    return value.isoformat() if value else ""


def facts(user, record, names: list[str]) -> list[Fact]:
    """The named fields of a record, labelled, with ID numbers and phones as the user may see them."""
    out = []
    for name in names:
        f = record._meta.get_field(name)
        if name in ("id_number", "phone", "legal_representative_id") and isinstance(
            record, Person | Organisation
        ):
            raw = getattr(record, name)
            if not raw:
                out.append(Fact(f.verbose_name, None, name=name))
                continue
            whole = rules.shown(user, name, raw)
            reveal = isinstance(record, Person) and whole != raw and rules.may_reveal(user, record)
            out.append(Fact(f.verbose_name, whole, name=name, masked=whole != raw, reveal=reveal, mono=True))
            continue
        if name == "birth_date" and isinstance(record, Person):
            # Masked roles see the year: the date beside a masked ID number narrows it to a few.
            shown = selectors.shown_birth_date(user, record.birth_date)
            out.append(
                Fact(f.verbose_name, shown or None, name=name, masked=shown != _iso(record.birth_date))
            )
            continue
        value, url = _display(user, record, f)
        out.append(Fact(f.verbose_name, value, name=name, url=url, mono=name in _MONO))
    return out


def other_fields(record, listed: list[str]) -> list[str]:
    """Fields of the model not listed on its page yet: every field shows somewhere."""
    return [
        f.name
        for f in record._meta.concrete_fields
        if f.name not in listed and f.name not in _HIDDEN and not f.name.endswith("_ptr")
    ]


PERSON_SECTIONS = [
    (
        "identity",
        ["id_number", "name", "former_name", "sex", "birth_date", "ethnicity", "native_place", "phone"],
    ),
    ("residence", ["resident_type", "current_address", "grid", "hukou_address"]),
    (
        "floating",
        ["reason_for_coming", "residence_permit_number", "residence_permit_expires", "registered_on"],
    ),
    ("overseas", ["nationality", "document_type", "document_number", "entry_date", "planned_exit_date"]),
    ("life", ["marital_status", "education", "occupation", "workplace"]),
    ("collection", ["collected_at", "collected_by"]),
]
ADDRESS_FACTS = [
    *("code", "element_type", "community", "street", "compound", "door_plate", "building", "unit", "room"),
    *("grid", "lon", "lat", "in_use", "collected_at", "collected_by"),
]
HOUSE_FACTS = [
    *("address", "use", "ownership", "owner", "area_m2", "rooms", "is_rented", "landlord", "occupant_count"),
    *("grid", "collected_at", "collected_by"),
]
ORGANISATION_FACTS = [
    *("credit_code", "name", "org_type", "industry", "phone", "legal_representative"),
    *("legal_representative_id", "address", "grid", "collected_at", "collected_by"),
]


def person_context(user, person: Person) -> dict:
    listed = [n for _s, names in PERSON_SECTIONS for n in names]
    sections = {key: facts(user, person, names) for key, names in PERSON_SECTIONS}
    sections["other"] = facts(user, person, other_fields(person, listed))
    residences = list(
        selectors.residences_of_person(user, person)
        .select_related("house__address")
        .order_by(models.F("end_date").desc(nulls_first=True), "-start_date", "-id")
    )
    employments = list(
        selectors.employments_of_person(user, person).order_by(
            models.F("end_date").desc(nulls_first=True), "-start_date", "-id"
        )
    )
    owned = list(
        House.objects.visible_to(user)
        .filter(models.Q(owner=person) | models.Q(landlord=person), retired_at__isnull=True)
        .select_related("address")
    )
    may_tags = rules.may_view_care_tags(user)
    return {
        "sections": sections,
        "residences": residences,
        "employments": employments,
        "houses_owned": owned,
        "may_view_care_tags": may_tags,
        "care_tags": selectors.care_tags_for(user, person, include_removed=True) if may_tags else None,
        "hukou_consistent": person.hukou_consistent,
        "can_reveal": rules.may_reveal(user, person),
        "today": dt.date.today(),
    }


def address_context(user, address: Address) -> dict:
    house = House.objects.visible_to(user).filter(address=address).first()
    residents = list(
        selectors.people_visible_to(user).filter(current_address=address).order_by("name_pinyin", "id")
    )
    organisations = list(selectors.organisations_visible_to(user).filter(address=address))
    return {
        "facts": facts(user, address, ADDRESS_FACTS + other_fields(address, ADDRESS_FACTS + ["full_text"])),
        "house": house,
        "residents": residents,
        "organisations": organisations,
    }


def house_context(user, house: House) -> dict:
    residences = list(
        selectors.residents_of_house(user, house, current_only=False).order_by(
            models.F("end_date").desc(nulls_first=True), "-start_date", "-id"
        )
    )
    return {
        "facts": facts(user, house, HOUSE_FACTS + other_fields(house, HOUSE_FACTS)),
        "current": [r for r in residences if r.end_date is None],
        "past": [r for r in residences if r.end_date is not None],
    }


def organisation_context(user, organisation: Organisation) -> dict:
    staff = list(
        selectors.staff_of_organisation(user, organisation, current_only=False).order_by(
            models.F("end_date").desc(nulls_first=True), "person__name_pinyin", "id"
        )
    )
    listed = ORGANISATION_FACTS + [trade.value for trade in SpecialTrade]
    return {
        "facts": facts(user, organisation, ORGANISATION_FACTS + other_fields(organisation, listed)),
        "current_staff": [e for e in staff if e.end_date is None],
        "past_staff": [e for e in staff if e.end_date is not None],
    }


def detail_context(slug: str, user, record) -> dict:
    return {
        "person": person_context,
        "address": address_context,
        "house": house_context,
        "organisation": organisation_context,
    }[slug](user, record)


# ---------------------------------------------------------------------------------------------
# history in words


@dataclass
class Change:
    label: str
    before: object
    after: object


@dataclass
class HistoryLine:
    version: int
    when: dt.datetime
    who: str
    source: str
    action: str
    reason: str
    batch: object
    changes: list[Change]


SOURCE_LABELS = {
    Source.WEB: gettext_lazy("pages"),
    Source.API: gettext_lazy("API"),
    Source.CLI: gettext_lazy("command line"),
    Source.IMPORT: gettext_lazy("import"),
    Source.WORKER: gettext_lazy("background task"),
}


def _field_by_attname(model, attname: str):
    for f in model._meta.concrete_fields:
        if f.attname == attname or f.name == attname:
            return f
    return None


def _resolver(user, model, rows):
    """Turn stored values (foreign keys as ids, choices as codes) into what a person reads; a
    referenced record outside the user's scope shows as such, never by name."""
    wanted: dict[type, set] = {}
    for row in rows:
        for name in row.changed_fields:
            f = _field_by_attname(model, name)
            if isinstance(f, models.ForeignKey):
                for value in (row.before.get(name), row.after.get(name)):
                    if value is not None:
                        wanted.setdefault(f.related_model, set()).add(value)
    names: dict[tuple, str] = {}
    for related, ids in wanted.items():
        qs = related._default_manager
        if hasattr(qs, "visible_to"):
            qs = qs.visible_to(user)
        for obj in qs.filter(pk__in=ids):
            names[(related, obj.pk)] = obj.full_text if isinstance(obj, Address) else str(obj)

    def show(f, value):
        if value in (None, ""):
            return "—"
        if f is None:
            return value
        if isinstance(f, models.ForeignKey):
            return names.get((f.related_model, value), _("#%(id)s (outside your scope)") % {"id": value})
        if f.choices:
            return dict(f.flatchoices).get(value, value)
        if isinstance(f, models.BooleanField):
            return _("yes") if value else _("no")
        return value

    return show


def history(user, record) -> list[HistoryLine]:
    """The record's history, newest first, each change in words; ID numbers and phones masked."""
    rows = selectors.history_of(record)
    model = type(record)
    show = _resolver(user, model, rows)
    lines = []
    for row in reversed(rows):
        changes = []
        for name, before, after in registry_history.masked_changes(row):
            f = _field_by_attname(model, name)
            label = f.verbose_name if f is not None else name
            changes.append(Change(str(label), show(f, before), show(f, after)))
        lines.append(
            HistoryLine(
                version=row.version,
                when=row.created_at,
                who=str(row.actor) if row.actor_id else _("the system"),
                source=SOURCE_LABELS.get(row.source, row.source),
                action=row.get_action_display(),
                reason=row.reason,
                batch=row.batch,
                changes=changes,
            )
        )
    return lines


# ---------------------------------------------------------------------------------------------
# collection statistics


@dataclass
class PeriodTotal:
    """Everything the user sees collected in one period, and in the same period a year earlier."""

    label: str
    people: int = 0
    houses: int = 0
    organisations: int = 0
    people_last_year: int = 0
    houses_last_year: int = 0
    organisations_last_year: int = 0

    @property
    def people_yoy(self):
        return stats.year_on_year(self.people, self.people_last_year)

    @property
    def houses_yoy(self):
        return stats.year_on_year(self.houses, self.houses_last_year)

    @property
    def organisations_yoy(self):
        return stats.year_on_year(self.organisations, self.organisations_last_year)


@dataclass
class NodeRows:
    """One jurisdiction's rows, one per period."""

    name: str
    code: str
    complete: bool
    rows: list = field(default_factory=list)
    path: str = ""


@dataclass
class CountyRows:
    """The jurisdictions of one county: a city-wide page folds each county (open: the user's own)."""

    name: str
    path: str
    open: bool
    nodes: list[NodeRows] = field(default_factory=list)


@dataclass
class Statistics:
    nodes: list[NodeRows]
    totals: list[PeriodTotal]
    chart: dict
    counties: list[CountyRows] = field(default_factory=list)


def _by_county(user, nodes: list[NodeRows]) -> list[CountyRows]:
    """The nodes grouped by the county they lie in (city/county/…), in order; a county is open
    when the user is posted in it, or when it is the only one."""
    paths = {"/".join(n.path.split("/")[:2]) for n in nodes}
    names = dict(PoliceUnit.objects.filter(path__in=paths).values_list("path", "name"))
    prefixes = scope_prefixes(user) or []
    counties: dict[str, CountyRows] = {}
    for node in nodes:
        path = "/".join(node.path.split("/")[:2])
        own = any(p == path or p.startswith(path + "/") for p in prefixes)
        counties.setdefault(path, CountyRows(names.get(path, path), path, own)).nodes.append(node)
    groups = [counties[p] for p in sorted(counties)]
    if len(groups) == 1:
        groups[0].open = True
    return groups


def default_level(user) -> str:
    """The level just under the user's posting: a city's counties, a station's districts, a grid
    worker's grids."""
    prefixes = scope_prefixes(user)
    if prefixes is None:
        return "county"
    depth = min((p.count("/") + 1 for p in prefixes), default=5)
    return {1: "county", 2: "station", 3: "district"}.get(depth, "grid")


def statistics_defaults(user, today: dt.date | None = None) -> dict:
    """The last twelve months, by the level under the user's posting."""
    today = today or timezone.localdate()
    first = dt.date(today.year - 1, today.month, 1)
    return {
        "period": "month",
        "start": stats.next_period(first, "month"),
        "end": today,
        "by": default_level(user),
    }


def statistics(user, *, period: str, start: dt.date, end: dt.date, by: str) -> Statistics:
    """The collection statistics of ``registry.stats`` grouped for the page: each jurisdiction's
    periods, the totals of every period over the jurisdictions (a level's nodes do not overlap),
    and the series of the bar chart."""
    rows = stats.collection_statistics(user, period=period, start=start, end=end, by=by)
    nodes: dict[int, NodeRows] = {}
    totals: dict[dt.date, PeriodTotal] = {}
    for row in rows:
        node = nodes.setdefault(row.node_id, NodeRows(row.name, row.code, row.complete, path=row.path))
        node.rows.append(row)
        total = totals.setdefault(row.period, PeriodTotal(row.period_label))
        for kind in stats.KINDS:
            setattr(total, kind, getattr(total, kind) + row.current.get(kind))
            last = f"{kind}_last_year"
            setattr(total, last, getattr(total, last) + row.last_year.get(kind))
    ordered = [totals[p] for p in sorted(totals)]
    chart = {
        "periods": [t.label for t in ordered],
        "series": [
            {"kind": kind, "label": str(label), "current": [getattr(t, kind) for t in ordered],
             "last_year": [getattr(t, f"{kind}_last_year") for t in ordered]}
            for kind, label in (
                ("people", _("people")), ("houses", _("houses")), ("organisations", _("organisations"))
            )
        ],
        "last_year_label": str(_("a year earlier")),
    }  # fmt: skip
    listed = list(nodes.values())
    return Statistics(nodes=listed, totals=ordered, chart=chart, counties=_by_county(user, listed))


# ---------------------------------------------------------------------------------------------
# links to the import and export pages


def imports_url(user) -> str:
    """The import pages, for those who may import."""
    if not rules.may_collect(user):
        return ""
    try:
        return reverse("import_index")
    except NoReverseMatch:
        return ""


def export_links(user, slug: str, grid: Grid | None = None) -> list[dict]:
    """Export buttons of a list: the records of its kind the user may see (of one grid when the
    list is filtered by one), as XLSX or CSV. The export is audited by the registry."""
    if not rules.may_collect(user):
        return []
    try:
        url = reverse("registry_export")
    except NoReverseMatch:
        return []
    kind = {"person": "people", "address": "addresses", "house": "houses", "organisation": "organisations"}[
        slug
    ]
    links = []
    for fmt, label in (("xlsx", _("Export XLSX")), ("csv", _("Export CSV"))):
        query = {"kind": kind, "format": fmt, **({"grid": grid.code} if grid is not None else {})}
        links.append({"url": f"{url}?{urlencode(query)}", "label": label})
    return links


def create_initial(slug: str, request) -> dict:
    """What a creation form starts with: the user's only grid; an address picked on its page."""
    initial = {}
    grids = list(Grid.objects.visible_to(request.user).filter(is_active=True)[:2])
    if len(grids) == 1:
        initial["grid"] = grids[0]
    address_pk = request.GET.get("address", "")
    if address_pk.isascii() and address_pk.isdigit():
        address = Address.objects.visible_to(request.user).filter(pk=address_pk).first()
        if address is not None:
            initial["address" if slug in ("house", "organisation") else "current_address"] = address
    return initial
