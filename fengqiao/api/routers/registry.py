"""The registry (一标三实) through the API: people, addresses, houses and organisations.

Lists and searches go through ``registry.search``, details through ``registry.selectors``, every
change through ``registry.actions`` — the same doors the pages use, so scope, validation, history
and audit are the same whichever way a record comes in. A record outside the caller's scope is
404, exactly like a missing one.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from fengqiao.api.pagination import LimitOffset, paginate
from fengqiao.api.schemas import ErrorOut
from fengqiao.api.schemas_registry import (
    AddressIn,
    AddressOut,
    AddressPatchIn,
    HistoryOut,
    HouseIn,
    HouseOut,
    HousePatchIn,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatchIn,
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
    StatisticsOut,
)
from fengqiao.geo.models import Division
from fengqiao.registry import actions, history, search, selectors, stats
from fengqiao.registry.models import Address, House, Organisation, Person
from fengqiao.registry.validators import InvalidValue, parse_id_number

router = Router(tags=["registry"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

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
    person = selectors.person_by_id_number(user, normalised)
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


# --- people -----------------------------------------------------------------------------------

# What a list item shows (PersonListItem), loaded without the rest of the record.
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


def _person_data(user, payload: dict) -> dict:
    if "current_address" in payload:
        payload["current_address"] = _address_by_code(user, payload["current_address"], "current_address")
    return payload


@router.get(
    "/people",
    response={200: list[PersonListItem], **ERRORS},
    url_name="registry-people",
    summary="Find people",
)
@paginate(SearchPage)
def list_people(request, filters: Query[PeopleFilters]):
    """The people in the caller's scope, found by ``q``: an ID number, a phone, a name or its
    prefix in Chinese, pinyin or initials (``张``, ``zhang``, ``zs``), or part of the address.
    ``search`` says how ``q`` was read, and ``search.notice`` why nothing can match (a wrong check
    character …). ID numbers and phones are masked unless the caller's role sees them whole."""
    user = request.auth
    _require_registry_user(user)
    people = Person.objects.all()
    if filters.grid:
        people = people.filter(grid__code=filters.grid)
    if filters.resident_type:
        people = people.filter(resident_type=filters.resident_type)
    results = search.search_people(
        user,
        filters.q,
        key=None if filters.by == "auto" else filters.by,
        queryset=people,
        include_retired=filters.include_retired,
    )
    return results.only(*PERSON_LIST_FIELDS)


@router.post(
    "/people",
    response={201: PersonOut, **ERRORS},
    url_name="registry-person-create",
    summary="Record a person",
)
def create_person(request, payload: PersonIn):
    """Record a person. The ID number is checked (GB 11643) and decides sex and birth date; a
    person lives in their current address's grid (``grid`` only for a person without one)."""
    user = request.auth
    data = _person_data(user, payload.dict(exclude_unset=True))
    person = actions.record_person(actor=user, data=data)
    return Status(201, selectors.person_for(user, person.pk))


@router.get(
    "/people/{int:person_id}",
    response={200: PersonOut, **ERRORS},
    url_name="registry-person",
    summary="One person",
)
def get_person(request, person_id: int):
    """A person in the caller's scope (retired ones too); 404 outside it, like a missing one."""
    return selectors.person_for(_staff_scope(request.auth), person_id)


@router.patch(
    "/people/{int:person_id}",
    response={200: PersonOut, **ERRORS},
    url_name="registry-person-update",
    summary="Change a person",
)
def update_person(request, person_id: int, payload: PersonPatchIn):
    """Change the fields sent; the change is kept in the person's history."""
    user = request.auth
    person = selectors.person_for(user, person_id)
    data = _person_data(user, payload.dict(exclude_unset=True))
    actions.record_person(actor=user, data=data, person=person)
    return selectors.person_for(user, person_id)


@router.post(
    "/people/{int:person_id}/retire",
    response={200: PersonOut, **ERRORS},
    url_name="registry-person-retire",
    summary="Retire a person",
)
def retire_person(request, person_id: int, payload: RetireIn):
    """Retire a person (moved away, deceased, a duplicate): nothing is deleted; their current
    relations to houses and organisations end today."""
    user = request.auth
    actions.retire_person(selectors.person_for(user, person_id), actor=user, reason=payload.reason)
    return selectors.person_for(user, person_id)


@router.post(
    "/people/{int:person_id}/reveal",
    response={200: RevealOut, **ERRORS},
    url_name="registry-person-reveal",
    summary="Reveal an ID number or phone",
)
def reveal_person(request, person_id: int, payload: RevealIn):
    """The whole ID number or phone of a person, for a stated reason. Community officers and above,
    within their scope; the reveal is audited with the reason."""
    user = request.auth
    person = selectors.person_for(user, person_id)
    value = actions.reveal_person_field(person, payload.field, actor=user, reason=payload.reason)
    return {"field": payload.field, "value": value}


