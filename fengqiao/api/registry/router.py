"""The registry (一标三实) through the API: people, addresses, houses and organisations.

Lists and searches go through ``registry.search``, details through ``registry.selectors``, every
change through ``registry.actions`` — the same doors the pages use, so scope, validation, history
and audit are the same whichever way a record comes in. A record outside the caller's scope is
404, exactly like a missing one.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from fengqiao.api.pagination import LimitOffset, paginate
from fengqiao.api.registry.schemas import (
    AddressIn,
    AddressOut,
    AddressPatchIn,
    CollectionStatisticsOut,
    HistoryOut,
    HouseIn,
    HouseOut,
    HousePatchIn,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatchIn,
    PendingAddressOut,
    PendingConfirmIn,
    PendingMergeIn,
    PendingMergeOut,
    PeopleFilters,
    PersonIn,
    PersonListItem,
    PersonOut,
    PersonPatchIn,
    PlaceFilters,
    RetireIn,
    RevealIn,
    RevealOut,
    SearchInfo,
    StatisticsFilters,
)
from fengqiao.api.schemas import ERRORS, RowId
from fengqiao.geo.models import Division
from fengqiao.registry import access, actions, history, search, selectors, stats
from fengqiao.registry.models import Address, House, Organisation, Person
from fengqiao.registry.validators import InvalidValue, parse_id_number

router = Router(tags=["registry"])


# How many matches a list counts before it says "at least this many": a search is for finding
# someone, and counting a whole city's people on every page would cost more than the page.
COUNT_CAP = 1000


class SearchPage(LimitOffset):
    """LimitOffset whose ``count`` is exact up to 1,000 matches (or to the end of the page asked
    for), with ``count_exact`` saying whether more match, and what the query was searched by."""

    class Output(Schema):
        items: list
        count: int = Field(
            description=f"Items matching, across pages; when more than {COUNT_CAP:,} match, "
            f"{COUNT_CAP:,} and `count_exact` is false."
        )
        count_exact: bool
        limit: int
        offset: int
        search: SearchInfo

    def paginate_queryset(self, queryset, pagination, request, **params):
        offset, limit = pagination.offset, pagination.limit
        items = list(queryset[offset : offset + limit])
        if len(items) < limit and (items or offset == 0):
            count, exact = offset + len(items), True  # the last page: its rows tell the count
        else:  # a full page: count on, far enough to cover the page at least
            count, exact = queryset.count_upto(max(COUNT_CAP, offset + limit))
        return {
            "items": items,
            "count": count,
            "count_exact": exact,
            "limit": limit,
            "offset": offset,
            "search": {"key": queryset.key, "notice": queryset.notice},
        }


def _require_registry_user(user) -> None:
    """Residents and volunteers have no business in the registry's lists: 403."""
    if not selectors.may_collect(user):
        raise PermissionDenied(_("The registry is for staff."))


def _staff_scope(user):
    """Whose scope a detail is read through: a resident's or a volunteer's holds no registry
    record, so every record is 404 to them, as a record out of anyone's scope is."""
    return user if selectors.may_collect(user) else None


def _field_error(name: str, message) -> ValidationError:
    return ValidationError({name: [str(message)]})


def _address_by_code(user, code: str | None, field: str):
    if code in (None, ""):
        return None
    address = Address.objects.visible_to(user).filter(code=code.strip()).first()
    if address is None:
        raise _field_error(field, _("No address with the code %(code)s in your area.") % {"code": code})
    return address


def _person_by_id_number(user, number: str | None, field: str):
    if number in (None, ""):
        return None
    try:
        normalised = parse_id_number(number).number
    except InvalidValue as exc:
        raise _field_error(field, exc.reason) from None
    person = access.person_by_whole_id_number(user, normalised)
    if person is None:
        raise _field_error(field, _("Nobody with this ID number is recorded in your area."))
    return person


def _community(code: str | None):
    if code in (None, ""):
        return None
    division = Division.objects.filter(code=code.strip()).first()
    if division is None:
        raise _field_error("community", _("No village or community with the code %(code)s.") % {"code": code})
    return division.pk


# --- the four record kinds, one router convention ------------------------------------------------


def _person_data(user, payload: dict) -> dict:
    if "current_address" in payload:
        payload["current_address"] = _address_by_code(user, payload["current_address"], "current_address")
    return payload


def _address_data(user, payload: dict) -> dict:
    if "community" in payload:
        payload["community"] = _community(payload["community"])
    return payload


def _house_data(user, payload: dict) -> dict:
    if "address" in payload:
        payload["address"] = _address_by_code(user, payload["address"], "address")
        if payload["address"] is None:
            raise _field_error("address", _("A house needs its standard address."))
    for name in ("owner", "landlord"):
        if name in payload:
            payload[name] = _person_by_id_number(user, payload[name], name)
    return payload


