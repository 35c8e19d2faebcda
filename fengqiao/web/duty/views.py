"""Duty rosters' pages: the rosters of the user's units, a roster's timeline with its coverage gaps,
the solver's proposal, and the exports (XLSX, iCalendar).

Thin: read through ``duty.selectors`` (always scoped), change through ``duty.actions``, render. A
roster outside the reader's scope is a 404 like a missing one.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.core.casework import Conflict, NotAvailable
from fengqiao.duty import actions, exports, selectors, swaps
from fengqiao.duty.choices import ProposalStatus, SwapStatus
from fengqiao.duty.coverage import timeline
from fengqiao.web.duty import forms
from fengqiao.web.events.forms import TransitionForm
from fengqiao.web.events.views import describe, held_back, timeline_rows
from fengqiao.web.menu import requires


@require_http_methods(["GET", "POST"])
@login_required
@requires("duty")
def roster_list(request):
    user = request.user
    form = None
    if actions.may_plan(user):
        form = forms.RosterForm(
            user, request.POST or None, initial={"month": timezone.localdate().replace(day=1)}
        )
        if request.method == "POST" and form.is_valid():
            try:
                roster = actions.create_roster(
                    actor=user, unit=form.cleaned_data["unit"], month=form.cleaned_data["month"]
                )
            except ValidationError as error:
                form.add_action_errors(error)
            else:
                return redirect("roster_detail", roster.pk)
    elif request.method == "POST":
        raise PermissionDenied(_("Rosters are planned by the station and the bureaus."))
    return render(
        request,
        "web/duty/list.html",
        {
            "rosters": selectors.rosters_for(user)[:100],
            "shifts": selectors.shifts_for(user),
            "rules": selectors.rules_for(user),
            "form": form,
        },
    )


@require_GET
@login_required
def roster_detail(request, pk: int):
    roster = selectors.roster_for(request.user, pk)
    problem, slots, breaches = selectors.check_roster(roster)
    return render(
        request,
        "web/duty/roster.html",
        {
            "roster": roster,
            "problem": problem,
            "days": [problem.date(d) for d in range(problem.days)],
            "rows": selectors.grid_of(problem, slots),
            "timeline": timeline(problem, slots, breaches),
            "breaches": breaches,
            "slots": len(slots),
            "may_plan": actions.may_plan(request.user),
            "proposing": roster.proposal_status == ProposalStatus.QUEUED,
            "conflicts": roster.proposal.get("conflicts", [])
            if roster.proposal_status in (ProposalStatus.INFEASIBLE, ProposalStatus.FAILED)
            else [],
        },
    )


@require_GET
@login_required
def roster_proposal_status(request, pk: int):
    """The fragment the roster page polls while the worker proposes; once it has answered, the
    page reloads to show the roster or the rules in conflict."""
    roster = selectors.roster_for(request.user, pk)
    if roster.proposal_status == ProposalStatus.QUEUED:
        return render(request, "web/duty/_proposing.html", {"roster": roster})
    response = HttpResponse(status=204)
    response["HX-Refresh"] = "true"
    return response


@require_POST
@login_required
def roster_propose(request, pk: int):
    roster = selectors.roster_for(request.user, pk)
    try:
        actions.queue_proposal(roster, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.info(request, _("The solver is proposing the roster; this page shows it when it is done."))
    return redirect("roster_detail", roster.pk)


@require_GET
@login_required
def roster_xlsx(request, pk: int):
    roster = selectors.roster_for(request.user, pk)
    problem, slots, _breaches = selectors.check_roster(roster)
    actions.record_export(roster, "xlsx", actor=request.user)
    response = HttpResponse(
        exports.roster_xlsx(problem, slots),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="roster-{roster.pk}-{roster.month:%Y%m}.xlsx"'
    return response


@require_GET
@login_required
def roster_ics(request, pk: int):
    roster = selectors.roster_for(request.user, pk)
    problem, slots, _breaches = selectors.check_roster(roster)
    actions.record_export(roster, "ics", actor=request.user)
    response = HttpResponse(
        exports.roster_ics(problem, slots, unit_name=roster.unit.name),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="roster-{roster.pk}-{roster.month:%Y%m}.ics"'
    return response


def _own(request):
    return selectors.own_assignments(request.user, timezone.localdate().replace(day=1))


@require_GET
@login_required
@requires("duty")
def my_shifts(request):
    today = timezone.localdate()
    return render(
        request,
        "web/duty/mine.html",
        {
            "assignments": _own(request),
            "today": today,
            "swaps": describe(
                selectors.swaps_for(request.user).filter(Q(requester=request.user) | Q(partner=request.user))[
                    :50
                ],
                request.user,
            ),
        },
    )


@require_GET
@login_required
@requires("duty")
def my_shifts_ics(request):
    response = HttpResponse(
        exports.own_ics(request.user, _own(request)), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="my-shifts.ics"'
    return response


# ---------------------------------------------------------------------------------------------
# shift swaps: asked from one's own shifts, agreed by the colleague, decided by the chief


@require_http_methods(["GET", "POST"])
@login_required
@requires("duty")
def swap_new(request, assignment: int):
    own = selectors.own_assignment(request.user, assignment)  # 404 for anyone else's
    colleagues, shifts = selectors.swap_offers(own)
    form = forms.SwapForm(colleagues, shifts, request.POST or None)
    if request.method == "POST" and form.is_valid():
        partner, theirs = form.chosen()
        try:
            swap = actions.request_swap(
                actor=request.user,
                assignment=own,
                partner=partner,
                partner_assignment=theirs,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            messages.success(
                request, _("%(number)s: your colleague has been asked.") % {"number": swap.number}
            )
            return redirect("swap_detail", swap.number)
    return render(
        request,
        "web/duty/swap_new.html",
        {"assignment": own, "form": form},
        status=400 if form.errors else 200,
    )


@require_GET
@login_required
@requires("duty")
def swap_list(request):
    swaps_ = describe(selectors.swaps_for(request.user)[:200], request.user)
    return render(request, "web/duty/swaps.html", {"swaps": swaps_})


def _swap_page(request, swap, *, posted=None, conflict="", page_errors=(), status=200):
    user = request.user
    describe([swap], user)
    moves = [
        posted if posted is not None and posted.transition.name == t.name else TransitionForm(swap, t, user)
        for t in swap.workflow.available(swap, user)
    ]
    check = None
    if swap.status == SwapStatus.AGREED and any(m.transition.name == "approve" for m in moves):
        # what approving would do, judged by the coverage check before the chief decides
        try:
            check = swaps.refusal(swaps.exchange_for(swap))
        except ValidationError as error:
            check = error.messages
    return render(
        request,
        "web/duty/swap.html",
        {
            "swap": swap,
            "timeline": timeline_rows(swap, user),
            "moves": moves,
            "held_back": held_back(swap, user),
            "check": check,
            "conflict": conflict,
            "page_errors": list(page_errors),
        },
        status=status,
    )


# Outside the parties and the scope, the same 404 as a missing request: no menu check.
@require_GET
@login_required
def swap_detail(request, number):
    return _swap_page(request, selectors.swap_for(request.user, number))


@require_POST
@login_required
def swap_move(request, number, name):
    user = request.user
    swap = selectors.swap_for(user, number)
    try:
        transition = swap.workflow.transition(name)
    except NotAvailable:
        raise Http404 from None
    form = TransitionForm(swap, transition, user, request.POST)
    if not form.is_valid():
        return _swap_page(request, swap, posted=form, status=400)
    try:
        moved = actions.move_swap(
            swap, name, actor=user, version=form.cleaned_data["version"], note=form.cleaned_data["note"]
        )
    except Conflict:
        message = _("Someone else changed this request while you were looking at it, so nothing was done.")
        return _swap_page(request, selectors.swap_for(user, number), conflict=message, status=409)
    except PermissionDenied as error:
        return _swap_page(request, swap, page_errors=[str(error) or _("You may not do this.")], status=403)
    except ValidationError as error:
        form.add_action_errors(error)
        return _swap_page(request, swap, posted=form, status=400)
    messages.success(
        request, _("%(number)s: %(step)s — done.") % {"number": moved.number, "step": transition.label}
    )
    return redirect("swap_detail", moved.number)


# ---------------------------------------------------------------------------------------------
# the planner's desk: shift templates, rules and leave (lists for staff, forms for planners)


def _require_planner_post(request) -> None:
    if request.method == "POST" and not actions.may_plan(request.user):
        raise PermissionDenied(_("Rosters are planned by the station and the bureaus."))


def _save(form, save) -> bool:
    """Call the action with the form's values; its errors land on the fields they name."""
    if not form.is_valid():
        return False
    try:
        save(form.cleaned_data)
    except ValidationError as error:
        form.add_action_errors(error)
        return False
    return True


