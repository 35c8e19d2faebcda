"""Every change to duty rosters: shift templates, rules, leave, a month's roster and the solver's
proposal. One function per operation, atomic, with its permission check and audit entry."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fengqiao.accounts.models import User
from fengqiao.core import audit, casework
from fengqiao.core.roles import Role
from fengqiao.core.scoping import OutOfScope, is_staff, is_under, scope_prefixes
from fengqiao.duty import selectors
from fengqiao.duty.choices import ProposalStatus, RuleKind, ShiftKind
from fengqiao.duty.models import Assignment, DutyRule, Leave, Roster, ShiftTemplate, SwapRequest
from fengqiao.duty.solver import Proposal, propose
from fengqiao.duty.workflow import too_late
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import PoliceUnit

SHIFT_SAVE = audit.register("duty_shift_save", "saved a shift template")
RULE_SAVE = audit.register("duty_rule_save", "saved a duty rule")
LEAVE_SAVE = audit.register("duty_leave", "recorded leave")
ROSTER_CREATE = audit.register("duty_roster_create", "created a roster")
ROSTER_PROPOSE = audit.register("duty_roster_propose", "had the solver propose a roster")
ROSTER_EXPORT = audit.register("duty_roster_export", "exported a roster")
SWAP_ASK = audit.register("duty_swap_ask", "asked to swap a shift")

PLANNERS = {Role.CITY_COMMAND, Role.COUNTY_BUREAU, Role.STATION}


def may_see_rosters(user) -> bool:
    return is_staff(user)


def may_plan(user) -> bool:
    """The chief's desk: shift templates, rules, leave and rosters of their units."""
    return is_staff(user) and (user.is_superuser or user.role in PLANNERS)


def _require_planner(actor) -> None:
    if not may_plan(actor):
        raise PermissionDenied(_("Rosters are planned by the station and the bureaus."))


def _unit_in_scope(actor, unit: PoliceUnit | None, field: str = "unit") -> PoliceUnit:
    prefixes = scope_prefixes(actor)
    if unit is None or not (prefixes is None or any(is_under(unit.path, p) for p in prefixes)):
        raise ValidationError({field: [_("Choose a unit in your area.")]})
    return unit


def _roster_unit(actor, unit) -> PoliceUnit:
    unit = _unit_in_scope(actor, unit)
    if unit.kind not in (UnitKind.STATION, UnitKind.DISTRICT):
        raise ValidationError({"unit": [_("Rosters are kept by police stations and districts.")]})
    return unit


@transaction.atomic
def save_shift(
    *,
    actor,
    unit,
    code: str,
    name: str,
    start: dt.time,
    hours: int,
    kind: str = ShiftKind.REGULAR,
    shift: ShiftTemplate | None = None,
) -> ShiftTemplate:
    _require_planner(actor)
    if shift is not None and not shift.is_visible_to(actor):
        raise OutOfScope("shift template")
    unit = _roster_unit(actor, unit)
    errors = {}
    code, name = (code or "").strip(), (name or "").strip()
    if not code:
        errors["code"] = [_("This field is required.")]
    if not name:
        errors["name"] = [_("This field is required.")]
    if not isinstance(hours, int) or not 1 <= hours <= 24:
        errors["hours"] = [_("A shift lasts 1 to 24 hours.")]
    if start is None:
        errors["start"] = [_("This field is required.")]
    elif start.minute or start.second:
        errors["start"] = [_("Shifts start on the hour.")]
    if kind not in ShiftKind.values:
        errors["kind"] = [_("Unknown value: %(value)s.") % {"value": kind}]
    if errors:
        raise ValidationError(errors)
    shift = shift or ShiftTemplate()
    shift.unit, shift.code, shift.name, shift.start, shift.hours, shift.kind = (
        unit,
        code[:8],
        name[:64],
        start,
        hours,
        kind,
    )
    try:
        with transaction.atomic():
            shift.save()
    except IntegrityError:
        raise ValidationError({"code": [_("The unit has a shift with this short name already.")]}) from None
    audit.record(
        SHIFT_SAVE,
        shift,
        actor=actor,
        after={
            "code": shift.code,
            "name": shift.name,
            "start": start.isoformat(),
            "hours": hours,
            "kind": kind,
        },
    )
    return shift