def _organisation_data(user, payload: dict) -> dict:
    if "address" in payload:
        payload["address"] = _address_by_code(user, payload["address"], "address")
    return payload


# What a person's list item shows (PersonListItem), loaded without the rest of the record.
PERSON_LIST_FIELDS = (
    "id",
    "name",
    "sex",
    "birth_date",
    "id_number",
    "phone",
    "resident_type",
    "retired_at",
    "grid__code",
    "grid__name",
    "current_address__id",
    "current_address__code",
    "current_address__full_text",
)


def _search_people(user, filters: PeopleFilters):
    people = Person.objects.all()
    if filters.resident_type:
        people = people.filter(resident_type=filters.resident_type)
    if filters.grid:
        people = people.filter(grid__code=filters.grid)
    key = None if filters.by == "auto" else filters.by
    found = search.search_people(
        user, filters.q, key=key, queryset=people, include_retired=filters.include_retired
    )
    return found.only(*PERSON_LIST_FIELDS)


def _search_places(model, find):
    def search_in_grid(user, filters: PlaceFilters):
        records = model.objects.all()
        if filters.grid:
            records = records.filter(grid__code=filters.grid)
        return find(user, filters.q, queryset=records, include_retired=filters.include_retired)

    return search_in_grid


@dataclass(frozen=True)
class RecordKind:
    """One kind of registry record as the API serves it: its paths, schemas and the registry's
    own search, selector and actions for it."""

    noun: str  # "person": the action's keyword and the url names
    path: str  # "people": the collection's path and its list's url name
    title: str  # "a person", in summaries
    out: type[Schema]
    list_out: type[Schema]
    create_in: type[Schema]
    patch_in: type[Schema]
    filters: type[Schema]
    find: Callable  # (user, filters) -> SearchResults
    one: Callable  # (user, pk) -> the record in scope, else 404
    data: Callable  # (user, payload dict) -> the action's data (codes resolved within scope)
    list_doc: str
    create_doc: str


KINDS = (
    RecordKind(
        "person",
        "people",
        "a person",
        PersonOut,
        PersonListItem,
        PersonIn,
        PersonPatchIn,
        PeopleFilters,
        _search_people,
        selectors.person_for,
        _person_data,
        "The people in the caller's scope, found by ``q``: an ID number, a phone, a name or its prefix in "
        "Chinese, pinyin or initials (``张``, ``zhang``, ``zs``), or part of the address. ``search`` says "
        "how ``q`` was read, and ``search.notice`` why nothing can match (a wrong check character …). ID "
        "numbers and phones are masked unless the caller's role sees them whole.",
        "Record a person. The ID number is checked (GB 11643) and decides sex and birth date; a person "
        "lives in their current address's grid (``grid`` only for a person without one).",
    ),
    RecordKind(
        "address",
        "addresses",
        "an address",
        AddressOut,
        AddressOut,
        AddressIn,
        AddressPatchIn,
        PlaceFilters,
        _search_places(Address, search.search_addresses),
        selectors.address_for,
        _address_data,
        "Standard addresses in the caller's scope: ``q`` is an address code (exact) or any part of the "
        "address text.",
        "Record a standard address: its grid is given or found from its point; its code is generated "
        "from the grid code when not given.",
    ),
    RecordKind(
        "house",
        "houses",
        "a house",
        HouseOut,
        HouseOut,
        HouseIn,
        HousePatchIn,
        PlaceFilters,
        _search_places(House, search.search_houses),
        selectors.house_for,
        _house_data,
        "Houses in the caller's scope: ``q`` is their address's code (exact) or any part of it.",
        "Record the house at an address; ``owner`` and ``landlord`` are ID numbers of people recorded "
        "in the caller's scope.",
    ),
    RecordKind(
        "organisation",
        "organisations",
        "an organisation",
        OrganisationOut,
        OrganisationOut,
        OrganisationIn,
        OrganisationPatchIn,
        PlaceFilters,
        _search_places(Organisation, search.search_organisations),
        selectors.organisation_for,
        _organisation_data,
        "Organisations in the caller's scope: ``q`` is a credit code or phone (exact) or part of the "
        "name or address.",
        "Record an organisation; the credit code is checked (GB 32100).",
    ),
)


def _masked_history(user, record) -> list[dict]:
    whole = selectors.sees_whole_numbers(user)
    return [
        {
            "version": row.version,
            "action": row.action,
            "actor": row.actor.get_username() if row.actor_id else None,
            "source": row.source,
            "created_at": row.created_at,
            "reason": row.reason,
            "before": row.before if whole else history.masked(row.before),
            "after": row.after if whole else history.masked(row.after),
        }
        for row in selectors.history_of(record)
    ]


def _named(function, name: str):
    function.__name__ = name  # the OpenAPI operation id
    return function


