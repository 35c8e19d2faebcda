"""The staff's event pages: the list, the map, the event with its timeline and moves, intake, the
inbox and the command-room board. Thin: parse, call a selector or an action, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.core import casework
from fengqiao.core.casework import Conflict, NotAvailable
from fengqiao.core.uploads import serve_upload
from fengqiao.events import actions, selectors
from fengqiao.events.actions import may_take_in
from fengqiao.events.inputs import category_label
from fengqiao.events.models import Category, Event
from fengqiao.events.selectors import EventFilter
from fengqiao.geo.models import Grid, PoliceUnit
from fengqiao.registry import reads
from fengqiao.web.events import forms
from fengqiao.web.menu import requires
from fengqiao.web.selectors import grid_feature

EVENTS_PER_PAGE = 30
MAP_POINTS = 5000
INBOX_SIZE = 200
SUGGESTIONS = 8

LEVEL_LABELS = {
    "city": gettext_lazy("city bureau"),
    "county": gettext_lazy("county bureau"),
    "station": gettext_lazy("police station"),
    "community": gettext_lazy("police district"),
    "grid": gettext_lazy("grid"),
}
# Steps the timeline shows that are not transitions of the workflow.
STEP_LABELS = {
    "open": gettext_lazy("reported"),
    "remind": gettext_lazy("reminder (due soon)"),
}


def _map_settings() -> dict:
    return {"tile_url": settings.MAP_TILE_URL, "tile_attribution": settings.MAP_TILE_ATTRIBUTION}


def holder_names(paths, user) -> dict[str, str]:
    """Names of the grids and units holding these events, read once for a whole page."""
    paths = set(paths)
    names = {u.path: u.name for u in PoliceUnit.objects.filter(path__in=paths).only("path", "name")}
    grids = Grid.objects.visible_to(user).filter(scope_path__in=paths - names.keys())
    names.update({g.scope_path: g.name for g in grids.only("scope_path", "name")})
    return names


def describe(events, user) -> list:
    """Hang what the lists show on each event: its holder's level and name."""
    events = list(events)
    names = holder_names((e.holder_path for e in events), user)
    for event in events:
        event.level_label = LEVEL_LABELS.get(event.holder_level, "")
        event.holder_name = names.get(event.holder_path, "")
        if isinstance(event, Event):
            event.category_label = category_label(event.category)
        else:  # the inbox holds every case type: a dispute says its category its own way
            display = getattr(event, "get_category_display", None)
            event.category_label = display() if display else ""
    return events


def _filtered(request):
    """The user's events narrowed by the query string; errors name the parameter."""
    errors = []
    qs = selectors.events_for(request.user)
    try:
        qs = EventFilter.from_params(request.GET).apply(qs)
    except ValidationError as error:
        labels = forms.EventFilterForm.base_fields
        for name, messages_ in error.message_dict.items():
            label = labels[name].label if name in labels else name
            errors += [f"{label}: {m}" for m in messages_]
        qs = qs.none()
    return qs, errors


# ---------------------------------------------------------------------------------------------
# lists


