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


class ProposalOut(Schema):
    """Where the solver's latest proposal stands: it runs in the worker."""

    status: str = Field(description="'' (not asked), queued, feasible, infeasible or failed")
    seconds: float | None = None
    shifts: int | None = None
    conflicts: list[str] = Field(
        default_factory=list, description="When infeasible: the rules, places and times that conflict."
    )


class RosterOut(RosterListItem):
    assignments: list[AssignmentOut]
    breaches: list[BreachOut] = Field(description="The coverage check: every gap or breach of a rule.")
    proposal: ProposalOut


class ShiftIn(InputSchema):
    unit: str = Field(description="the station's or police district's path")
    code: str = Field(max_length=8, description="the short name shown in the roster, e.g. 早")
    name: str = Field(max_length=64)
    start: dt.time = Field(description="when it starts, e.g. 08:00 (whole hours)")
    hours: int = Field(description="1 to 24; a shift may run past midnight")
    kind: str = Field("regular", description="regular, staggered or flexible")


class ShiftOut(Schema):
    id: int
    unit: str
    code: str
    name: str
    start: str
    hours: int
    kind: str


class RuleIn(InputSchema):
    unit: str = Field(description="the roster unit's path (a station or a police district)")
    kind: str = Field(description="coverage, reception, rest, weekly_hours or district_days")
    value: int = Field(
        description="people (coverage, reception), hours (rest, weekly_hours), days (district_days)"
    )
    area: str = Field(
        "", description="coverage and reception: the unit itself or a district under it (its path)"
    )
    weekdays: list[int] = Field([], description="0 = Monday … 6 = Sunday; empty: every day")
    start_hour: int = 0
    end_hour: int = 24


class RuleOut(Schema):
    id: int
    unit: str
    kind: str
    value: int
    area: str
    weekdays: list[int]
    start_hour: int
    end_hour: int


class LeaveIn(InputSchema):
    unit: str
    username: str
    first_day: dt.date
    last_day: dt.date
    note: str = Field("", max_length=200)


class SwapIn(InputSchema):
    day: dt.date = Field(description="the day of your own shift to swap")
    partner: str = Field(min_length=1, max_length=150, description="the colleague's username")
    partner_day: dt.date | None = Field(
        None, description="the day of the colleague's shift you take in exchange; empty: hand yours over"
    )
    note: str = Field("", max_length=500)


class SwapStepOut(Schema):
    name: str
    label: str
    needs_note: bool


class SwapOut(Schema):
    number: str
    title: str
    status: str
    status_label: str
    version: int
    roster: int
    requester: str
    day: dt.date
    shift: str
    partner: str
    partner_day: dt.date | None
    partner_shift: str
    steps: list[SwapStepOut]