def add_record_routes(kind: RecordKind) -> None:
    """List, record, read, change, retire and the history of one kind, each through the registry's
    own search, selectors and actions. A record outside the caller's scope is 404."""
    record = getattr(actions, f"record_{kind.noun}")
    retire = getattr(actions, f"retire_{kind.noun}")
    one, item = f"/{kind.path}/{{int:record_id}}", f"registry-{kind.noun}"

    def list_records(request, filters: Query[kind.filters]):
        _require_registry_user(request.auth)
        return kind.find(request.auth, filters)

    def create_record(request, payload: kind.create_in):
        user = request.auth
        created = record(actor=user, data=kind.data(user, payload.dict(exclude_unset=True)))
        return Status(201, kind.one(user, created.pk))

    def get_record(request, record_id: RowId):
        return kind.one(_staff_scope(request.auth), record_id)

    def update_record(request, record_id: RowId, payload: kind.patch_in):
        user = request.auth
        current = kind.one(user, record_id)
        record(actor=user, data=kind.data(user, payload.dict(exclude_unset=True)), **{kind.noun: current})
        return kind.one(user, record_id)

    def retire_record(request, record_id: RowId, payload: RetireIn):
        user = request.auth
        retire(kind.one(user, record_id), actor=user, reason=payload.reason)
        return kind.one(user, record_id)

    def record_history(request, record_id: RowId):
        user = request.auth
        return _masked_history(user, kind.one(_staff_scope(user), record_id))

    title = kind.title
    router.get(
        f"/{kind.path}",
        response={200: list[kind.list_out], **ERRORS},
        url_name=f"registry-{kind.path}",
        summary=f"Find {kind.path}",
        description=kind.list_doc,
    )(paginate(SearchPage)(_named(list_records, f"list_{kind.path}")))
    router.post(
        f"/{kind.path}",
        response={201: kind.out, **ERRORS},
        url_name=f"{item}-create",
        summary=f"Record {title}",
        description=kind.create_doc,
    )(_named(create_record, f"create_{kind.noun}"))
    router.get(
        one,
        response={200: kind.out, **ERRORS},
        url_name=item,
        summary=f"One {kind.noun}",
        description=f"{title.capitalize()} in the caller's scope (retired ones too); 404 outside it.",
    )(_named(get_record, f"get_{kind.noun}"))
    router.patch(
        one,
        response={200: kind.out, **ERRORS},
        url_name=f"{item}-update",
        summary=f"Change {title}",
        description="Change the fields sent; the change is kept in the record's history.",
    )(_named(update_record, f"update_{kind.noun}"))
    router.post(
        f"{one}/retire",
        response={200: kind.out, **ERRORS},
        url_name=f"{item}-retire",
        summary=f"Retire {title}",
        description="Retire the record: nothing is deleted, and its history says why.",
    )(_named(retire_record, f"retire_{kind.noun}"))
    router.get(
        f"{one}/history",
        response={200: list[HistoryOut], **ERRORS},
        url_name=f"{item}-history",
        summary=f"The history of {title}",
        description="Every change, oldest first: who, when, through which door, before → after "
        "(ID numbers and phones masked unless the caller's role sees them whole).",
    )(_named(record_history, f"{kind.noun}_history"))


for _kind in KINDS:
    add_record_routes(_kind)


@router.post(
    "/people/{int:record_id}/reveal",
    response={200: RevealOut, **ERRORS},
    url_name="registry-person-reveal",
    summary="Reveal an ID number or phone",
)
def reveal_person(request, record_id: RowId, payload: RevealIn):
    """The whole ID number or phone of a person, for a stated reason. Community officers and above,
    within their scope; the reveal is audited with the reason."""
    user = request.auth
    person = selectors.person_for(user, record_id)
    value = actions.reveal_person_field(person, payload.field, actor=user, reason=payload.reason)
    return {"field": payload.field, "value": value}


class AccessOut(Schema):
    at: dt.datetime
    unit: str = Field(description="The police unit the reader was posted to.")
    role: str
    purpose: str
    staff: str = Field(description="The reader's username.")


@router.get(
    "/people/{int:record_id}/reads",
    response={200: list[AccessOut], **ERRORS},
    url_name="registry-person-reads",
    summary="Who read a person's record",
)
def person_reads(request, record_id: RowId):
    """The access history of a person: every read of their record, newest first (unit, role,
    purpose, time, who). Community officers and above, within their scope; others 403."""
    user = request.auth
    person = selectors.person_for(_staff_scope(user), record_id)
    if not access.may_see_access_history(user, person):
        raise PermissionDenied(_("The access history is for community officers and above."))
    return [
        {"at": line.at, "unit": line.unit, "role": line.role, "purpose": line.purpose, "staff": line.actor}
        for line in access.access_history(user, person)
    ]


# --- statistics -------------------------------------------------------------------------------