@require_GET
@login_required
@requires("events")
def event_list(request):
    qs, errors = _filtered(request)
    page = Paginator(qs.order_by("-opened_at", "-id"), EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = describe(page.object_list, request.user)
    return render(
        request,
        "web/events/list.html",
        {
            "form": forms.EventFilterForm(request.user, request.GET or None),
            "page": page,
            "filter_errors": errors,
            "may_take_in": may_take_in(request.user),
        },
        status=400 if errors else 200,
    )


@require_GET
@login_required
@requires("events")
def event_map(request):
    return render(
        request,
        "web/events/map.html",
        {"map": _map_settings(), "query": request.GET.urlencode(), "may_take_in": may_take_in(request.user)},
    )


@require_GET
@login_required
@requires("events")
def event_map_geojson(request):
    """Open events (or what the query string asks for) with a point, as GeoJSON points."""
    params = request.GET.copy()
    params.setdefault("status", "open")
    request.GET = params
    qs, errors = _filtered(request)
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    events = qs.exclude(lon=None).exclude(lat=None).order_by("-opened_at")[:MAP_POINTS]
    features = [
        {
            "type": "Feature",
            "id": e.number,
            "geometry": {"type": "Point", "coordinates": [e.lon, e.lat]},
            "properties": {
                "number": e.number,
                "title": e.title,
                "status": str(e.status_label),
                "overdue": e.overdue,
                "url": e.get_absolute_url(),
            },
        }
        for e in events
    ]
    return JsonResponse(
        {"type": "FeatureCollection", "features": features},
        content_type="application/geo+json",
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
@login_required
@requires("inbox")
def inbox(request):
    cases = casework.inbox(request.user)
    shown = describe(cases[:INBOX_SIZE], request.user)
    return render(
        request, "web/events/inbox.html", {"cases": shown, "total": len(cases), "limit": INBOX_SIZE}
    )


@require_GET
@login_required
@requires("events")
def event_board(request):
    page = Paginator(selectors.board(request.user), EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = describe(page.object_list, request.user)
    return render(request, "web/events/board.html", {"page": page})


# ---------------------------------------------------------------------------------------------
# one event


def timeline_rows(event, user) -> list[dict]:
    workflow = event.workflow
    entries = list(event.timeline().select_related("actor"))
    names = holder_names({e.holder_path for e in entries if e.holder_path}, user)
    rows = []
    for entry in entries:
        if entry.transition in STEP_LABELS:
            step = STEP_LABELS[entry.transition]
        else:
            try:
                step = workflow.transition(entry.transition).label
            except NotAvailable:
                step = entry.transition
        if entry.actor is not None:
            who = entry.actor.full_name or entry.actor.get_username()
        elif entry.transition in ("remind", "escalate"):
            who = _("deadline sweep")
        else:  # an anonymous report, a rating or reopening by tracking code
            who = _("the reporter")
        status = ""
        if entry.from_status and entry.from_status != entry.to_status:
            status = workflow.state(entry.to_status).label
        rows.append(
            {
                "at": entry.at,
                "who": who,
                "step": step,
                "status": status,
                "note": entry.note,
                "reply": (entry.data or {}).get("reply", ""),
                "holder": names.get(entry.holder_path, ""),
                "missed": entry.transition == "escalate" and entry.actor_id is None,
            }
        )
    return rows


def transition_forms(event, user, data=None, posted=None) -> list:
    """One form per step this user may take now; ``posted`` (a bound form) takes its place."""
    result = []
    for t in event.workflow.available(event, user):
        if posted is not None and posted.transition.name == t.name:
            result.append(posted)
        else:
            result.append(forms.TransitionForm(event, t, user))
    return result


def held_back(event, user) -> list[str]:
    """Why steps the user's role could take now are someone else's (separation of duties): said
    beside the moves, so a missing button is not a puzzle."""
    return [
        why
        for t in event.workflow.transitions
        if t.not_by and event.status in t.sources and t.allowed(user, event)
        if (why := casework.duty_refusal(t, user, event)) is not None
    ]


def _detail(request, event, *, posted=None, conflict: str = "", page_errors=(), status=200):
    user = request.user
    feature = grid_feature(event.grid)
    point = None
    if event.lon is not None and event.lat is not None:
        point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [event.lon, event.lat]}}
    describe([event], user)
    return render(
        request,
        "web/events/detail.html",
        {
            "event": event,
            "timeline": timeline_rows(event, user),
            "attachments": list(event.attachments.order_by("id")),
            "moves": transition_forms(event, user, posted=posted),
            "held_back": held_back(event, user),
            "duplicates": list(event.duplicates.visible_to(user).order_by("number")),
            "places": {"type": "FeatureCollection", "features": [feature] + ([point] if point else [])},
            "map": _map_settings(),
            "conflict": conflict,
            "page_errors": list(page_errors),
            "may_attach": may_take_in(user),
        },
        status=status,
    )


@require_GET
@login_required
def event_detail(request, number):
    return _detail(request, selectors.event_for(request.user, number))


@require_POST
@login_required
def event_move(request, number, name):
    user = request.user
    event = selectors.event_for(user, number)  # 404 outside the user's scope
    try:
        transition = event.workflow.transition(name)
    except NotAvailable:
        raise Http404 from None
    form = forms.TransitionForm(event, transition, user, request.POST)
    if not form.is_valid():
        return _detail(request, event, posted=form, status=400)
    try:
        moved = actions.move(
            event,
            name,
            actor=user,
            version=form.cleaned_data["version"],
            note=form.cleaned_data["note"],
            data=form.data_for_move(),
        )
    except Conflict:
        # Nothing was applied: show the event as it is now, keeping what the user typed.
        fresh = selectors.event_for(user, number)
        retry = forms.TransitionForm(
            fresh, transition, user, initial={"version": fresh.version, "note": form.cleaned_data["note"]}
        )
        message = _(
            "Someone else changed this event while you were looking at it, so nothing was done. "
            "Here it is as it stands now: check it and try again."
        )
        return _detail(request, fresh, posted=retry, conflict=message, status=409)
    except PermissionDenied as error:  # not this user's step: the page says why
        return _detail(request, event, page_errors=[str(error) or _("You may not do this.")], status=403)
    except ValidationError as error:
        if name not in {t.name for t in event.workflow.available(event, user)}:
            return _detail(request, event, page_errors=error.messages, status=400)
        form.add_action_errors(error)
        return _detail(request, event, posted=form, status=400)
    messages.success(
        request, _("%(number)s: %(step)s — done.") % {"number": moved.number, "step": transition.label}
    )
    if not moved.is_visible_to(user):  # e.g. re-routed elsewhere: its page is no longer theirs
        return redirect("event_list")
    return redirect("event_detail", number=moved.number)


@require_GET
@login_required
def event_attachment(request, number, pk):
    event = selectors.event_for(request.user, number)
    attachment = get_object_or_404(event.attachments, pk=pk)
    reads.note(reads.EVENT_PHOTO, attachment.pk)  # a photo may show people: on the read record
    return serve_upload(
        attachment.file.open("rb"), content_type=attachment.content_type, filename=attachment.original_name
    )


@require_POST
@login_required
def event_attach(request, number):
    event = selectors.event_for(request.user, number)
    if not may_take_in(request.user):
        raise PermissionDenied
    field = forms.PhotosField(required=True)
    try:
        files = field.clean(request.FILES.getlist("photos"))
        kept = actions.attach_all(event, files, actor=request.user)
    except ValidationError as error:
        return _detail(request, event, page_errors=error.messages, status=400)
    count = len(kept)
    messages.success(
        request, ngettext("%(count)s file added.", "%(count)s files added.", count) % {"count": count}
    )
    return redirect("event_detail", number=event.number)


# ---------------------------------------------------------------------------------------------
# intake


def rename_file_errors(error: ValidationError) -> ValidationError:
    """The action names the upload ``file``; the forms call it ``photos``."""
    if hasattr(error, "error_dict") and "file" in error.error_dict:
        error.error_dict["photos"] = error.error_dict.pop("file")
    return error


@require_http_methods(["GET", "POST"])
@login_required
def event_create(request):
    user = request.user
    if not may_take_in(user):
        raise PermissionDenied
    form = forms.EventIntakeForm(user, request.POST or None, request.FILES or None)
    status = 200
    if form.is_bound:
        report = form.report() if form.is_valid() else None
        if report is not None:
            data = form.cleaned_data
            try:
                event = actions.report_with_files(report, data["photos"], actor=user, channel=data["channel"])
            except ValidationError as error:
                form.add_action_errors(rename_file_errors(error))
            else:
                # The caller's tracking code, once, to read out to them: no staff page shows it again.
                messages.success(
                    request,
                    _(
                        "Event %(number)s taken in. Read the caller their tracking code: %(code)s "
                        "(it is not shown again)."
                    )
                    % {"number": event.number, "code": event.tracking_code},
                )
                return redirect("event_detail", number=event.number)
        status = 400
    return render(
        request,
        "web/events/new.html",
        {
            "form": form,
            "duplicates": _duplicates_for(
                user, form.data.get("category"), form.data.get("lon"), form.data.get("lat")
            ),
            "map": _map_settings(),
        },
        status=status,
    )


def _duplicates_for(user, code, lon, lat) -> list:
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        return []
    category = Category.objects.filter(code=code or "", active=True).first()
    if category is None:
        return []
    return describe(actions.duplicate_candidates(category, lon, lat, user=user)[:SUGGESTIONS], user)


@require_GET
@login_required
def event_duplicates(request):
    """Open events of the category near the point, while the form is being filled (htmx)."""
    g = request.GET
    found = _duplicates_for(request.user, g.get("category"), g.get("lon"), g.get("lat"))
    return render(request, "web/events/_duplicates.html", {"duplicates": found, "asked": bool(g.get("lon"))})
