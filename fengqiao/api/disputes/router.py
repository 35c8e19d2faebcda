"""The mediation ledger through the API: the ledger (with the same filters as the page and every
statistics link), a dispute, registration, its steps, the statistics and the quota board. Every
change goes through ``disputes.actions``; a dispute outside the caller's scope is 404, exactly like
a missing one. A step is taken against the version the caller saw, as an event's is (api/cases.py).
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status

from fengqiao.api import cases
from fengqiao.api.disputes.schemas import (
    DisputeIn,
    DisputeListItem,
    DisputeOut,
    DisputeStatisticsOut,
    QuotaOut,
)
from fengqiao.api.pagination import LimitOffset, paginate
from fengqiao.api.schemas import ERRORS, ConflictOut, ErrorOut, TransitionIn
from fengqiao.disputes import actions, stats
from fengqiao.disputes import selectors as ledger
from fengqiao.disputes.actions import PartyData, Registration
from fengqiao.geo.models import Grid

router = Router(tags=["disputes"])


def _require_staff(user) -> None:
    if not actions.may_register(user):
        raise PermissionDenied(_("The ledger is for staff."))


def _detail(request, dispute, response: HttpResponse):
    """The dispute, its version in the ``ETag`` (DisputeOut shows it as the caller may see it)."""
    response["ETag"] = cases.etag(dispute.version)
    return dispute


def _figures(row) -> dict:
    return {
        "key": row.key,
        "label": row.label,
        "found": row.current.found,
        "resolved": row.current.resolved,
        "rate": row.current.rate,
        "rate_reliable": row.current.share.reliable,
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


@router.get("", response={200: list[DisputeListItem], **ERRORS}, url_name="disputes", summary="The ledger")
@paginate(LimitOffset)
def list_disputes(request):
    """Filters as on the ledger page: status, outcome, category, source, grade, unit, grid,
    assignee, lead_in, opened_from/to, outcome_from/to, kept, repeated, flagged, agreement,
    performed, overdue, q."""
    _require_staff(request.auth)
    disputes = ledger.DisputeFilter.from_params(request.GET).apply(ledger.disputes_for(request.auth))
    return disputes.select_related("grid").order_by("-opened_at", "-pk")


@router.post(
    "", response={201: DisputeOut, **ERRORS}, url_name="dispute-register", summary="Register a dispute"
)
def register(request, body: DisputeIn, response: HttpResponse):
    user = request.auth
    grid = Grid.objects.visible_to(user).filter(code=body.grid, is_active=True).first()
    if grid is None:
        raise ValidationError({"grid": [_("Choose a grid in your area.")]})
    fields = body.dict(exclude={"grid", "parties"})
    registration = Registration(grid=grid, parties=[PartyData(**p.dict()) for p in body.parties], **fields)
    dispute = actions.register_dispute(registration, actor=user)
    return Status(201, _detail(request, ledger.dispute_for(user, dispute.number), response))


@router.get("/statistics", response={200: DisputeStatisticsOut, **ERRORS}, summary="Statistics")
def statistics(request, start: dt.date | None = None, end: dt.date | None = None):
    _require_staff(request.auth)
    today = timezone.localdate()
    result = stats.statistics(request.auth, start=start or today.replace(month=1, day=1), end=end or today)
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
    _require_staff(request.auth)
    board = ledger.quota_board(request.auth, ledger.parse_month(month))
    return {
        "month": board.month,
        "quota": board.quota,
        "officers": [_quota_row(r) for r in board.officers],
        "stations": [_quota_row(r) for r in board.stations],
        "counties": [_quota_row(r) for r in board.counties],
    }


@router.get("/{number}", response={200: DisputeOut, **ERRORS}, url_name="dispute", summary="One dispute")
def detail(request, number: str, response: HttpResponse):
    """A dispute with the steps the caller may take; the ``ETag`` is its version."""
    return _detail(request, ledger.dispute_for(request.auth, number), response)


@router.post(
    "/{number}/transitions",
    response={200: DisputeOut, 412: ConflictOut, 428: ErrorOut, **ERRORS},
    url_name="dispute-transition",
    summary="Take a step of a dispute",
    openapi_extra=cases.IF_MATCH_PARAMETER,
)
def move(request, number: str, payload: TransitionIn, response: HttpResponse):
    """Take one step (``start``, ``record_session``, ``record_agreement``, ``resolve``, ...) against
    the version the caller saw, with the input the step declares (its ``transitions[].input``):
    412 when someone moved the dispute since, 428 without a version."""
    dispute = ledger.dispute_for(request.auth, number)
    refused = cases.move(request, dispute, payload, response, take=actions.move)
    if refused is not None:
        return refused
    return _detail(request, ledger.dispute_for(request.auth, number), response)
