"""The camera inventory and the video patrol's pages, and the owners' public registration.

Thin: read through ``video.selectors`` (always scoped), change through ``video.actions``, render.
A camera, wall or log outside the reader's scope is a 404 like a missing one.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.events import selectors as event_selectors
from fengqiao.video import actions, indicators, selectors
from fengqiao.video.actions import CameraData, Finding, Watch
from fengqiao.video.choices import CameraStatus
from fengqiao.web.menu import requires
from fengqiao.web.video import forms

PER_PAGE = 50
CAMERA_FIELDS = (
    "device_code",
    "name",
    "kind",
    "place",
    "lon",
    "lat",
    "direction",
    "owner_name",
    "owner_phone",
)


def _camera_data(data: dict) -> CameraData:
    extra = {k: data[k] for k in ("grid", "compound", "at_entrance", "stream_url") if k in data}
    return CameraData(
        **{
            k: data.get(k) if data.get(k) is not None else ""
            for k in CAMERA_FIELDS
            if k not in ("lon", "lat", "direction")
        },
        lon=data.get("lon"),
        lat=data.get("lat"),
        direction=data.get("direction"),
        **extra,
    )


# ---------------------------------------------------------------------------------------------
# the inventory


@require_GET
@login_required
@requires("video")
def camera_list(request):
    form = forms.CameraFilterForm(request.GET or None)
    flt = selectors.CameraFilter.from_params(request.GET)
    notice = ""
    try:
        cameras = flt.apply(selectors.cameras_for(request.user))
    except ValidationError as error:
        notice = _notice(error)
        cameras = selectors.cameras_for(request.user).none()
    page = Paginator(cameras, PER_PAGE).get_page(request.GET.get("page"))
    pending = selectors.cameras_for(request.user, status=CameraStatus.PENDING).count()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/video/camera_list.html",
        {
            "form": form,
            "page": page,
            "pending": pending,
            "notice": notice,
            "query": query.urlencode(),
            "may_manage": actions.may_manage_cameras(request.user),
        },
    )


def _notice(error: ValidationError) -> str:
    return "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())


@require_http_methods(["GET", "POST"])
@login_required
@requires("video")
def camera_create(request):
    form = forms.CameraForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            camera = actions.add_camera(_camera_data(form.cleaned_data), actor=request.user)
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            messages.success(request, _("Camera %(code)s added.") % {"code": camera.device_code})
            return redirect("camera_detail", camera.pk)
    return render(
        request,
        "web/video/form.html",
        {"form": form, "title": _("Add a camera"), "back": reverse("camera_list")},
    )


@require_GET
@login_required
def camera_detail(request, pk: int):
    camera = selectors.camera_for(request.user, pk)
    actions_ok = actions.may_manage_cameras(request.user)
    return render(
        request,
        "web/video/camera_detail.html",
        {
            "camera": camera,
            "owner": selectors.owner_contact(request.user, camera) if camera.is_private else {},
            "confirm_form": forms.ConfirmForm(request.user, camera)
            if actions_ok and camera.status == CameraStatus.PENDING
            else None,
            "may_manage": actions_ok,
            "statuses": [(s.value, s.label) for s in CameraStatus if s != CameraStatus.PENDING],
        },
    )


@require_POST
@login_required
def camera_confirm(request, pk: int):
    camera = selectors.camera_for(request.user, pk)
    form = forms.ConfirmForm(request.user, camera, request.POST)
    if form.is_valid():
        try:
            actions.confirm_camera(
                camera,
                actor=request.user,
                compound=form.cleaned_data["compound"],
                stream_url=form.cleaned_data["stream_url"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Camera %(code)s confirmed: it is in the inventory.") % {"code": camera.device_code},
            )
    return redirect("camera_detail", camera.pk)


@require_POST
@login_required
def camera_status(request, pk: int):
    camera = selectors.camera_for(request.user, pk)
    try:
        actions.set_camera_status(camera, request.POST.get("status", ""), actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("camera_detail", camera.pk)


@require_GET
@login_required
@requires("video")
def compound_list(request):
    return render(request, "web/video/compounds.html", {"rows": selectors.compounds_for(request.user)})


# ---------------------------------------------------------------------------------------------
# the owners' registration (anonymous; the "report" rate limit covers /report/)


@require_http_methods(["GET", "POST"])
def camera_register(request):
    form = forms.CameraRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            camera = actions.register_camera(_camera_data(form.cleaned_data), actor=request.user)
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            request.session["camera_registered"] = camera.device_code
            return redirect("camera_registered")
    return render(request, "web/video/register.html", {"form": form})


@require_GET
def camera_registered(request):
    return render(
        request, "web/video/registered.html", {"code": request.session.get("camera_registered", "")}
    )


# ---------------------------------------------------------------------------------------------
# video walls and the patrol log


@require_GET
@login_required
@requires("video_patrol")
def wall_list(request):
    return render(request, "web/video/walls.html", {"walls": selectors.walls_for(request.user)})


@require_GET
@login_required
def wall_detail(request, pk: int):
    wall = selectors.wall_for(request.user, pk)
    return render(request, "web/video/wall.html", {"wall": wall, "cameras": wall.cameras.all()})


@require_GET
@login_required
@requires("video_patrol")
def patrol_list(request):
    page = Paginator(selectors.patrols_for(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "web/video/patrols.html", {"page": page, "may_patrol": actions.may_patrol(request.user)}
    )


@require_GET
@login_required
def patrol_detail(request, pk: int):
    return render(request, "web/video/patrol.html", {"log": selectors.patrol_for(request.user, pk)})


@require_http_methods(["GET", "POST"])
@login_required
@requires("video_patrol")
def patrol_create(request):
    now = timezone.localtime().replace(second=0, microsecond=0)
    initial = {"started_at": now - dt.timedelta(hours=1), "ended_at": now}
    form = forms.PatrolForm(request.user, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        finding = Finding(category=data["category"], title=data["title"]) if data["report"] else None
        watch = Watch(
            station=data["station"],
            started_at=data["started_at"],
            ended_at=data["ended_at"],
            cameras=list(data["cameras"]),
            observations=data["observations"],
            finding=finding,
        )
        try:
            log = actions.log_video_patrol(watch, actor=request.user)
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            if log.finding_id:
                messages.success(
                    request, _("Logged; the finding is event %(number)s.") % {"number": log.finding.number}
                )
            else:
                messages.success(request, _("Video patrol logged."))
            return redirect("video_patrol_detail", log.pk)
    return render(
        request,
        "web/video/form.html",
        {"form": form, "title": _("Log a video patrol"), "back": reverse("video_patrol_list")},
    )


# ---------------------------------------------------------------------------------------------
# cases solved by video


def _period(request):
    form = forms.PeriodForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    today = timezone.localdate()
    return form, data.get("start") or today.replace(month=1, day=1), data.get("end") or today


@require_GET
@login_required
@requires("video")
def solved_list(request):
    form, start, end = _period(request)
    flt = selectors.SolvedFilter.from_params(request.GET)
    if not flt.start and not flt.end:  # the year so far unless a period is asked for
        flt.start, flt.end = start.isoformat(), end.isoformat()
    notice = ""
    try:
        cases = flt.apply(selectors.solved_for(request.user)).order_by("-solved_on", "-pk")
    except ValidationError as error:
        notice = _notice(error)
        cases = selectors.solved_for(request.user).none()
    page = Paginator(cases, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/video/solved.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "notice": notice,
            "rows": indicators.solved_by_video(request.user, start, end),
            "page": page,
            "total": page.paginator.count,
            "query": query.urlencode(),
            "may_manage": actions.may_record_solved(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
@requires("video")
def solved_create(request):
    form = forms.SolvedForm(request.user, request.POST or None, initial={"solved_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = event_selectors.event_for(request.user, data["event"].strip())
        except Http404:  # out of scope and missing read the same
            form.add_error("event", _("No case with this number in your area."))
        else:
            try:
                actions.record_solved_by_video(
                    event,
                    actor=request.user,
                    cameras=data["cameras"],
                    solved_on=data["solved_on"],
                    fugitive_caught=data["fugitive_caught"],
                    note=data["note"],
                )
            except ValidationError as error:
                form.add_action_errors(error)
            else:
                messages.success(
                    request, _("Case %(number)s recorded as solved by video.") % {"number": event.number}
                )
                return redirect("video_solved")
    return render(
        request,
        "web/video/form.html",
        {"form": form, "title": _("A case solved by video"), "back": reverse("video_solved")},
    )