@router.get(
    "/people/{int:person_id}/history",
    response={200: list[HistoryOut], **ERRORS},
    url_name="registry-person-history",
    summary="A person's history",
)
def person_history(request, person_id: int):
    """Every change of the person, oldest first: who, when, through which door, before → after
    (ID numbers and phones masked)."""
    user = request.auth
    return _masked_history(user, selectors.person_for(_staff_scope(user), person_id))


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


# --- addresses --------------------------------------------------------------------------------


def _address_data(payload: dict) -> dict:
    if "community" in payload:
        payload["community"] = _community(payload["community"])
    return payload


@router.get(
    "/addresses",
    response={200: list[AddressOut], **ERRORS},
    url_name="registry-addresses",
    summary="Find addresses",
)
@paginate(SearchPage)
def list_addresses(request, filters: Query[PlaceFilters]):
    """Standard addresses in the caller's scope: ``q`` is an address code (exact) or any part of
    the address text."""
    user = request.auth
    _require_registry_user(user)
    addresses = Address.objects.all()
    if filters.grid:
        addresses = addresses.filter(grid__code=filters.grid)
    return search.search_addresses(
        user, filters.q, queryset=addresses, include_retired=filters.include_retired
    )


@router.post(
    "/addresses",
    response={201: AddressOut, **ERRORS},
    url_name="registry-address-create",
    summary="Record an address",
)
def create_address(request, payload: AddressIn):
    """Record a standard address: its grid is given or found from its point; its code is generated
    from the grid code when not given."""
    user = request.auth
    address = actions.record_address(actor=user, data=_address_data(payload.dict(exclude_unset=True)))
    return Status(201, selectors.address_for(user, address.pk))


@router.get(
    "/addresses/{int:address_id}",
    response={200: AddressOut, **ERRORS},
    url_name="registry-address",
    summary="One address",
)
def get_address(request, address_id: int):
    return selectors.address_for(_staff_scope(request.auth), address_id)


@router.patch(
    "/addresses/{int:address_id}",
    response={200: AddressOut, **ERRORS},
    url_name="registry-address-update",
    summary="Change an address",
)
def update_address(request, address_id: int, payload: AddressPatchIn):
    user = request.auth
    address = selectors.address_for(user, address_id)
    actions.record_address(actor=user, data=_address_data(payload.dict(exclude_unset=True)), address=address)
    return selectors.address_for(user, address_id)


@router.post(
    "/addresses/{int:address_id}/retire",
    response={200: AddressOut, **ERRORS},
    url_name="registry-address-retire",
    summary="Retire an address",
)
def retire_address(request, address_id: int, payload: RetireIn):
    """Retire an address no house, organisation or resident uses any more."""
    user = request.auth
    actions.retire_address(selectors.address_for(user, address_id), actor=user, reason=payload.reason)
    return selectors.address_for(user, address_id)


@router.get(
    "/addresses/{int:address_id}/history",
    response={200: list[HistoryOut], **ERRORS},
    url_name="registry-address-history",
    summary="An address's history",
)
def address_history(request, address_id: int):
    user = request.auth
    return _masked_history(user, selectors.address_for(_staff_scope(user), address_id))


# --- houses -----------------------------------------------------------------------------------


def _house_data(user, payload: dict) -> dict:
    if "address" in payload:
        payload["address"] = _address_by_code(user, payload["address"], "address")
        if payload["address"] is None:
            raise _field_error("address", _("A house needs its standard address."))
    for name in ("owner", "landlord"):
        if name in payload:
            payload[name] = _person_by_id_number(user, payload[name], name)
    return payload


@router.get(
    "/houses", response={200: list[HouseOut], **ERRORS}, url_name="registry-houses", summary="Find houses"
)
@paginate(SearchPage)
def list_houses(request, filters: Query[PlaceFilters]):
    """Houses in the caller's scope: ``q`` is their address's code (exact) or any part of it."""
    user = request.auth
    _require_registry_user(user)
    houses = House.objects.all()
    if filters.grid:
        houses = houses.filter(grid__code=filters.grid)
    return search.search_houses(user, filters.q, queryset=houses, include_retired=filters.include_retired)


@router.post(
    "/houses", response={201: HouseOut, **ERRORS}, url_name="registry-house-create", summary="Record a house"
)
def create_house(request, payload: HouseIn):
    """Record the house at an address; ``owner`` and ``landlord`` are ID numbers of people
    recorded in the caller's scope."""
    user = request.auth
    house = actions.record_house(actor=user, data=_house_data(user, payload.dict(exclude_unset=True)))
    return Status(201, selectors.house_for(user, house.pk))


