"""The patrol pages: teams and their members, plans with their checkpoints (printable QR codes) and
completion, the map of the day's patrols and the grids left unpatrolled, a patrol with its track
(GPX out, GPX in), the phone's patrol page, and a patroller's own record.

Thin: read through ``patrols.selectors`` (scoped; a volunteer through their own membership), change
through ``patrols.actions``, render. A row outside the reader's reach is a 404 like a missing one.
"""

import datetime as dt

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.core.scoping import is_staff
from fengqiao.core.uploads import serve_upload
from fengqiao.events import selectors as event_selectors
from fengqiao.patrols import actions, conf, selectors, tracks
from fengqiao.patrols.indicators import BY_MEMBER, BY_TEAM, hours_walked, patrol_figures
from fengqiao.patrols.models import Photo
from fengqiao.patrols.rules import windows_text
from fengqiao.registry.validators import mask_id_number, mask_phone
from fengqiao.web.menu import requires
from fengqiao.web.patrols import forms

RECENT = 50
PER_PAGE = 50


def _require_manage(user) -> None:
    if not actions.may_manage_teams(user):
        raise PermissionDenied


def _require_patroller(user) -> None:
    if not actions.may_patrol(user):
        raise PermissionDenied


def _week_ago():
    return timezone.now() - dt.timedelta(days=7)


@require_GET
@login_required
@requires("patrols")
def home(request):
    user = request.user
    teams = selectors.teams_for(user).select_related("grid", "unit").order_by("scope_path", "name")
    plans = selectors.plans_for(user).select_related("team").order_by("scope_path", "name")
    patrols = selectors.patrols_for(user).select_related("patroller", "team").order_by("-started_at")
    week = selectors.patrols_for(user).filter(started_at__gte=_week_ago())
    return render(
        request,
        "web/patrols/home.html",
        {
            "teams": teams,
            "plans": plans,
            "patrols": patrols[:RECENT],
            "by_team": patrol_figures(week.exclude(team=None), by=BY_TEAM),
            "by_member": patrol_figures(week, by=BY_MEMBER)[:20],
            "stale_days": conf.stale_days(),
            "stale_count": selectors.stale_grids(user, now=timezone.now()).count(),
        },
    )


def _filtered(request, flt_class, qs):
    """``qs`` narrowed by the query string's filter, and the error naming a bad parameter."""
    flt = flt_class.from_params(request.GET)
    try:
        return flt.apply(qs), ""
    except ValidationError as error:
        return qs.none(), "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())


def _paged(request, qs) -> dict:
    query = request.GET.copy()
    query.pop("page", None)
    return {"page": Paginator(qs, PER_PAGE).get_page(request.GET.get("page")), "query": query.urlencode()}


@require_GET
@login_required
@requires("patrols")
def team_list(request):
    """The teams the command room counts (``?unit=…&active=1``)."""
    teams, notice = _filtered(request, selectors.TeamFilter, selectors.teams_for(request.user))
    teams = teams.select_related("grid", "unit").annotate(
        n_members=Count("members", filter=Q(members__is_active=True))
    )
    return render(
        request,
        "web/patrols/teams.html",
        {"notice": notice, **_paged(request, teams.order_by("scope_path", "name", "pk"))},
    )


@require_GET
@login_required
@requires("patrols")
def member_list(request):
    """The team members the command room counts: names and teams only, no numbers."""
    members, notice = _filtered(request, selectors.MemberFilter, selectors.members_for(request.user))
    members = members.select_related("team").order_by("team__scope_path", "team__name", "name", "pk")
    return render(request, "web/patrols/members.html", {"notice": notice, **_paged(request, members)})


@require_GET
@login_required
@requires("patrols")
def patrol_list(request):
    """Patrols started in a period (``?unit=…&started_from=…&started_to=…&finished=1``) and their
    hours, summed as the command room's figure sums them."""
    patrols, notice = _filtered(request, selectors.PatrolFilter, selectors.patrols_for(request.user))
    hours = hours_walked(patrols)
    patrols = patrols.select_related("patroller", "team").order_by("-started_at", "pk")
    return render(
        request,
        "web/patrols/list.html",
        {"notice": notice, "hours": hours, **_paged(request, patrols)},
    )


@require_GET
@login_required
@requires("patrols")
def map_geojson(request):
    return JsonResponse(selectors.map_features(request.user), content_type="application/geo+json")


# --- teams -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@requires("patrols")
def team_create(request):
    user = request.user
    form = forms.TeamForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team = actions.create_team(
                actor=user,
                name=data["name"],
                kind=data["kind"],
                grid=data["grid"],
                unit=data["unit"],
                party_branch=data["party_branch"],
            )
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            messages.success(request, _("Team %(name)s created.") % {"name": team.name})
            return redirect("patrol_team", team.pk)
    return render(request, "web/patrols/form.html", {"form": form, "title": _("New volunteer team")})


def _member_rows(team):
    # Members' numbers are shown masked, as the registry masks them, whoever reads the page.
    return [
        {
            "member": m,
            "id_number": mask_id_number(m.id_number) if m.id_number else "",
            "phone": mask_phone(m.phone) if m.phone else "",
            "leader": m.pk == team.leader_id,
        }
        for m in team.members.select_related("person", "user")
    ]


