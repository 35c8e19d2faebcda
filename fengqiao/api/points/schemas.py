"""The points API's schemas: a redemption at the counter, a volunteer's balance and history."""

import datetime as dt

from ninja import Field, Schema

from fengqiao.api.schemas import InputSchema, Text


class RedemptionIn(InputSchema):
    member: int = Field(description="the volunteer (team member) redeeming")
    item: int = Field(description="the catalogue item handed over")
    idempotency_key: Text = Field(
        min_length=1,
        max_length=80,
        description="chosen by the client; the same key sent again answers the first redemption",
    )


class RedemptionOut(Schema):
    id: int
    member: int
    item: int
    points: int
    balance: int = Field(description="the volunteer's balance after the redemption")
    created_at: dt.datetime


class EntryOut(Schema):
    at: dt.datetime
    amount: int
    source: str
    description: str
    reason: str
    verified_by: str = Field(description="who verified it (谁记录谁证明)")


class BalanceOut(Schema):
    member: int
    name: str
    station: str
    balance: int
    entries: list[EntryOut] = Field(description="the newest 100 entries, newest first")


class BalanceListItem(Schema):
    member: int
    name: str
    station: str
    balance: int


class ItemOut(Schema):
    id: int
    name: str
    station: str
    partner: str
    price: int = Field(description="points")
    stock: int = Field(description="pieces on the shelf")
    reserved: int = Field(description="pieces reserved, waiting to be picked up")
    active: bool


class LedgerLeg(Schema):
    account: str
    amount: int


class TransactionOut(Schema):
    id: int
    at: dt.datetime
    station: str
    source: str
    member: int | None
    description: str
    reason: str
    verified_by: str = Field(description="who verified it (谁记录谁证明)")
    entries: list[LedgerLeg]


class MediationHelpIn(InputSchema):
    dispute: Text = Field(min_length=1, max_length=32, description="the dispute's number")
    member: int = Field(description="the volunteer (team member of the dispute's station) who helped")


class CreditOut(Schema):
    id: int
    member: int
    points: int = Field(description="the points credited (the station's rule, within the monthly cap)")
    description: str
    verified_by: str = Field(description="who confirmed it and answers for it (谁证明谁负责)")
    created_at: dt.datetime
