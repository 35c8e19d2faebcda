"""The mediation ledger's API schemas: what a dispute, its statistics and the quota board look like."""

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from fengqiao.api.schemas import InputSchema, Text, TransitionOut
from fengqiao.disputes.actions import verification_path
from fengqiao.registry.selectors import shown_id_number


class PartyIn(InputSchema):
    role: str = Field(description="applicant or respondent")
    name: Text = ""
    id_number: Text = Field("", description="checked against GB 11643; links the registry's person in scope")
    phone: Text = ""
    address: Text = ""


class DisputeIn(InputSchema):
    title: Text
    grid: str = Field(description="the grid's code")
    source: str
    category: str
    grade: str
    facts: Text
    points: Text
    parties: list[PartyIn]
    people_count: int | None = None
    amount: Decimal = Decimal(0)
    place: Text = ""
    kept_from_criminal: bool = False
    kind: str = Field(
        "people",
        description="people (人民调解), public_order (治安调解: minor public-order cases), joint (警调联动)",
    )
    committee: Text = Field(
        "", description="the people's mediation committee; empty: that of the grid's village or community"
    )


class PartyOut(Schema):
    role: str
    name: str
    id_number: str
    linked: bool


class DisputeListItem(Schema):
    number: str
    title: str
    status: str
    outcome: str
    category: str
    source: str
    grade: str
    kind: str
    grid: str = Field(description="The grid's code.")

    @staticmethod
    def resolve_grid(dispute) -> str:
        return dispute.grid.code

    opened_at: dt.datetime
    due_at: dt.datetime | None
    version: int
    flagged: bool
    repeated: bool


class AgreementOut(Schema):
    serial: str
    form: str
    signed_on: dt.date
    perform_by: dt.date
    performance: str
    verify_url: str


class DisputeOut(DisputeListItem):
    facts: str
    points: str
    people_count: int
    amount: Decimal
    kept_from_criminal: bool
    committee: str
    to_punishment: bool = Field(
        description="A public-order mediation handed over to the punishment procedure."
    )
    assignee: str | None
    parties: list[PartyOut]
    agreement: AgreementOut | None
    transitions: list[TransitionOut] = Field(description="The steps the caller may take now.")

    @staticmethod
    def resolve_assignee(dispute) -> str | None:
        return dispute.assignee.get_username() if dispute.assignee else None

    @staticmethod
    def resolve_parties(dispute, context) -> list[dict]:
        user = context["request"].auth
        return [
            {
                "role": p.role,
                "name": p.name,
                "id_number": shown_id_number(user, p.id_number) if p.id_number else "",
                "linked": p.person_id is not None,
            }
            for p in dispute.parties.all()
        ]

    @staticmethod
    def resolve_agreement(dispute, context):
        agreement = getattr(dispute, "agreement", None)
        if agreement is not None:
            agreement.verify_url = context["request"].build_absolute_uri(verification_path(agreement))
        return agreement

    @staticmethod
    def resolve_transitions(dispute, context) -> list:
        return dispute.workflow.available(dispute, context["request"].auth)


class FiguresOut(Schema):
    key: str
    label: str
    found: int
    resolved: int
    rate: float | None
    rate_reliable: bool = Field(
        description="False when found is below FENGQIAO_RATE_MIN_CASES: the rate is not to compare or rank."
    )
    amount: Decimal
    performed: int
    kept: int
    found_last_year: int
    resolved_last_year: int
    found_yoy: float | None
    links: dict


class DisputeStatisticsOut(Schema):
    start: dt.date
    end: dt.date
    total: FiguresOut
    by_category: list[FiguresOut]
    by_source: list[FiguresOut]
    by_grade: list[FiguresOut]
    by_jurisdiction: list[FiguresOut]
    by_month: list[FiguresOut]


class QuotaRowOut(Schema):
    label: str
    path: str
    resolved: int
    quota: int
    officers: int
    met: int
    link: str


class QuotaOut(Schema):
    month: dt.date
    quota: int
    officers: list[QuotaRowOut]
    stations: list[QuotaRowOut]
    counties: list[QuotaRowOut]
