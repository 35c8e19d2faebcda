"""Duty rosters' API schemas."""

import datetime as dt

from ninja import Field, Schema

from fengqiao.api.schemas import InputSchema


class RosterIn(InputSchema):
    unit: str = Field(description="the station's or police district's path")
    month: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$", description="YYYY-MM")


class RosterListItem(Schema):
    id: int
    unit: str
    unit_name: str
    month: str
    status: str


class AssignmentOut(Schema):
    user: int
    name: str
    day: dt.date
    shift: str
    start: str
    hours: int
    area: str


class BreachOut(Schema):
    rule: str
    where: str
    when: str
    detail: str


class RosterOut(RosterListItem):
    assignments: list[AssignmentOut]
    breaches: list[BreachOut] = Field(description="The coverage check: every gap or breach of a rule.")


class ProposalOut(Schema):
    feasible: bool
    status: str
    seconds: float
    shifts: int
    conflicts: list[str] = Field(description="When infeasible: the rules, places and times that conflict.")
