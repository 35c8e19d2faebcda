"""What goes in and out of the registry's API (一标三实).

ID numbers and phones leave the API masked (``6403**********123X``, ``139****5678``) unless the
caller's role is set to see them whole (``registry.selectors.sees_whole_numbers``); the whole value
comes from ``POST …/people/{id}/reveal`` with a reason, audited. Input schemas refuse unknown
fields, so a typo is an error naming the field.
"""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from fengqiao.api.schemas import DivisionRef, GridRef, InputSchema, Text
from fengqiao.registry import selectors
from fengqiao.registry.choices import (
    AddressElement,
    HouseOwnership,
    HouseUse,
    OrganisationType,
    ResidentType,
    RevealField,
    Sex,
)


def _caller(context) -> Any:
    request = (context or {}).get("request")
    return getattr(request, "auth", None)


def _id_number(obj, attr: str, context) -> str | None:
    value = getattr(obj, attr, None)
    return selectors.shown_id_number(_caller(context), value) if value else value


def _phone(obj, context) -> str:
    return selectors.shown_phone(_caller(context), obj.phone) if obj.phone else ""


def _document(obj, attr: str, context) -> str:
    """Document and permit numbers identify a person as an ID number does: shown like one."""
    value = getattr(obj, attr, "") or ""
    if not value or selectors.sees_whole_numbers(_caller(context)):
        return value
    return value[:2] + "*" * max(0, len(value) - 4) + value[-2:] if len(value) > 4 else "*" * len(value)


# --- references -------------------------------------------------------------------------------


class AddressRef(Schema):
    id: int
    code: str
    full_text: str


class PersonRef(Schema):
    id: int
    name: str
    id_number: str | None = Field(description="Masked unless the caller's role sees whole numbers.")

    @staticmethod
    def resolve_id_number(obj, context):
        return _id_number(obj, "id_number", context)


class OrganisationRef(Schema):
    id: int
    credit_code: str
    name: str


class HouseRef(Schema):
    id: int
    address: AddressRef


# --- people -----------------------------------------------------------------------------------


class PersonListItem(Schema):
    id: int
    name: str
    sex: Sex
    birth_date: dt.date | None = Field(
        description="Null for roles that see masked numbers: they see `birth_year` only."
    )
    birth_year: int | None
    id_number: str | None = Field(description="Masked unless the caller's role sees whole numbers.")
    phone: str = Field(description="Masked unless the caller's role sees whole numbers.")
    resident_type: ResidentType
    grid: GridRef
    current_address: AddressRef | None
    retired_at: dt.datetime | None

    @staticmethod
    def resolve_id_number(obj, context):
        return _id_number(obj, "id_number", context)

    @staticmethod
    def resolve_phone(obj, context):
        return _phone(obj, context)

    @staticmethod
    def resolve_birth_date(obj, context):
        # The date beside a masked ID number leaves a few candidates: masked roles get the year.
        return obj.birth_date if selectors.sees_whole_numbers(_caller(context)) else None

    @staticmethod
    def resolve_birth_year(obj, context):
        return selectors.birth_year(obj.birth_date)


class PersonOut(PersonListItem):
    former_name: str
    name_pinyin: str
    name_initials: str
    ethnicity: str
    native_place: str
    marital_status: str
    education: str
    occupation: str
    workplace: str
    hukou_address: str
    hukou_consistent: bool | None = Field(
        description="人户一致: lives where registered; null when it cannot be told."
    )
    reason_for_coming: str
    residence_permit_number: str
    residence_permit_expires: dt.date | None
    registered_on: dt.date | None
    nationality: str
    document_type: str
    document_number: str
    entry_date: dt.date | None
    planned_exit_date: dt.date | None
    collected_at: dt.date
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_residence_permit_number(obj, context):
        return _document(obj, "residence_permit_number", context)

    @staticmethod
    def resolve_document_number(obj, context):
        return _document(obj, "document_number", context)


class PersonIn(InputSchema):
    """A person as recorded. ``current_address`` is an address code, ``grid`` a grid code (for a
    person without an address); both must be in the caller's scope."""

    id_number: Text | None = Field(
        None, max_length=32, description="18 characters (15-digit old numbers are converted)."
    )
    name: Text = Field(min_length=1, max_length=64)
    former_name: Text = Field("", max_length=64)
    sex: Sex | None = Field(None, description="Taken from the ID number when not given.")
    ethnicity: Text = Field("", max_length=32)
    birth_date: dt.date | None = Field(None, description="Taken from the ID number when not given.")
    native_place: Text = Field("", max_length=100)
    marital_status: Text = Field("", max_length=20)
    education: Text = Field("", max_length=32)
    occupation: Text = Field("", max_length=64)
    workplace: Text = Field("", max_length=200)
    phone: Text = Field("", max_length=32)
    hukou_address: Text = Field("", max_length=400)
    current_address: Text | None = Field(None, max_length=64, description="An address code.")
    grid: Text | None = Field(None, max_length=15, description="A grid code, for a person without address.")
    resident_type: ResidentType = ResidentType.REGISTERED
    reason_for_coming: Text = Field("", max_length=100)
    residence_permit_number: Text = Field("", max_length=32)
    residence_permit_expires: dt.date | None = None
    registered_on: dt.date | None = None
    nationality: Text = Field("", max_length=64)
    document_type: Text = Field("", max_length=32)
    document_number: Text = Field("", max_length=32)
    entry_date: dt.date | None = None
    planned_exit_date: dt.date | None = None
    collected_at: dt.date | None = None