@transaction.atomic
def save_rule(
    *,
    actor,
    unit,
    kind: str,
    value: int,
    area=None,
    weekdays=(),
    start_hour: int = 0,
    end_hour: int = 24,
    rule: DutyRule | None = None,
) -> DutyRule:
    _require_planner(actor)
    if rule is not None and not rule.is_visible_to(actor):
        raise OutOfScope("duty rule")
    unit = _roster_unit(actor, unit)
    errors = {}
    if kind not in RuleKind.values:
        raise ValidationError({"kind": [_("Unknown value: %(value)s.") % {"value": kind}]})
    if kind in (RuleKind.COVERAGE, RuleKind.RECEPTION):
        if area is None or not is_under(area.path, unit.path):
            errors["area"] = [_("Choose the unit itself or a police district under it.")]
        elif kind == RuleKind.RECEPTION and area.kind != UnitKind.DISTRICT:
            errors["area"] = [_("Reception hours are kept at a police district's office.")]
        if not 0 <= start_hour < end_hour <= 24:
            errors["end_hour"] = [_("The hours run from 0 to 24, the end after the start.")]
    else:
        area = None
    weekdays = sorted({int(d) for d in weekdays or ()})
    if any(not 0 <= d <= 6 for d in weekdays):
        errors["weekdays"] = [_("Weekdays are 0 (Monday) to 6 (Sunday).")]
    limits = {
        RuleKind.COVERAGE: 50,
        RuleKind.RECEPTION: 50,
        RuleKind.REST: 24,
        RuleKind.WEEKLY_HOURS: 168,
        RuleKind.DISTRICT_DAYS: 7,
    }
    if not isinstance(value, int) or not 1 <= value <= limits[RuleKind(kind)]:
        errors["value"] = [_("Give a whole number from 1 to %(n)s.") % {"n": limits[RuleKind(kind)]}]
    if errors:
        raise ValidationError(errors)
    rule = rule or DutyRule()
    rule.unit, rule.kind, rule.area, rule.value = unit, kind, area, value
    rule.weekdays, rule.start_hour, rule.end_hour = weekdays, start_hour, end_hour
    rule.save()
    audit.record(
        RULE_SAVE, rule, actor=actor, after={"kind": kind, "value": value, "area": area.path if area else ""}
    )
    return rule


@transaction.atomic
def record_leave(*, actor, unit, user: User, first_day: dt.date, last_day: dt.date, note: str = "") -> Leave:
    _require_planner(actor)
    unit = _roster_unit(actor, unit)
    if last_day < first_day:
        raise ValidationError({"last_day": [_("Leave ends on or after its first day.")]})
    if user.pk not in {p.pk for p in selectors.staff_of(unit)}:
        raise ValidationError({"user": [_("%(name)s does not work in this unit.") % {"name": user}]})
    leave = Leave.objects.create(
        unit=unit, user=user, first_day=first_day, last_day=last_day, note=(note or "")[:200]
    )
    audit.record(
        LEAVE_SAVE, leave, actor=actor, after={"user": user.pk, "from": first_day, "until": last_day}
    )
    return leave


@transaction.atomic
def create_roster(*, actor, unit, month: dt.date) -> Roster:
    _require_planner(actor)
    unit = _roster_unit(actor, unit)
    month = month.replace(day=1)
    try:
        with transaction.atomic():
            roster = Roster.objects.create(unit=unit, month=month, created_by=actor)
    except IntegrityError:
        raise ValidationError({"month": [_("The unit has a roster for this month already.")]}) from None
    audit.record(ROSTER_CREATE, roster, actor=actor, after={"unit": unit.path, "month": month})
    return roster


def propose_roster(
    roster: Roster, *, actor, seconds: float | None = None, first_only: bool = False
) -> Proposal:
    """Ask the solver for a roster meeting the rules; a feasible one replaces the draft's
    assignments (atomically), an infeasible one changes nothing and names the rules in conflict.
    The roster keeps the answer (``proposal_status``, ``proposal``) for its page."""
    _require_planner(actor)
    if not roster.is_visible_to(actor):
        raise OutOfScope("roster")
    problem = _solvable(roster)
    proposal = propose(problem, seconds=seconds or 10.0, first_only=first_only)
    with transaction.atomic():
        # one change to a roster's shifts at a time (a swap's approval takes the same lock)
        list(Roster.objects.visible_to(actor).select_for_update().filter(pk=roster.pk).order_by())
        roster.proposal_status = ProposalStatus.FEASIBLE if proposal.feasible else ProposalStatus.INFEASIBLE
        roster.proposal = {
            "shifts": len(proposal.slots),
            "seconds": round(proposal.seconds, 2),
            "conflicts": proposal.conflicts[:20],
            "status": proposal.status,
        }
        roster.save(update_fields=["proposal_status", "proposal", "updated_at"])
        if proposal.feasible:
            Assignment.objects.filter(roster=roster).delete()
            shifts = {
                s.pk: s
                for s in ShiftTemplate.objects.visible_to(actor).filter(
                    pk__in=[s.key for s in problem.shifts]
                )
            }
            areas = {
                u.path: u for u in PoliceUnit.objects.filter(path__in={slot.area for slot in proposal.slots})
            }
            Assignment.objects.bulk_create(
                Assignment(
                    roster=roster,
                    user_id=slot.person,
                    day=problem.date(slot.day),
                    shift=shifts[slot.shift],
                    area=areas[slot.area],
                )
                for slot in proposal.slots
            )
        audit.record(
            ROSTER_PROPOSE,
            roster,
            actor=actor,
            after={
                "feasible": proposal.feasible,
                "slots": len(proposal.slots),
                "conflicts": proposal.conflicts[:20],
            },
        )
    return proposal


def _solvable(roster: Roster):
    """The roster's problem, when the solver has something to work with."""
    problem = selectors.problem_for(roster)
    if not problem.people:
        raise ValidationError(_("Nobody works in %(unit)s: post staff there first.") % {"unit": roster.unit})
    if not problem.shifts:
        raise ValidationError(_("%(unit)s has no shift templates yet.") % {"unit": roster.unit})
    return problem