def _shift_values(data) -> dict:
    return {k: data[k] for k in ("unit", "code", "name", "kind", "start", "hours")}


def _rule_values(data) -> dict:
    return {k: data[k] for k in ("unit", "kind", "value", "area", "weekdays", "start_hour", "end_hour")}


@require_http_methods(["GET", "POST"])
@login_required
@requires("duty")
def shift_list(request):
    """The shift templates of the user's units; a planner adds one here."""
    return _shift_page(request, None)


# One template's page: outside the scope the same 404 as a missing one, before any role check.
@require_http_methods(["GET", "POST"])
@login_required
def shift_edit(request, pk: int):
    return _shift_page(request, selectors.shift_for(request.user, pk))


def _shift_page(request, shift):
    user = request.user
    _require_planner_post(request)
    form = None
    if actions.may_plan(user):
        initial = {} if shift is None else {**_shift_values(vars(shift) | {"unit": shift.unit})}
        form = forms.ShiftForm(user, request.POST or None, initial=initial)
        if request.method == "POST" and _save(
            form, lambda d: actions.save_shift(actor=user, shift=shift, **_shift_values(d))
        ):
            messages.success(request, _("Saved."))
            return redirect("shift_list")
    return render(
        request,
        "web/duty/shifts.html",
        {"shifts": selectors.shifts_for(user), "form": form, "editing": shift},
        status=400 if form is not None and form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
@requires("duty")
def rule_list(request):
    """The rules of the user's units' rosters; a planner adds one here."""
    return _rule_page(request, None)


@require_http_methods(["GET", "POST"])
@login_required
def rule_edit(request, pk: int):
    return _rule_page(request, selectors.rule_for(request.user, pk))


def _rule_page(request, rule):
    user = request.user
    _require_planner_post(request)
    form = None
    if actions.may_plan(user):
        initial = {}
        if rule is not None:
            initial = _rule_values(vars(rule) | {"unit": rule.unit, "area": rule.area})
        form = forms.RuleForm(user, request.POST or None, initial=initial)
        if request.method == "POST" and _save(
            form, lambda d: actions.save_rule(actor=user, rule=rule, **_rule_values(d))
        ):
            messages.success(request, _("Saved."))
            return redirect("rule_list")
    return render(
        request,
        "web/duty/rules.html",
        {"rules": selectors.rules_for(user), "form": form, "editing": rule},
        status=400 if form is not None and form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
@requires("duty")
def leave_list(request):
    """Leave recorded in the user's units; a planner records more here."""
    user = request.user
    _require_planner_post(request)
    form = None
    if actions.may_plan(user):
        form = forms.LeaveForm(user, request.POST or None)
        if request.method == "POST" and _save(form, lambda d: actions.record_leave(actor=user, **d)):
            messages.success(request, _("Saved."))
            return redirect("leave_list")
    return render(
        request,
        "web/duty/leave.html",
        {"leave": selectors.leave_for(user)[:300], "form": form},
        status=400 if form is not None and form.errors else 200,
    )