class PersonPatchIn(PersonIn):
    """Only the fields sent change."""

    name: Text = Field(None, min_length=1, max_length=64)
    resident_type: ResidentType = Field(None)


class RetireIn(InputSchema):
    reason: Text = Field(min_length=1, max_length=500, description="Why the record is retired.")


class RevealIn(InputSchema):
    field: RevealField = Field(description="Which value to show whole.")
    reason: Text = Field(min_length=1, max_length=500, description="Why it must be seen; audited.")


class RevealOut(Schema):
    field: RevealField
    value: str


# --- addresses --------------------------------------------------------------------------------


class AddressOut(Schema):
    id: int
    code: str
    element_type: AddressElement
    community: DivisionRef
    street: str
    compound: str
    door_plate: str
    building: str
    unit: str
    room: str
    full_text: str
    grid: GridRef
    lon: float | None
    lat: float | None
    in_use: bool
    collected_at: dt.date
    retired_at: dt.datetime | None
    updated_at: dt.datetime


class AddressIn(InputSchema):
    """A standard address. ``community`` is the village/community's 12-digit code; ``grid`` a grid
    code (found from the point when not given)."""

    code: Text | None = Field(None, max_length=64, description="Generated from the grid when not given.")
    element_type: AddressElement = AddressElement.ROOM
    community: Text | None = Field(None, max_length=12)
    street: Text = Field("", max_length=100)
    compound: Text = Field("", max_length=100)
    door_plate: Text = Field("", max_length=50)
    building: Text = Field("", max_length=50)
    unit: Text = Field("", max_length=20)
    room: Text = Field("", max_length=20)
    grid: Text | None = Field(None, max_length=15)
    lon: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    in_use: bool = Field(True, strict=True)
    collected_at: dt.date | None = None


class AddressPatchIn(AddressIn):
    element_type: AddressElement = Field(None)
    in_use: bool = Field(None, strict=True)


# --- houses -----------------------------------------------------------------------------------


class HouseOut(Schema):
    id: int
    address: AddressRef
    use: HouseUse
    ownership: str
    owner: PersonRef | None
    area_m2: Decimal | None
    rooms: int | None
    is_rented: bool
    landlord: PersonRef | None
    occupant_count: int
    grid: GridRef
    collected_at: dt.date
    retired_at: dt.datetime | None
    updated_at: dt.datetime


class HouseIn(InputSchema):
    """A house at an address (its code). ``owner`` and ``landlord`` are people named by their ID
    number, recorded in the caller's scope."""

    address: Text = Field(max_length=64, description="The address code.")
    use: HouseUse = HouseUse.RESIDENTIAL
    ownership: HouseOwnership | Literal[""] = ""
    owner: Text | None = Field(None, max_length=32, description="The owner's ID number.")
    area_m2: Decimal | None = Field(None, gt=0, max_digits=9, decimal_places=2)
    rooms: int | None = Field(None, ge=0, le=32767)
    is_rented: bool = Field(False, strict=True)
    landlord: Text | None = Field(None, max_length=32, description="The landlord's ID number.")
    collected_at: dt.date | None = None


class HousePatchIn(HouseIn):
    address: Text = Field(None, max_length=64)
    use: HouseUse = Field(None)
    is_rented: bool = Field(None, strict=True)


# --- organisations ----------------------------------------------------------------------------


class OrganisationOut(Schema):
    id: int
    credit_code: str
    name: str
    org_type: OrganisationType
    legal_representative: str
    legal_representative_id: str | None = Field(description="Masked unless the role sees whole numbers.")
    address: AddressRef | None
    industry: str
    special_trades: list[str]
    phone: str
    grid: GridRef
    collected_at: dt.date
    retired_at: dt.datetime | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_legal_representative_id(obj, context):
        return _id_number(obj, "legal_representative_id", context)

    @staticmethod
    def resolve_phone(obj, context):
        return _phone(obj, context)


class OrganisationIn(InputSchema):
    credit_code: Text = Field(max_length=32, description="Unified social credit code (GB 32100).")
    name: Text = Field(min_length=1, max_length=200)
    org_type: OrganisationType = OrganisationType.ENTERPRISE
    legal_representative: Text = Field("", max_length=64)
    legal_representative_id: Text | None = Field(None, max_length=32)
    address: Text | None = Field(None, max_length=64, description="The address code.")
    grid: Text | None = Field(None, max_length=15, description="A grid code, when there is no address.")
    industry: Text = Field("", max_length=100)
    hotel: bool = Field(False, strict=True)
    internet_cafe: bool = Field(False, strict=True)
    logistics: bool = Field(False, strict=True)
    hazardous_goods: bool = Field(False, strict=True)
    phone: Text = Field("", max_length=32)
    collected_at: dt.date | None = None