@transaction.atomic
def queue_proposal(roster: Roster, *, actor, first_only: bool = False) -> Roster:
    """Hand the solver's proposal to the worker (it takes up to ten seconds): the roster says
    "being proposed" until the worker has run :func:`propose_roster`."""
    from fengqiao.duty.tasks import propose_in_worker

    _require_planner(actor)
    if not roster.is_visible_to(actor):
        raise OutOfScope("roster")
    _solvable(roster)  # what cannot start is said now, not by the worker
    locked = Roster.objects.visible_to(actor).select_for_update().get(pk=roster.pk)
    if locked.proposal_status == ProposalStatus.QUEUED:
        raise ValidationError(_("The solver is working on this roster already."))
    locked.proposal_status, locked.proposal = ProposalStatus.QUEUED, {}
    locked.save(update_fields=["proposal_status", "proposal", "updated_at"])
    transaction.on_commit(lambda: propose_in_worker.enqueue(locked.pk, actor.pk, first_only))
    return locked


def proposal_failed(roster: Roster, message: str) -> None:
    """The worker could not propose (the staff or the shifts went in between): the page says why."""
    Roster.objects.unscoped(reason="duty: the worker marks its own proposal").filter(pk=roster.pk).update(
        proposal_status=ProposalStatus.FAILED, proposal={"conflicts": [message]}
    )


def record_export(roster: Roster, fmt: str, *, actor) -> None:
    audit.record(ROSTER_EXPORT, roster, actor=actor, after={"format": fmt})


# ---------------------------------------------------------------------------------------------
# shift swaps, on the casework kernel (duty.workflow)


def request_swap(
    *,
    actor,
    assignment: Assignment,
    partner: User,
    partner_assignment: Assignment | None = None,
    note: str = "",
) -> SwapRequest:
    """``actor`` asks to swap their ``assignment`` with ``partner``'s ``partner_assignment`` (the
    same roster), or, without one, to hand it to ``partner``. The colleague hears of it; nothing
    moves until the chief approves."""
    if assignment is None or assignment.user_id != actor.pk:
        raise ValidationError({"assignment": [_("Choose one of your own shifts.")]})
    roster = assignment.roster
    if (
        partner is None
        or partner.pk == actor.pk
        or partner.pk not in {u.pk for u in selectors.staff_of(roster.unit)}
    ):
        raise ValidationError({"partner": [_("Choose a colleague on the same roster.")]})
    if partner_assignment is not None and (
        partner_assignment.roster_id != roster.pk or partner_assignment.user_id != partner.pk
    ):
        raise ValidationError(
            {"partner_assignment": [_("Choose a shift of the colleague on the same roster.")]}
        )
    pending = SwapRequest.objects.unscoped(reason="duty: one open swap per shift").filter(
        requester=actor, roster=roster, day=assignment.day, status__in=SwapRequest.workflow.open_states
    )
    if pending.exists():
        raise ValidationError({"assignment": [_("You have asked to swap this shift already.")]})
    swap = SwapRequest(
        roster=roster,
        requester=actor,
        day=assignment.day,
        shift=assignment.shift,
        partner=partner,
        partner_day=partner_assignment.day if partner_assignment else None,
        partner_shift=partner_assignment.shift if partner_assignment else None,
        scope_path=roster.unit.path,
        holder_path=_posting_under(partner, roster.unit),
        assignee=partner,
    )
    if (late := too_late(swap)) is not None:
        raise ValidationError({"assignment": [str(late)]})
    mine = f"{assignment.day:%m-%d} {assignment.shift.code}"
    if partner_assignment is None:
        swap.title = _("%(name)s hands %(shift)s to %(other)s") % {
            "name": actor,
            "shift": mine,
            "other": partner,
        }
    else:
        swap.title = _("%(name)s %(shift)s ⇄ %(other)s %(theirs)s") % {
            "name": actor,
            "shift": mine,
            "other": partner,
            "theirs": f"{partner_assignment.day:%m-%d} {partner_assignment.shift.code}",
        }
    swap.title = swap.title[:200]

    def record(case):
        audit.record(
            SWAP_ASK,
            case,
            actor=actor,
            after={
                "roster": roster.pk,
                "day": case.day,
                "partner": partner.pk,
                "partner_day": case.partner_day,
            },
        )

    return casework.open_case(
        swap, actor=actor, county=roster.unit.path.split("/")[1], note=(note or "").strip(), record=record
    )


def _posting_under(user: User, unit: PoliceUnit) -> str:
    """Where the colleague is posted, under the roster's unit: the inbox of their place holds it."""
    for path in user.scope_paths():
        if is_under(path, unit.path):
            return path
    return unit.path


def move_swap(
    swap: SwapRequest, name: str, *, actor, version: int | None, note: str = "", data: dict | None = None
) -> SwapRequest:
    """A step of the swap, through the kernel (permission, timeline, audit, notifications)."""
    return casework.apply(swap, name, actor=actor, version=version, note=note, data=data)
