"""Duty rosters through the API: a unit's rosters, one roster with its coverage check, creating a
month's roster and asking the solver for a proposal. Every change goes through ``duty.actions``; a
roster outside the caller's scope is 404, exactly like a missing one."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status

from fengqiao.accounts.models import User
from fengqiao.api import cases
from fengqiao.api.duty.schemas import (
    LeaveIn,
    ProposalOut,
    RosterIn,
    RosterListItem,
    RosterOut,
    RuleIn,
    RuleOut,
    ShiftIn,
    ShiftOut,
    SwapIn,
    SwapOut,
)
from fengqiao.api.pagination import LimitOffset, paginate
from fengqiao.api.schemas import ERRORS, ConflictOut, ErrorOut, RowId, TransitionIn
from fengqiao.duty import actions, selectors
from fengqiao.geo.models import PoliceUnit

router = Router(tags=["duty"])


def _require_staff(user) -> None:
    if not actions.may_see_rosters(user):
        raise PermissionDenied(_("Rosters are for staff."))


def _item(roster) -> dict:
    return {
        "id": roster.pk,
        "unit": roster.unit.path,
        "unit_name": roster.unit.name,
        "month": f"{roster.month:%Y-%m}",
        "status": roster.status,
    }


def _detail(roster) -> dict:
    problem, slots, breaches = selectors.check_roster(roster)
    shifts = {s.key: s for s in problem.shifts}
    names = {p.key: p.name for p in problem.people}
    return _item(roster) | {
        "assignments": [
            {
                "user": slot.person,
                "name": names.get(slot.person, ""),
                "day": problem.date(slot.day),
                "shift": shifts[slot.shift].code,
                "start": f"{shifts[slot.shift].start:02d}:00",
                "hours": shifts[slot.shift].hours,
                "area": slot.area,
            }
            for slot in sorted(slots, key=lambda s: (s.day, shifts[s.shift].start, s.person))
        ],
        "breaches": [
            {"rule": b.rule, "where": b.where, "when": b.when, "detail": b.detail} for b in breaches
        ],
        "proposal": _proposal(roster),
    }


def _proposal(roster) -> dict:
    return {
        "status": roster.proposal_status,
        "seconds": roster.proposal.get("seconds"),
        "shifts": roster.proposal.get("shifts"),
        "conflicts": roster.proposal.get("conflicts", []),
    }


@router.get("/rosters", response={200: list[RosterListItem], **ERRORS}, summary="Rosters")
@paginate(LimitOffset)
def list_rosters(request):
    _require_staff(request.auth)
    return [_item(r) for r in selectors.rosters_for(request.auth)]


@router.post("/rosters", response={201: RosterOut, **ERRORS}, summary="Create a month's roster")
def create(request, body: RosterIn):
    try:
        month = dt.date.fromisoformat(body.month + "-01")
    except ValueError:
        raise ValidationError({"month": [_("Give the month as YYYY-MM.")]}) from None
    unit = PoliceUnit.objects.filter(path=body.unit).first()
    roster = actions.create_roster(actor=request.auth, unit=unit, month=month)
    return Status(201, _detail(roster))


@router.get(
    "/rosters/{roster_id}", response={200: RosterOut, **ERRORS}, summary="A roster and its coverage check"
)
def detail(request, roster_id: RowId):
    # out of scope (a resident's is empty) is 404 before any role check
    return _detail(selectors.roster_for(request.auth, roster_id))


@router.post(
    "/rosters/{roster_id}/proposal",
    response={202: ProposalOut, **ERRORS},
    summary="Let the solver propose (in the worker)",
)
def proposal(request, roster_id: RowId, first: bool = False):
    """Queue the solver's proposal (up to 10 s in the worker); the roster's ``proposal`` says
    ``queued`` until it has answered, then ``feasible`` (its shifts replace the draft's) or
    ``infeasible`` with the rules in conflict. ``first=true``: the first roster that meets the
    rules, without balancing nights and weekends."""
    roster = selectors.roster_for(request.auth, roster_id)
    queued = actions.queue_proposal(roster, actor=request.auth, first_only=first)
    return Status(202, _proposal(queued))


def _unit(path: str) -> PoliceUnit | None:
    return PoliceUnit.objects.filter(path=path).first() if path else None


def _shift(shift) -> dict:
    return {
        "id": shift.pk,
        "unit": shift.unit.path,
        "code": shift.code,
        "name": shift.name,
        "start": f"{shift.start:%H:%M}",
        "hours": shift.hours,
        "kind": shift.kind,
    }


def _rule(rule) -> dict:
    return {
        "id": rule.pk,
        "unit": rule.unit.path,
        "kind": rule.kind,
        "value": rule.value,
        "area": rule.area.path if rule.area_id else "",
        "weekdays": rule.weekdays or [],
        "start_hour": rule.start_hour,
        "end_hour": rule.end_hour,
    }


@router.get("/shifts", response={200: list[ShiftOut], **ERRORS}, summary="Shift templates")
def list_shifts(request):
    _require_staff(request.auth)
    return [_shift(s) for s in selectors.shifts_for(request.auth)]


@router.post("/shifts", response={201: ShiftOut, **ERRORS}, summary="Add a shift template")
def add_shift(request, body: ShiftIn):
    shift = actions.save_shift(
        actor=request.auth,
        unit=_unit(body.unit),
        code=body.code,
        name=body.name,
        start=body.start,
        hours=body.hours,
        kind=body.kind,
    )
    return Status(201, _shift(shift))


@router.get("/rules", response={200: list[RuleOut], **ERRORS}, summary="The rules of the rosters")
def list_rules(request):
    _require_staff(request.auth)
    return [_rule(r) for r in selectors.rules_for(request.auth)]


@router.post("/rules", response={201: RuleOut, **ERRORS}, summary="Add a rule")
def add_rule(request, body: RuleIn):
    rule = actions.save_rule(
        actor=request.auth,
        unit=_unit(body.unit),
        kind=body.kind,
        value=body.value,
        area=_unit(body.area),
        weekdays=body.weekdays,
        start_hour=body.start_hour,
        end_hour=body.end_hour,
    )
    return Status(201, _rule(rule))


@router.post("/leave", response={201: dict, **ERRORS}, summary="Record leave")
def add_leave(request, body: LeaveIn):
    user = User.objects.filter(username=body.username).first()
    if user is None:
        raise ValidationError({"username": [_("No such user.")]})
    leave = actions.record_leave(
        actor=request.auth,
        unit=_unit(body.unit),
        user=user,
        first_day=body.first_day,
        last_day=body.last_day,
        note=body.note,
    )
    return Status(201, {"id": leave.pk, "first_day": leave.first_day, "last_day": leave.last_day})


# ---------------------------------------------------------------------------------------------
# shift swaps (the casework kernel: duty.workflow)


def _swap(swap, user) -> dict:
    return {
        "number": swap.number,
        "title": swap.title,
        "status": swap.status,
        "status_label": swap.status_label,
        "version": swap.version,
        "roster": swap.roster_id,
        "requester": swap.requester.get_username(),
        "day": swap.day,
        "shift": swap.shift.code,
        "partner": swap.partner.get_username(),
        "partner_day": swap.partner_day,
        "partner_shift": swap.partner_shift.code if swap.partner_shift_id else "",
        "steps": [
            {"name": t.name, "label": str(t.label), "needs_note": t.needs_note}
            for t in swap.workflow.available(swap, user)
        ],
    }


@router.get("/swaps", response={200: list[SwapOut], **ERRORS}, summary="Shift swap requests")
@paginate(LimitOffset)
def list_swaps(request):
    """The swaps the caller is a party to, and those of the rosters in their scope."""
    _require_staff(request.auth)
    return [_swap(s, request.auth) for s in selectors.swaps_for(request.auth)[:500]]


@router.post("/swaps", response={201: SwapOut, **ERRORS}, summary="Ask a colleague to swap a shift")
def ask_swap(request, body: SwapIn, response: HttpResponse):
    """Your shift on ``day`` for the colleague's on ``partner_day`` (or handed to them without
    one); the colleague agrees, then the chief approves."""
    user = request.auth
    _require_staff(user)
    mine = selectors.own_assignment_on(user, body.day)
    if mine is None:
        raise ValidationError({"day": [_("You have no shift on this day.")]})
    partner = User.objects.filter(username=body.partner, is_active=True).first()
    if partner is None:
        raise ValidationError({"partner": [_("No such user.")]})
    theirs = None
    if body.partner_day is not None:
        theirs = mine.roster.assignments.filter(user=partner, day=body.partner_day).first()
        if theirs is None:
            raise ValidationError({"partner_day": [_("The colleague has no shift on this day.")]})
    swap = actions.request_swap(
        actor=user, assignment=mine, partner=partner, partner_assignment=theirs, note=body.note
    )
    response["ETag"] = cases.etag(swap.version)
    return Status(201, _swap(selectors.swap_for(user, swap.number), user))


@router.get("/swaps/{number}", response={200: SwapOut, **ERRORS}, summary="One swap request")
def swap_detail(request, number: str, response: HttpResponse):
    swap = selectors.swap_for(request.auth, number)
    response["ETag"] = cases.etag(swap.version)
    return _swap(swap, request.auth)


@router.post(
    "/swaps/{number}/transitions",
    response={200: SwapOut, 412: ConflictOut, 428: ErrorOut, **ERRORS},
    summary="Take a step of a swap request",
    openapi_extra=cases.IF_MATCH_PARAMETER,
)
def move_swap(request, number: str, payload: TransitionIn, response: HttpResponse):
    """``agree`` / ``decline`` (the colleague), ``approve`` / ``refuse`` (the chief: an approval
    that would break a rule of the roster is 422 naming it), ``withdraw`` (who asked), against the
    version the caller saw."""
    swap = selectors.swap_for(request.auth, number)
    refused = cases.move(request, swap, payload, response, take=actions.move_swap)
    if refused is not None:
        return refused
    moved = selectors.swap_for(request.auth, number)
    response["ETag"] = cases.etag(moved.version)
    return _swap(moved, request.auth)