class OrganisationPatchIn(OrganisationIn):
    credit_code: Text = Field(None, max_length=32)
    name: Text = Field(None, min_length=1, max_length=200)
    org_type: OrganisationType = Field(None)
    hotel: bool = Field(None, strict=True)
    internet_cafe: bool = Field(None, strict=True)
    logistics: bool = Field(None, strict=True)
    hazardous_goods: bool = Field(None, strict=True)


# --- history ----------------------------------------------------------------------------------


class HistoryOut(Schema):
    version: int
    action: str
    actor: str | None
    source: str
    created_at: dt.datetime
    reason: str
    before: dict[str, Any] = Field(description="The changed fields as they were (numbers masked).")
    after: dict[str, Any] = Field(description="The changed fields as they became (numbers masked).")


# --- search and lists -------------------------------------------------------------------------

SearchKey = Literal["auto", "id_number", "name", "pinyin", "phone", "address"]


class PeopleFilters(InputSchema):
    q: Text = Field(
        "",
        max_length=100,
        description="What to look for: an ID number (exact; 15 digits or a lower-case x accepted), a "
        "phone number (exact), a name or its prefix in Chinese (张, 张三), in pinyin or initials "
        "(zhang, zhangsan, zs), or part of the current address.",
    )
    by: SearchKey = Field("auto", description="Read `q` as this key instead of guessing.")
    grid: str | None = Field(None, pattern=r"^[0-9]{14,15}$", description="Only people of this grid.")
    resident_type: ResidentType | None = None
    include_retired: bool = False


class PlaceFilters(InputSchema):
    q: Text = Field("", max_length=100, description="A code (exact) or part of the address / name.")
    grid: str | None = Field(None, pattern=r"^[0-9]{14,15}$")
    include_retired: bool = False


class SearchInfo(Schema):
    key: str = Field(description="What `q` was searched by: id_number, phone, name, pinyin, address, …")
    notice: str = Field(description="Why nothing can match (e.g. a wrong check character); empty otherwise.")


# --- statistics -------------------------------------------------------------------------------


class StatisticsFilters(InputSchema):
    period: Literal["month", "quarter", "year"] = Field("month", description="The length of a period.")
    start: dt.date | None = Field(
        None, description="A day of the first period counted; by default the periods of the year up to `end`."
    )
    end: dt.date | None = Field(None, description="A day of the last period counted; today by default.")
    by: Literal["county", "station", "district", "grid"] = Field(
        "county", description="The jurisdiction level counted apart."
    )


class KindCount(Schema):
    count: int = Field(description="Records collected in the period (retired ones left out).")
    last_year: int = Field(description="In the same period a year earlier.")
    yoy: float | None = Field(description="同比: (count − last_year) / last_year; null when last_year is 0.")


class StatisticsRow(Schema):
    level: str
    code: str
    name: str
    path: str
    period: dt.date = Field(description="The first day of the period.")
    period_label: str = Field(description="2025-03, 2025Q1 or 2025.")
    complete: bool = Field(
        description="False for a node above the caller's posting: only part of it is counted."
    )
    people: KindCount
    houses: KindCount
    organisations: KindCount


class CollectionStatisticsOut(Schema):
    period: str
    by: str
    start: dt.date = Field(description="The first day counted (the start of the first period).")
    end: dt.date = Field(description="The last day counted (the end of the last period).")
    totals: dict[str, KindCount] = Field(description="people, houses, organisations over the whole span.")
    rows: list[StatisticsRow] = Field(description="One per node and period, by node path then period.")


class PendingAddressOut(Schema):
    """An address to standardise (待规范地址), made by an import from a text no standard address
    matched, and what is there."""

    id: int
    code: str
    source_text: str = Field(description="The address as the spreadsheet wrote it.")
    full_text: str = Field(description="How it was read.")
    community: DivisionRef
    grid: GridRef
    lon: float | None
    lat: float | None
    people_count: int
    house_count: int
    organisation_count: int


class PendingMergeIn(InputSchema):
    into: Text = Field(max_length=64, description="The code of the standard address to merge into.")


class PendingMergeOut(Schema):
    into: str = Field(description="The standard address's code.")
    people: int
    houses: int
    organisations: int


class PendingConfirmIn(InputSchema):
    """The parts to correct before the address becomes a standard one; those not sent stay."""

    street: Text | None = Field(None, max_length=100)
    compound: Text | None = Field(None, max_length=100)
    door_plate: Text | None = Field(None, max_length=50)
    building: Text | None = Field(None, max_length=50)
    unit: Text | None = Field(None, max_length=20)
    room: Text | None = Field(None, max_length=20)