@require_http_methods(["GET", "POST"])
@login_required
def team_detail(request, pk: int):
    user = request.user
    team = selectors.team_for(user, pk)
    manage = actions.may_manage_teams(user)
    form = forms.MemberForm(request.POST or None) if manage else None
    if request.method == "POST":
        _require_manage(user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                member = actions.add_member(
                    team,
                    actor=user,
                    name=data["name"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                    joined_on=data["joined_on"],
                    user=data["account"],
                    leader=data["leader"],
                )
            except ValidationError as error:
                form.add_action_errors(error)
            else:
                messages.success(request, _("%(name)s joined the team.") % {"name": member.name})
                return redirect("patrol_team", team.pk)
    return render(
        request,
        "web/patrols/team.html",
        {
            "team": team,
            "members": _member_rows(team),
            "plans": selectors.plans_for(user).filter(team=team),
            "form": form,
            "manage": manage,
        },
    )


@require_POST
@login_required
def member_active(request, pk: int, member: int):
    user = request.user
    _require_manage(user)
    team = selectors.team_for(user, pk)
    row = team.members.filter(pk=member).first()
    if row is None:
        raise Http404
    actions.set_member_active(row, request.POST.get("active") == "1", actor=user)
    return redirect("patrol_team", team.pk)


# --- plans -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@requires("patrols")
def plan_create(request):
    user = request.user
    form = forms.PlanForm(user, selectors.teams_for(user).filter(is_active=True), request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = actions.create_plan(
                actor=user,
                name=data["name"],
                windows=data["windows"],
                team=data["team"],
                grid=data["grid"],
                unit=data["unit"],
                officers=[] if data["team"] else [user],
            )
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            messages.success(request, _("Plan %(name)s created.") % {"name": plan.name})
            return redirect("patrol_plan", plan.pk)
    return render(request, "web/patrols/form.html", {"form": form, "title": _("New patrol plan")})


def _day(request) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


@require_http_methods(["GET", "POST"])
@login_required
def plan_detail(request, pk: int):
    user = request.user
    plan = selectors.plan_for(user, pk)
    manage = actions.may_manage_teams(user)
    form = forms.CheckpointForm(request.POST or None) if manage else None
    if request.method == "POST":
        _require_manage(user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                checkpoint = actions.add_checkpoint(
                    plan, actor=user, name=data["name"], lon=data["lon"], lat=data["lat"]
                )
            except ValidationError as error:
                form.add_action_errors(error)
            else:
                messages.success(request, _("Checkpoint %(name)s added.") % {"name": checkpoint.name})
                return redirect("patrol_plan", plan.pk)
    day = _day(request)
    states, percent = selectors.completion(plan, day)
    return render(
        request,
        "web/patrols/plan.html",
        {
            "plan": plan,
            "windows": windows_text(plan.windows),
            "states": states,
            "percent": percent,
            "day": day,
            "form": form,
            "manage": manage,
        },
    )


@require_GET
@login_required
def plan_print(request, pk: int):
    """The plan's checkpoints as QR codes on a page to print (one label each)."""
    plan = selectors.plan_for(request.user, pk)
    _require_manage(request.user)
    labels = [
        {
            "checkpoint": c,
            "svg": segno.make(f"FQCP:{c.code}", error="m").svg_inline(scale=5, omitsize=True, light="#fff"),
        }
        for c in plan.checkpoints.all()
    ]
    return render(request, "web/patrols/print.html", {"plan": plan, "labels": labels})


# --- patrols ---------------------------------------------------------------------------------


@require_GET
@login_required
def patrol_go(request):
    """The phone's patrol page: start, track, scan, report, end (patrol.js does the work)."""
    user = request.user
    _require_patroller(user)
    return render(
        request,
        "web/patrols/go.html",
        {"plans": actions.plans_usable_by(user).select_related("team").order_by("name")},
    )


@require_GET
@login_required
def my_record(request):
    user = request.user
    _require_patroller(user)
    teams = selectors.teams_for(user) if not actions.may_manage_teams(user) else None
    return render(
        request,
        "web/patrols/record.html",
        {
            "record": selectors.record_of(user),
            "teams": teams,
            "plans": actions.plans_usable_by(user).select_related("team").order_by("name"),
        },
    )


@require_GET
@login_required
def patrol_detail(request, patrol_id):
    user = request.user
    patrol = selectors.patrol_for(user, patrol_id)
    feature = patrol.track
    return render(
        request,
        "web/patrols/patrol.html",
        {
            "patrol": patrol,
            "track": {"type": "FeatureCollection", "features": [feature] if feature else []},
            "scans": patrol.scans.select_related("checkpoint"),
            "findings": patrol.findings.select_related("event"),
            "photos": patrol.photos.all(),
            "passages": patrol.passages.select_related("grid").order_by("first_at"),
        },
    )


@require_GET
@login_required
def patrol_gpx(request, patrol_id):
    patrol = selectors.patrol_for(request.user, patrol_id)
    points = list(patrol.points.order_by("at").values_list("at", "lon", "lat"))
    xml = tracks.write_gpx(points, name=str(patrol))
    response = HttpResponse(xml, content_type="application/gpx+xml")
    response["Content-Disposition"] = f'attachment; filename="patrol-{patrol.started_at:%Y%m%d-%H%M}.gpx"'
    return response


@require_GET
@login_required
def patrol_photo(request, patrol_id, photo_id):
    patrol = selectors.patrol_for(request.user, patrol_id)
    photo = Photo.objects.filter(patrol=patrol, pk=photo_id).first()
    if photo is None:
        raise Http404
    return serve_upload(
        photo.file.open("rb"), content_type=photo.content_type, filename=f"photo{photo.extension}"
    )


@require_http_methods(["GET", "POST"])
@login_required
def gpx_import(request):
    user = request.user
    _require_patroller(user)
    form = forms.GpxForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > 20 * 1024 * 1024:
                raise ValidationError({"file": [_("The file is larger than 20 MB.")]})
            patrol = actions.import_gpx(upload.read(), actor=user)
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            messages.success(request, _("Track imported: %(n)s points.") % {"n": patrol.point_count})
            return redirect(reverse("patrol_detail", args=[patrol.pk]))
    return render(
        request, "web/patrols/form.html", {"form": form, "title": _("Import a GPX track"), "multipart": True}
    )


# --- household visits (百万警进千万家) and the officer at the scene (发案必到现场) ---------------------


def _require_staff(user) -> None:
    if not is_staff(user):
        raise PermissionDenied


@require_GET
@login_required
def visits(request):
    """The officer's week (quota progress and the must-visit list) and the visits in scope."""
    user = request.user
    _require_staff(user)
    mine = actions.may_visit(user)
    visits, notice = _filtered(request, selectors.VisitFilter, selectors.visits_for(user))
    visits = visits.select_related("officer", "house__address", "organisation", "grid", "finding")
    return render(
        request,
        "web/patrols/visits.html",
        {
            "week": selectors.week_start(),
            "progress": selectors.week_progress(user) if mine else None,
            "must_visit": selectors.must_visit(user) if mine else None,
            "notice": notice,
            **_paged(request, visits.order_by("-visited_at", "-pk")),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def visit_create(request):
    user = request.user
    if not actions.may_visit(user):
        raise PermissionDenied
    if request.method == "POST":
        form = forms.VisitForm(user, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                visit = actions.record_visit(
                    actions.VisitData(
                        target=data["target"],
                        house=data.get("house"),
                        organisation=data.get("organisation"),
                        met=data["met"],
                        notes=data["notes"],
                        card_given=data["card_given"],
                        finding_category=data["category"].code if data.get("report") else "",
                        finding_title=data["title"] if data.get("report") else "",
                    ),
                    actor=user,
                )
            except ValidationError as error:
                form.add_action_errors(error)
            else:
                if visit.finding is not None:
                    messages.success(
                        request,
                        _("Visit recorded; the finding is event %(number)s.")
                        % {"number": visit.finding.number},
                    )
                else:
                    messages.success(request, _("Visit recorded."))
                return redirect("patrol_visits")
    else:
        initial = {}
        house = request.GET.get("house", "")
        org = request.GET.get("organisation", "")
        if house.isdigit():
            found = selectors.visible_house(user, int(house))
            initial = {"target": "household", "place": found.address.code}
        elif org.isdigit():
            found = selectors.visible_organisation(user, int(org))
            initial = {"target": "business", "place": found.credit_code}
        form = forms.VisitForm(user, initial=initial)
    return render(request, "web/patrols/form.html", {"form": form, "title": _("Record a visit")})


@require_GET
@login_required
def visit_detail(request, pk):
    visit = selectors.visit_for(request.user, pk)
    return render(request, "web/patrols/visit.html", {"visit": visit})


@require_GET
@login_required
def arrivals(request):
    """For the station: criminal cases whose district officer was not at the scene in time."""
    user = request.user
    if not actions.may_watch_arrivals(user):
        raise PermissionDenied
    flt = selectors.ArrivalFilter.from_params(request.GET)
    since = None if flt.opened_from else timezone.now() - dt.timedelta(days=90)
    late, notice = _filtered(request, selectors.ArrivalFilter, selectors.late_arrivals(user, since=since))
    return render(
        request,
        "web/patrols/arrivals.html",
        {
            "minutes": conf.arrival_minutes(),
            "now": timezone.now(),
            "since": since,
            "notice": notice,
            **_paged(request, late),
        },
    )


@require_POST
@login_required
def arrival_record(request, number):
    user = request.user
    event = event_selectors.event_for(user, number)  # 404 outside the user's scope
    form = forms.ArrivalForm(request.POST)
    lon = lat = None
    if form.is_valid():
        lon, lat = form.cleaned_data["lon"], form.cleaned_data["lat"]
    try:
        actions.record_arrival(event, actor=user, lon=lon, lat=lat)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your arrival at the scene is recorded."))
    return redirect("event_detail", number=event.number)
