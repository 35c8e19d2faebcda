"""The outreach API's schemas. A group's bot webhook is never sent back: only whether it has one."""

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from fengqiao.api.schemas import InputSchema, RowId, Text


class GroupOut(Schema):
    id: int
    name: str
    platform: str
    grid: int | None = Field(None, alias="grid_id")
    unit: int | None = Field(None, alias="unit_id")
    community: str = Field(alias="community.code")
    members: int
    members_on: dt.date | None
    has_bot: bool
    is_active: bool


class GroupIn(InputSchema):
    name: Text = Field(max_length=100)
    platform: Text = Field(max_length=10)
    grid: RowId | None = None
    unit: RowId | None = None
    community: RowId | None = None
    members: int = Field(0, ge=0)
    webhook_url: Text = Field("", max_length=500)


class CountIn(InputSchema):
    members: int = Field(ge=0)
    counted_on: dt.date | None = None


class CampaignOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    status: str
    send_at: dt.datetime | None
    sent_at: dt.datetime | None
    recipients: int
    delivered: int
    failed: int


class ConsultationOut(Schema):
    id: int
    consulted_at: dt.datetime
    channel: str
    scam_type: str
    outcome: str
    summary: str
    amount_at_stake: Decimal
    amount_lost: Decimal
    grid: int | None = Field(None, alias="grid_id")
    unit: int | None = Field(None, alias="unit_id")
    event: str | None = Field(None, alias="event.number")


class ConsultationIn(InputSchema):
    channel: Text = Field(max_length=10)
    scam_type: Text = Field(max_length=20)
    summary: Text = Field(max_length=2000)
    outcome: Text = Field(max_length=12)
    grid: RowId | None = None
    unit: RowId | None = None
    consulted_at: dt.datetime | None = None
    resident_name: Text = Field("", max_length=64)
    resident_phone: Text = Field("", max_length=20)
    amount_at_stake: Decimal = Field(Decimal(0), ge=0, max_digits=12, decimal_places=2)
    amount_lost: Decimal = Field(Decimal(0), ge=0, max_digits=12, decimal_places=2)
