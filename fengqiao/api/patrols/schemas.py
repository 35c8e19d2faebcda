"""The patrol API's schemas: what a phone sends while patrolling, and what a patrol looks like."""

import datetime as dt
import uuid

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict

from fengqiao.api.schemas import InputSchema, Text
from fengqiao.patrols.rules import MAX_POINTS_PER_BATCH


class StartIn(InputSchema):
    id: uuid.UUID = Field(description="made by the phone; the same start sent again is the same patrol")
    started_at: dt.datetime | None = Field(None, description="the phone's time, with its offset")
    plan: int | None = Field(None, description="the plan patrolled, if any")


class PointIn(BaseModel):
    """One position. A plain pydantic model: a batch holds thousands, and ninja's Schema adds a
    validator per object that costs more than the rest of the upload."""

    model_config = ConfigDict(extra="forbid")

    seq: int = Field(
        ge=0, le=2**31 - 1, description="the phone's number for this position, unique in the patrol"
    )
    at: dt.datetime
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    accuracy: float | None = Field(None, ge=0, le=100_000)


class PointsIn(InputSchema):
    points: list[PointIn] = Field(max_length=MAX_POINTS_PER_BATCH)


class PointsOut(Schema):
    added: int = Field(description="positions new to the server (those sent before are skipped)")
    points: int = Field(description="positions the patrol now has")


class ScanIn(InputSchema):
    id: uuid.UUID
    code: Text = Field(max_length=32, description="the checkpoint's code, as its QR code reads")
    at: dt.datetime
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)


class ScanOut(Schema):
    id: uuid.UUID
    checkpoint: str = Field(description="the checkpoint's name")
    code: str
    at: dt.datetime
    in_window: bool

    @staticmethod
    def resolve_checkpoint(obj):
        return obj.checkpoint.name

    @staticmethod
    def resolve_code(obj):
        return obj.checkpoint.code


class FindingIn(InputSchema):
    id: uuid.UUID
    kind: str = Field(description="hazard or suspicious")
    description: Text = Field("", max_length=2000)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    at: dt.datetime | None = None


class FindingOut(Schema):
    id: uuid.UUID
    kind: str
    event: str = Field(description="the event's number")
    at: dt.datetime

    @staticmethod
    def resolve_event(obj):
        return obj.event.number


class EndIn(InputSchema):
    ended_at: dt.datetime | None = None


class PatrolOut(Schema):
    id: uuid.UUID
    patroller: str
    team: str | None
    plan: int | None = Field(None, alias="plan_id")
    started_at: dt.datetime
    ended_at: dt.datetime | None
    point_count: int
    distance_m: float
    hours: float
    track: dict | None = Field(description="GeoJSON Feature (LineString), WGS-84")

    @staticmethod
    def resolve_patroller(obj):
        return str(obj.patroller)

    @staticmethod
    def resolve_team(obj):
        return obj.team.name if obj.team_id else None


class PatrolListItem(Schema):
    id: uuid.UUID
    patroller: str
    team: str | None
    started_at: dt.datetime
    ended_at: dt.datetime | None
    point_count: int
    distance_m: float

    @staticmethod
    def resolve_patroller(obj):
        return str(obj.patroller)

    @staticmethod
    def resolve_team(obj):
        return obj.team.name if obj.team_id else None


class PhotoOut(Schema):
    id: uuid.UUID
    size: int
    content_type: str


# --- household visits (百万警进千万家) ------------------------------------------------------------


class VisitIn(InputSchema):
    target: str = Field(description="household or business")
    place: Text = Field(
        max_length=32, description="the home's standard address code, or the business's credit code"
    )
    met: Text = Field(max_length=200, description="who was met, e.g. 户主王某 (or that nobody was in)")
    visited_at: dt.datetime | None = Field(None, description="when; now if not given")
    notes: Text = Field("", max_length=2000, description="what was found")
    card_given: bool = Field(False, description="a contact card (警民联系卡) was left")
    finding_category: Text = Field(
        "",
        max_length=16,
        description="a finding's event category: it is reported to the grid",
    )
    finding_title: Text = Field("", max_length=200, description="the finding in a few words")


class VisitOut(Schema):
    id: int
    target: str
    place: str = Field(description="the home's address, or the business's name")
    code: str = Field(description="the home's standard address code, or the business's credit code")
    grid: str = Field(description="the grid's code")
    officer: str
    visited_at: dt.datetime
    met: str
    notes: str
    card_given: bool
    finding: str | None = Field(description="the number of the event the finding became")

    @staticmethod
    def resolve_place(obj):
        return obj.house.address.full_text if obj.house_id else obj.organisation.name

    @staticmethod
    def resolve_code(obj):
        return obj.house.address.code if obj.house_id else obj.organisation.credit_code

    @staticmethod
    def resolve_grid(obj):
        return obj.grid.code

    @staticmethod
    def resolve_officer(obj):
        return str(obj.officer)

    @staticmethod
    def resolve_finding(obj):
        return obj.finding.number if obj.finding_id else None
