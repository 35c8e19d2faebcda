"""The resident portal: report a problem without an account, follow it by its tracking code,
rate the handling and reopen it. What a resident sees here names no staff and no other person."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Max, Min
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.core.scoping import is_staff
from fengqiao.core.uploads import max_upload_bytes
from fengqiao.events import actions, selectors
from fengqiao.events.choices import Channel, Status, public_status_label
from fengqiao.events.inputs import category_label
from fengqiao.events.workflow import reopen_days
from fengqiao.geo.choices import DivisionLevel
from fengqiao.geo.models import Division, Grid
from fengqiao.web.events import forms
from fengqiao.web.events.views import _map_settings, rename_file_errors

SESSION_KEY = "portal_reported"
UNSCOPED_EXTENT = "portal: the extent of the territory, so a resident's map opens over it"
REPORTS_PER_PAGE = 20

# What a resident reads for the steps that are theirs; every other step shows the status it led
# to in the resident's words (``events.choices.PUBLIC_STATUS``): no names, no notes.
OWN_STEPS = {
    "rate": gettext_lazy("Rated"),
    "reopen": gettext_lazy("Reopened"),
}


def _user(request):
    """Who is logged in, if anyone: the action decides whether they rate as the reporter, by the
    tracking code and phone digits, or (staff) not at all."""
    return request.user if request.user.is_authenticated else None


def _digits_needed(request, event) -> bool:
    return actions.phone_digits_needed(event, _user(request))


@require_http_methods(["GET", "POST"])
def report(request):
    max_mb = max_upload_bytes() // 2**20
    form = forms.PortalReportForm(request.POST or None, request.FILES or None, max_mb=max_mb)
    status = 200
    if form.is_bound:
        report = form.report() if form.is_valid() else None
        if report is not None:
            actor = request.user if request.user.is_authenticated else None
            photos = form.cleaned_data["photos"]
            try:
                event = actions.report_with_files(report, photos, actor=actor, channel=Channel.PORTAL)
            except ValidationError as error:
                form.add_action_errors(rename_file_errors(error))
            else:
                request.session[SESSION_KEY] = event.tracking_code
                return redirect("portal_reported")
        status = 400
    return render(
        request, "portal/report.html", {"form": form, "map": _map_settings(), "max_mb": max_mb}, status=status
    )


@require_GET
def reported(request):
    code = request.session.get(SESSION_KEY)
    if not code:
        return redirect("portal_report")
    return render(request, "portal/reported.html", {"code": code})


@require_GET
def places(request):
    """What a resident's map opens over: the county outlines and the extent of the grids."""
    outlines = Division.objects.filter(level=DivisionLevel.COUNTY).exclude(outline=None)
    features = [
        {"type": "Feature", "geometry": d.outline, "properties": {"name": d.name}}
        for d in outlines.only("name", "outline")
    ]
    extent = (
        Grid.objects.unscoped(reason=UNSCOPED_EXTENT)
        .filter(is_active=True)
        .aggregate(w=Min("centroid_lon"), s=Min("centroid_lat"), e=Max("centroid_lon"), n=Max("centroid_lat"))
    )
    data = {"type": "FeatureCollection", "features": features}
    if extent["w"] is not None:
        data["bbox"] = [extent["w"], extent["s"], extent["e"], extent["n"]]
    response = JsonResponse(
        data, content_type="application/geo+json", json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def track(request):
    form = forms.TrackForm(request.GET or None)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            code = form.cleaned_data["code"]
            if actions.find_by_tracking_code(code) is not None:
                return redirect("portal_track_detail", code=code)
            form.add_error("code", _no_such_code())
            status = 404
    return render(request, "portal/track.html", {"form": form}, status=status)


def _no_such_code():
    return _("No report has this tracking code. Check it and try again.")


def public_timeline(event) -> list[dict]:
    """The steps a resident sees: the statuses the report went through, in their words, and
    their own rating and reopening; who and why stay inside. A status that reads as the one
    before it (dispatched, then being handled) is not said twice."""
    rows: list[dict] = []
    for entry in event.timeline():
        if entry.transition in OWN_STEPS:
            step = str(OWN_STEPS[entry.transition])
        elif entry.transition == "open" or entry.from_status != entry.to_status:
            step = public_status_label(entry.to_status)
        else:
            continue
        if rows and rows[-1]["step"] == step:
            continue
        rows.append({"at": entry.at, "step": step})
    return rows


def _track_page(request, event, *, rate_form=None, reopen_form=None, page_errors=(), status=200):
    followed = event.duplicate_of if event.duplicate_of_id else event
    closed = event.status == Status.CLOSED
    window = dt.timedelta(days=reopen_days())
    may_reopen = closed and event.closed_at is not None and timezone.now() - event.closed_at <= window
    # Staff follow the event on its staff page; rating and reopening are the reporter's alone.
    reporter_may = not is_staff(request.user)
    digits = _digits_needed(request, event)
    if reporter_may and closed and rate_form is None:
        rate_form = forms.RateForm(initial={"rating": event.rating}, phone_digits=digits)
    if reporter_may and may_reopen and reopen_form is None:
        reopen_form = forms.ReopenForm(phone_digits=digits)
    return render(
        request,
        "portal/track_detail.html",
        {
            "event": event,
            "followed": followed,
            "merged": followed is not event,
            "category": category_label(event.category),
            "timeline": public_timeline(followed),
            "rate_form": rate_form,
            "reopen_form": reopen_form,
            "reopen_days": reopen_days(),
            "page_errors": list(page_errors),
        },
        status=status,
    )


def _event_by_code(code):
    event = actions.find_by_tracking_code(code)
    if event is None:
        raise Http404(_no_such_code())
    return event


@require_GET
def track_detail(request, code):
    return _track_page(request, _event_by_code(code))


def _move(request, event, transition: str, form, **kwargs) -> int | None:
    """Rate or reopen as the form says; None when done, else the status of the page showing why."""
    try:
        actions.move_by_tracking_code(
            event.tracking_code,
            transition,
            actor=_user(request),
            phone_digits=form.cleaned_data.get("phone_digits", ""),
            **kwargs,
        )
    except PermissionDenied as error:
        form.add_action_errors(_as_validation_error(error))
        return 403
    except ValidationError as error:
        form.add_action_errors(_as_validation_error(error))
        return 400
    return None


@require_POST
def rate(request, code):
    event = _event_by_code(code)
    form = forms.RateForm(request.POST, phone_digits=_digits_needed(request, event))
    status = 400
    if form.is_valid():
        status = _move(request, event, "rate", form, data={"rating": form.cleaned_data["rating"]})
        if status is None:
            messages.success(request, _("Thank you: your rating was recorded."))
            return redirect("portal_track_detail", code=event.tracking_code)
    if status == 403:
        return _track_page(request, event, page_errors=_messages(form), status=status)
    return _track_page(request, event, rate_form=form, status=status)


@require_POST
def reopen(request, code):
    event = _event_by_code(code)
    form = forms.ReopenForm(request.POST, phone_digits=_digits_needed(request, event))
    status = 400
    if form.is_valid():
        status = _move(request, event, "reopen", form, note=form.cleaned_data["note"])
        if status is None:
            messages.success(request, _("Your report was reopened: it is being handled again."))
            return redirect("portal_track_detail", code=event.tracking_code)
    if event.status == Status.CLOSED and status != 403:
        return _track_page(request, event, reopen_form=form, status=status)
    # Not closed (any more), or not the reporter's: there is no reopen form to show the error on.
    return _track_page(request, event, page_errors=_messages(form), status=status)


def _messages(form) -> list[str]:
    return [m for errors in form.errors.values() for m in errors]


def _as_validation_error(error) -> ValidationError:
    """The engine names the step itself ("transition"): on these forms that is the whole form."""
    if isinstance(error, ValidationError):
        if not hasattr(error, "error_dict"):
            return error
        return ValidationError({(None if k == "transition" else k): v for k, v in error.error_dict.items()})
    return ValidationError(str(error))


@require_GET
@login_required
def my_reports(request):
    reports = selectors.own_reports(request.user).order_by("-opened_at", "-id")
    page = Paginator(reports, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    for event in page.object_list:
        event.category_label = category_label(event.category)
    return render(request, "portal/my_reports.html", {"page": page})