@router.get(
    "/houses/{int:house_id}",
    response={200: HouseOut, **ERRORS},
    url_name="registry-house",
    summary="One house",
)
def get_house(request, house_id: int):
    return selectors.house_for(_staff_scope(request.auth), house_id)


@router.patch(
    "/houses/{int:house_id}",
    response={200: HouseOut, **ERRORS},
    url_name="registry-house-update",
    summary="Change a house",
)
def update_house(request, house_id: int, payload: HousePatchIn):
    user = request.auth
    house = selectors.house_for(user, house_id)
    actions.record_house(actor=user, data=_house_data(user, payload.dict(exclude_unset=True)), house=house)
    return selectors.house_for(user, house_id)


@router.post(
    "/houses/{int:house_id}/retire",
    response={200: HouseOut, **ERRORS},
    url_name="registry-house-retire",
    summary="Retire a house",
)
def retire_house(request, house_id: int, payload: RetireIn):
    user = request.auth
    actions.retire_house(selectors.house_for(user, house_id), actor=user, reason=payload.reason)
    return selectors.house_for(user, house_id)


@router.get(
    "/houses/{int:house_id}/history",
    response={200: list[HistoryOut], **ERRORS},
    url_name="registry-house-history",
    summary="A house's history",
)
def house_history(request, house_id: int):
    user = request.auth
    return _masked_history(user, selectors.house_for(_staff_scope(user), house_id))


# --- organisations ----------------------------------------------------------------------------


def _organisation_data(user, payload: dict) -> dict:
    if "address" in payload:
        payload["address"] = _address_by_code(user, payload["address"], "address")
    return payload


@router.get(
    "/organisations",
    response={200: list[OrganisationOut], **ERRORS},
    url_name="registry-organisations",
    summary="Find organisations",
)
@paginate(SearchPage)
def list_organisations(request, filters: Query[PlaceFilters]):
    """Organisations in the caller's scope: ``q`` is a credit code or phone (exact) or part of the
    name or address."""
    user = request.auth
    _require_registry_user(user)
    organisations = Organisation.objects.all()
    if filters.grid:
        organisations = organisations.filter(grid__code=filters.grid)
    return search.search_organisations(
        user, filters.q, queryset=organisations, include_retired=filters.include_retired
    )


@router.post(
    "/organisations",
    response={201: OrganisationOut, **ERRORS},
    url_name="registry-organisation-create",
    summary="Record an organisation",
)
def create_organisation(request, payload: OrganisationIn):
    """Record an organisation; the credit code is checked (GB 32100)."""
    user = request.auth
    organisation = actions.record_organisation(
        actor=user, data=_organisation_data(user, payload.dict(exclude_unset=True))
    )
    return Status(201, selectors.organisation_for(user, organisation.pk))


@router.get(
    "/organisations/{int:organisation_id}",
    response={200: OrganisationOut, **ERRORS},
    url_name="registry-organisation",
    summary="One organisation",
)
def get_organisation(request, organisation_id: int):
    return selectors.organisation_for(_staff_scope(request.auth), organisation_id)


@router.patch(
    "/organisations/{int:organisation_id}",
    response={200: OrganisationOut, **ERRORS},
    url_name="registry-organisation-update",
    summary="Change an organisation",
)
def update_organisation(request, organisation_id: int, payload: OrganisationPatchIn):
    user = request.auth
    organisation = selectors.organisation_for(user, organisation_id)
    data = _organisation_data(user, payload.dict(exclude_unset=True))
    actions.record_organisation(actor=user, data=data, organisation=organisation)
    return selectors.organisation_for(user, organisation_id)


@router.post(
    "/organisations/{int:organisation_id}/retire",
    response={200: OrganisationOut, **ERRORS},
    url_name="registry-organisation-retire",
    summary="Retire an organisation",
)
def retire_organisation(request, organisation_id: int, payload: RetireIn):
    user = request.auth
    organisation = selectors.organisation_for(user, organisation_id)
    actions.retire_organisation(organisation, actor=user, reason=payload.reason)
    return selectors.organisation_for(user, organisation_id)


@router.get(
    "/organisations/{int:organisation_id}/history",
    response={200: list[HistoryOut], **ERRORS},
    url_name="registry-organisation-history",
    summary="An organisation's history",
)
def organisation_history(request, organisation_id: int):
    user = request.auth
    return _masked_history(user, selectors.organisation_for(_staff_scope(user), organisation_id))


# --- statistics -------------------------------------------------------------------------------

# Periods one answer may hold: ten years of months.
MAX_PERIODS = 120


def _kind_counts(current: int, last_year: int) -> dict:
    return {"count": current, "last_year": last_year, "yoy": stats.year_on_year(current, last_year)}


@router.get(
    "/statistics",
    response={200: StatisticsOut, **ERRORS},
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
