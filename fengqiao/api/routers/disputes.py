"""The mediation ledger through the API: the ledger (with the same filters as the page and every
statistics link), a dispute, registration, moves, sessions, the agreement, the statistics and the
quota board. Every change goes through ``disputes.actions``; a dispute outside the caller's scope
is 404, exactly like a missing one.

Mounted by ``api.add_router("/disputes", disputes.router)``; :func:`build_router` makes a fresh
router for an API of one's own (ninja attaches a router to one API only).
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from fengqiao.api.schemas import ErrorOut, InputSchema, Text
from fengqiao.disputes import actions, stats
from fengqiao.disputes import selectors as ledger
from fengqiao.disputes.actions import PartyData, Registration
from fengqiao.geo.models import Grid
from fengqiao.registry.selectors import shown_id_number

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
MAX_LIMIT = 200


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
    grid: str
    opened_at: dt.datetime
    due_at: dt.datetime | None
    version: int
    flagged: bool
    repeated: bool


class DisputeOut(DisputeListItem):
    facts: str
    points: str
    people_count: int
    amount: Decimal
    kept_from_criminal: bool
    assignee: str | None
    parties: list[PartyOut]
    agreement: str | None
    steps: list[str]


class MoveIn(InputSchema):
    transition: str
    version: int | None = None
    note: Text = ""
    data: dict = {}


class SessionIn(InputSchema):
    held_on: dt.date
    place: Text
    participants: Text
    minutes: Text


class AgreementIn(InputSchema):
    form: str = "written"
    terms: Text
    performance_method: Text
    perform_by: dt.date
    signed_on: dt.date | None = None


class AgreementOut(Schema):
    serial: str
    form: str
    signed_on: dt.date
    perform_by: dt.date
    performance: str
    verify_url: str


class FiguresOut(Schema):
    key: str
    label: str
    found: int
    resolved: int
    rate: float | None
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


class PageOut(Schema):
    items: list[DisputeListItem]
    count: int
    limit: int
    offset: int


def _require_staff(user) -> None:
    if not actions.may_register(user):
        raise PermissionDenied(_("The ledger is for staff."))


def _item(d) -> dict:
    return {
        "number": d.number,
        "title": d.title,
        "status": d.status,
        "outcome": d.outcome,
        "category": d.category,
        "source": d.source,
        "grade": d.grade,
        "grid": d.grid.code,
        "opened_at": d.opened_at,
        "due_at": d.due_at,
        "version": d.version,
        "flagged": d.flagged,
        "repeated": d.repeated,
    }


def _detail(user, d) -> dict:
    agreement = getattr(d, "agreement", None) if hasattr(d, "agreement") else None
    return {
        **_item(d),
        "facts": d.facts,
        "points": d.points,
        "people_count": d.people_count,
        "amount": d.amount,
        "kept_from_criminal": d.kept_from_criminal,
        "assignee": d.assignee.get_username() if d.assignee else None,
        "parties": [
            {
                "role": p.role,
                "name": p.name,
                "id_number": shown_id_number(user, p.id_number) if p.id_number else "",
                "linked": p.person_id is not None,
            }
            for p in d.parties.all()
        ],
        "agreement": agreement.serial if agreement else None,
        "steps": [t.name for t in d.workflow.available(d, user)],
    }


def _figures(row) -> dict:
    return {
        "key": row.key,
        "label": row.label,
        "found": row.current.found,
        "resolved": row.current.resolved,
        "rate": row.current.rate,
        "amount": row.current.amount,
        "performed": row.current.performed,
        "kept": row.current.kept,
        "found_last_year": row.last_year.found,
        "resolved_last_year": row.last_year.resolved,
        "found_yoy": row.found_yoy,
        "links": row.links,
    }


def _quota_row(row) -> dict:
    return {k: getattr(row, k) for k in ("label", "path", "resolved", "quota", "officers", "met", "link")}


def build_router() -> Router:
    router = Router(tags=["disputes"])

    @router.get("", response={200: PageOut, **ERRORS}, summary="The ledger")
    def list_disputes(request, limit: int = 50, offset: int = 0):
        """Filters as on the ledger page: status, outcome, category, source, grade, unit, grid,
        assignee, lead_in, opened_from/to, outcome_from/to, kept, repeated, flagged, agreement,
        performed, overdue, q."""
        _require_staff(request.user)
        limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
        qs = ledger.DisputeFilter.from_params(request.GET).apply(ledger.disputes_for(request.user))
        qs = qs.order_by("-opened_at", "-pk")
        return {
            "items": [_item(d) for d in qs[offset : offset + limit]],
            "count": qs.count(),
            "limit": limit,
            "offset": offset,
        }

    @router.post("", response={201: DisputeOut, **ERRORS}, summary="Register a dispute")
    def register(request, body: DisputeIn):
        user = request.user
        grid = Grid.objects.visible_to(user).filter(code=body.grid, is_active=True).first()
        if grid is None:
            raise ValidationError({"grid": [_("Choose a grid in your area.")]})
        reg = Registration(
            title=body.title,
            source=body.source,
            category=body.category,
            grade=body.grade,
            grid=grid,
            facts=body.facts,
            points=body.points,
            parties=[PartyData(**p.dict()) for p in body.parties],
            people_count=body.people_count,
            amount=body.amount,
            place=body.place,
            kept_from_criminal=body.kept_from_criminal,
        )
        dispute = actions.register_dispute(reg, actor=user)
        return Status(201, _detail(user, ledger.dispute_for(user, dispute.number)))

    @router.get("/statistics", response={200: DisputeStatisticsOut, **ERRORS}, summary="Statistics")
    def statistics(request, start: dt.date | None = None, end: dt.date | None = None):
        _require_staff(request.user)
        today = timezone.localdate()
        result = stats.statistics(
            request.user, start=start or today.replace(month=1, day=1), end=end or today
        )
        return {
            "start": result.start,
            "end": result.end,
            "total": _figures(result.total),
            **{
                name: [_figures(r) for r in getattr(result, name)]
                for name in ("by_category", "by_source", "by_grade", "by_jurisdiction", "by_month")
            },
        }

    @router.get("/quota", response={200: QuotaOut, **ERRORS}, summary="The quota board")
    def quota(request, month: str = ""):
        _require_staff(request.user)
        board = ledger.quota_board(request.user, ledger.parse_month(month))
        return {
            "month": board.month,
            "quota": board.quota,
            "officers": [_quota_row(r) for r in board.officers],
            "stations": [_quota_row(r) for r in board.stations],
            "counties": [_quota_row(r) for r in board.counties],
        }

    @router.get("/{number}", response={200: DisputeOut, **ERRORS}, summary="One dispute")
    def detail(request, number: str):
        return _detail(request.user, ledger.dispute_for(request.user, number))

    @router.post("/{number}/transitions", response={200: DisputeOut, **ERRORS}, summary="Move a dispute")
    def move(request, number: str, body: MoveIn):
        from fengqiao.core.casework import Conflict

        user = request.user
        dispute = ledger.dispute_for(user, number)
        try:
            actions.move(
                dispute, body.transition, actor=user, version=body.version, note=body.note, data=body.data
            )
        except Conflict as conflict:
            return Status(409, {"detail": str(conflict)})
        return _detail(user, ledger.dispute_for(user, number))

    @router.post("/{number}/sessions", response={201: DisputeOut, **ERRORS}, summary="Record a session")
    def session(request, number: str, body: SessionIn):
        user = request.user
        dispute = ledger.dispute_for(user, number)
        actions.move(dispute, "record_session", actor=user, version=None, data=body.dict())
        return Status(201, _detail(user, ledger.dispute_for(user, number)))

    @router.post(
        "/{number}/agreement", response={200: AgreementOut, **ERRORS}, summary="Record the agreement"
    )
    def agreement(request, number: str, body: AgreementIn):
        user = request.user
        dispute = ledger.dispute_for(user, number)
        made = actions.move(dispute, "record_agreement", actor=user, version=None, data=body.dict()).agreement
        return {
            "serial": made.serial,
            "form": made.form,
            "signed_on": made.signed_on,
            "perform_by": made.perform_by,
            "performance": made.performance,
            "verify_url": request.build_absolute_uri(actions.verification_path(made)),
        }

    return router


router = build_router()