# Periods one answer may hold: ten years of months.
MAX_PERIODS = 120


def _kind_counts(current: int, last_year: int) -> dict:
    return {"count": current, "last_year": last_year, "yoy": stats.year_on_year(current, last_year)}


@router.get(
    "/statistics",
    response={200: CollectionStatisticsOut, **ERRORS},
    url_name="registry-statistics",
    summary="Collection statistics",
)
def collection_statistics(request, filters: Query[StatisticsFilters]):
    """People, houses and organisations collected per period and per jurisdiction (county,
    station, district or grid) in the caller's scope, each with the same period a year earlier
    and the year-on-year change (同比). Periods are whole months, quarters or years; retired
    records are left out. A node above the caller's posting (their station, seen by a district
    officer) counts only the part the caller sees and says so (``complete: false``)."""
    user = request.auth
    _require_registry_user(user)
    end = filters.end or timezone.localdate()
    if filters.start is not None:
        start = filters.start
    else:  # the periods of the year that ends with the period of ``end``
        first = stats.period_start(end, filters.period)
        start = stats.a_year_earlier(stats.next_period(first, filters.period))
    if start > end:
        raise _field_error(
            "start", _("The start %(start)s is after the end %(end)s.") % {"start": start, "end": end}
        )
    periods = stats.periods_between(start, end, filters.period)
    if len(periods) > MAX_PERIODS:
        raise _field_error(
            "start",
            _("At most %(n)d periods at a time: choose a later start or longer periods.")
            % {"n": MAX_PERIODS},
        )
    first_day = periods[0]
    last_day = stats.next_period(periods[-1], filters.period) - dt.timedelta(days=1)
    rows = stats.collection_statistics(
        user, period=filters.period, start=first_day, end=last_day, by=filters.by
    )
    totals = stats.collection_totals(user, start=first_day, end=last_day)
    return {
        "period": filters.period,
        "by": filters.by,
        "start": first_day,
        "end": last_day,
        "totals": {
            kind: _kind_counts(totals.current.get(kind), totals.last_year.get(kind)) for kind in stats.KINDS
        },
        "rows": [
            {
                "level": row.level,
                "code": row.code,
                "name": row.name,
                "path": row.path,
                "period": row.period,
                "period_label": row.period_label,
                "complete": row.complete,
                **{
                    kind: _kind_counts(row.current.get(kind), row.last_year.get(kind)) for kind in stats.KINDS
                },
            }
            for row in rows
        ],
    }


# ---------------------------------------------------------------------------------------------
# addresses to standardise (待规範地址): the page's list, merge and confirm, for officers and above


@router.get(
    "/pending-addresses",
    response={200: list[PendingAddressOut], **ERRORS},
    url_name="registry-pending-addresses",
    summary="Addresses to standardise",
)
@paginate(LimitOffset)
def list_pending_addresses(request):
    """The addresses imports made from texts no standard address matched, in the caller's scope,
    by police district. Community officers and above; 403 for other staff."""
    if not selectors.may_standardise_addresses(request.auth):
        raise PermissionDenied(_("Addresses to standardise are the community officer's to settle."))
    return selectors.pending_addresses(request.auth)


@router.get(
    "/pending-addresses/{int:record_id}",
    response={200: PendingAddressOut, **ERRORS},
    url_name="registry-pending-address",
    summary="One address to standardise",
)
def get_pending_address(request, record_id: RowId):
    """404 outside the caller's scope, and for staff who do not settle addresses."""
    return selectors.pending_address(request.auth, record_id)


@router.post(
    "/pending-addresses/{int:record_id}/merge",
    response={200: PendingMergeOut, **ERRORS},
    url_name="registry-pending-address-merge",
    summary="Merge an address to standardise into a standard one",
)
def merge_pending_address(request, record_id: RowId, payload: PendingMergeIn):
    """Its people, house and organisations move to the standard address (in the caller's scope),
    and it is retired; one audit entry. 404 outside the caller's scope."""
    user = request.auth
    address = selectors.pending_address(user, record_id)
    into = _address_by_code(user, payload.into, "into")
    moved = actions.merge_pending_address(address, actor=user, into=into)
    return {"into": into.code, **moved}


@router.post(
    "/pending-addresses/{int:record_id}/confirm",
    response={200: AddressOut, **ERRORS},
    url_name="registry-pending-address-confirm",
    summary="Confirm an address to standardise as a standard one",
)
def confirm_pending_address(request, record_id: RowId, payload: PendingConfirmIn):
    """Its parts corrected as sent, it becomes a standard address; refused while a standard address
    in its community reads the same (merge into that one)."""
    user = request.auth
    address = selectors.pending_address(user, record_id)
    confirmed = actions.confirm_pending_address(address, actor=user, data=payload.dict(exclude_none=True))
    return selectors.address_for(user, confirmed.pk)
