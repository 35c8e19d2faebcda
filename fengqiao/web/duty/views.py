"""Duty rosters' pages: the rosters of the user's units, a roster's timeline with its coverage gaps,
the solver's proposal, and the exports (XLSX, iCalendar).

Thin: read through ``duty.selectors`` (always scoped), change through ``duty.actions``, render. A
roster outside the reader's scope is a 404 like a missing one.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.duty import actions, exports, selectors
from fengqiao.duty.coverage import timeline
from fengqiao.web.duty import forms
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
            "conflicts": request.session.pop(f"roster-{roster.pk}-conflicts", []),
        },
    )


@require_POST
@login_required
def roster_propose(request, pk: int):
    roster = selectors.roster_for(request.user, pk)
    try:
        proposal = actions.propose_roster(roster, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if proposal.feasible:
            messages.success(
                request,
                _("The solver proposed %(n)s shifts in %(s).1f s; the coverage check below judges them.")
                % {"n": len(proposal.slots), "s": proposal.seconds},
            )
        else:
            request.session[f"roster-{roster.pk}-conflicts"] = proposal.conflicts[:20]
            messages.error(request, _("No roster can meet every rule: see which rules conflict below."))
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
    return render(request, "web/duty/mine.html", {"assignments": _own(request)})


@require_GET
@login_required
@requires("duty")
def my_shifts_ics(request):
    response = HttpResponse(
        exports.own_ics(request.user, _own(request)), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="my-shifts.ics"'
    return response
