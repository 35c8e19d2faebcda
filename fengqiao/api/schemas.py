"""What goes in and out of the API. Input schemas refuse unknown fields, so a typo is an error."""

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, field_validator

from fengqiao.core.roles import Role

COMMUNITY_CODE = r"^[0-9]{12}$"
# A police district: its full path (``640300/640302/ps01/d01``, unique) or its bare code (``d01``).
DISTRICT_REF = r"^[0-9A-Za-z]{1,32}(/[0-9A-Za-z]{1,32})*$"
GRID_CODE = r"^[0-9]{14,15}$"


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# Free text: anything printable a database column can hold (PostgreSQL refuses NUL).
Text = Annotated[str, AfterValidator(_no_nul)]
# A row's id as a client sends it: within what a database's bigint holds, so a huge number is a
# 422 naming the field, not an overflow in the database driver.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]


def _storable(value):
    """A value a database column can hold: text without NUL, integers within a bigint."""
    if isinstance(value, str):
        return _no_nul(value)
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise ValueError("is out of range")
    if isinstance(value, list | tuple):
        for item in value:
            _storable(item)
    return value


class InputSchema(Schema):
    """What a client sends: no field the schema does not name, and every value storable, so that
    no input reaches the database as a NUL or an overflow (a 422 on its field instead)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _every_value_storable(cls, value):
        return _storable(value)


# --- errors -----------------------------------------------------------------------------------


class FieldError(Schema):
    field: str = Field(description="The field to blame; empty when the error is about the whole request.")
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] | None = None


# The answers every endpoint may give besides its own.
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


# --- auth -------------------------------------------------------------------------------------


class TokenIn(InputSchema):
    username: Text = Field(min_length=1, max_length=150)
    password: Text = Field(min_length=1, max_length=4096)
    name: Text = Field(
        "", max_length=100, description="A label for the token, e.g. the integration using it."
    )
    otp: Text = Field(
        "",
        max_length=32,
        description="The code of the user's authenticator app, or one of their recovery codes: "
        "needed for staff when two factors are on (FENGQIAO_STAFF_MFA).",
    )


class TokenOut(Schema):
    token: str = Field(description="Shown once: only its digest is stored.")
    token_type: Literal["Bearer"] = "Bearer"
    prefix: str
    name: str
    username: str
    created_at: dt.datetime
    expires_at: dt.datetime


class TokenListItem(Schema):
    id: int
    prefix: str
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


# --- people -----------------------------------------------------------------------------------


class UnitRef(Schema):
    code: str
    name: str
    path: str


class GridRef(Schema):
    code: str
    name: str


class DivisionRef(Schema):
    code: str
    name: str


class PostingUnitOut(UnitRef):
    kind: str


class PostingGridOut(Schema):
    code: str
    name: str


class PostingOut(Schema):
    id: int
    path: str
    unit: PostingUnitOut | None
    grid: PostingGridOut | None


class PlaceIn(InputSchema):
    unit: Text | None = Field(
        None, max_length=200, description="A police unit's path, e.g. 640300/640302/ps01/d01."
    )
    grid: Text | None = Field(None, max_length=15, description="A grid's code.")
    reason: Text = Field("", max_length=500, description="Why; kept in the audit log.")


class StaffOut(Schema):
    username: str
    full_name: str
    role: str
    postings: list[PostingOut]


class InputFieldOut(Schema):
    name: str
    label: str
    required: bool
    type: str = Field(description="The form field's kind, e.g. IntegerField, ChoiceField, DateField.")
    choices: list[str] | None = Field(description="The values it takes, when they are a fixed list.")

    @staticmethod
    def resolve_label(pair) -> str:
        return str(pair[1].label or pair[0])

    @staticmethod
    def resolve_name(pair) -> str:
        return pair[0]

    @staticmethod
    def resolve_required(pair) -> bool:
        return pair[1].required

    @staticmethod
    def resolve_type(pair) -> str:
        return type(pair[1]).__name__

    @staticmethod
    def resolve_choices(pair) -> list[str] | None:
        choices = getattr(pair[1], "choices", None)
        return [str(value) for value, _label in choices if value != ""] if choices else None


class TransitionOut(Schema):
    name: str
    label: str
    needs_note: bool
    input: list[InputFieldOut] = Field(description="What to send in `data` with this step.")

    @staticmethod
    def resolve_label(transition) -> str:
        return str(transition.label)

    @staticmethod
    def resolve_input(transition) -> list:
        return list(transition.input.base_fields.items()) if transition.input else []


class TransitionIn(InputSchema):
    transition: str = Field(min_length=1, max_length=32, description="The step, e.g. `file` or `start`.")
    note: Text = Field("", max_length=10_000)
    data: dict[str, Any] = Field(
        default_factory=dict, description="The step's declared input (the case's `transitions[].input`)."
    )
    version: int | None = Field(
        None, ge=1, description="The version you saw, when you cannot send `If-Match`."
    )


class ConflictOut(Schema):
    detail: str
    current_version: int


class ReasonIn(InputSchema):
    reason: Text = Field(min_length=1, max_length=500, description="Why; kept in the audit log.")


class UnlockOut(Schema):
    username: str
    was_locked: bool


class MeOut(Schema):
    username: str
    full_name: str
    role: str
    role_label: str
    is_superuser: bool
    postings: list[PostingOut]

    @staticmethod
    def resolve_role_label(user) -> str:
        return str(Role(user.role).label) if user.role in Role.values else user.role

    @staticmethod
    def resolve_postings(user) -> list:
        return sorted(user.postings.select_related("unit", "grid"), key=lambda posting: posting.path)


# --- grids ------------------------------------------------------------------------------------


class Point(Schema):
    lon: float
    lat: float


class GridOut(Schema):
    code: str
    name: str
    community: DivisionRef
    district: UnitRef
    station: UnitRef
    area_km2: float
    centroid: Point
    is_active: bool
    updated_at: dt.datetime

    @staticmethod
    def resolve_station(grid):
        return grid.district.parent

    @staticmethod
    def resolve_centroid(grid) -> dict:
        return {"lon": grid.centroid_lon, "lat": grid.centroid_lat}


class GridFeature(Schema):
    """A grid as a GeoJSON Feature (RFC 7946): its outline, and the grid's fields as properties."""

    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict[str, Any]
    properties: GridOut

    @staticmethod
    def of(grid) -> dict:
        """The data of a grid's Feature, for the response to validate and serialise."""
        return {"type": "Feature", "id": grid.code, "geometry": grid.geometry, "properties": grid}


class GridFilters(InputSchema):
    community: str | None = Field(
        None, pattern=COMMUNITY_CODE, description="The 12-digit division code of a village/community."
    )
    district: str | None = Field(
        None,
        pattern=DISTRICT_REF,
        max_length=200,
        description="A police district: its path (640300/640302/ps01/d01) or its code (d01, which may "
        "name districts of several stations).",
    )


class GridCreateIn(InputSchema):
    code: str = Field(
        pattern=GRID_CODE, description="The community's 12-digit code and a 2–3 digit sequence."
    )
    name: Text = Field(min_length=1, max_length=100)
    community: str = Field(pattern=COMMUNITY_CODE, description="The 12-digit code of the village/community.")
    district: str = Field(pattern=DISTRICT_REF, max_length=200, description="The police district's path.")
    geometry: dict[str, Any] = Field(description="A GeoJSON Polygon or MultiPolygon, WGS-84.")


class GridPatchIn(InputSchema):
    """Only the fields sent change; ``null`` is not a value any of them takes."""

    name: Text = Field(None, min_length=1, max_length=100)
    community: str = Field(None, pattern=COMMUNITY_CODE)
    district: str = Field(None, pattern=DISTRICT_REF, max_length=200)
    geometry: dict[str, Any] = Field(None)
    is_active: bool = Field(None, strict=True)


# --- locate -----------------------------------------------------------------------------------


class LocateIn(InputSchema):
    lon: float = Field(
        ge=-180, le=180, strict=True, allow_inf_nan=False, description="Longitude, WGS-84 degrees."
    )
    lat: float = Field(
        ge=-90, le=90, strict=True, allow_inf_nan=False, description="Latitude, WGS-84 degrees."
    )


class LocateOut(Schema):
    """The grid a point falls in. ``in_scope`` false: the grid is not one of the caller's, and only
    its code and community (public administrative facts) are given, so the case can be handed on."""

    code: str
    in_scope: bool
    community: DivisionRef
    name: str | None = None
    district: UnitRef | None = None
    station: UnitRef | None = None
