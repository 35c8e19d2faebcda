"""The pages. Thin: parse, call a selector or an action, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from fengqiao.core.roles import can_manage_grids
from fengqiao.core.scoping import OutOfScope, get_visible_or_404, is_staff
from fengqiao.events import selectors as event_selectors
from fengqiao.events.inputs import category_label
from fengqiao.geo import actions as geo_actions
from fengqiao.geo.models import Grid
from fengqiao.web import selectors
from fengqiao.web.forms import GridFilterForm, GridForm
from fengqiao.web.menu import requires

GRIDS_PER_PAGE = 50
HOME_REPORTS = 5  # a resident's latest reports on their home page; "my reports" has them all


def _map_settings() -> dict:
    return {"tile_url": settings.MAP_TILE_URL, "tile_attribution": settings.MAP_TILE_ATTRIBUTION}


@require_GET
@login_required
def home(request):
    scope = selectors.user_scope(request.user)
    reports = []
    staff = is_staff(request.user)
    if not staff:  # a resident follows what they reported
        own = event_selectors.own_reports(request.user).order_by("-opened_at", "-id")
        reports = list(own[: HOME_REPORTS + 1])
        for event in reports:
            event.category_label = category_label(event.category)
    return render(
        request,
        "web/home.html",
        {
            "scope": scope,
            "staff": staff,
            "map": _map_settings(),
            "desk": selectors.desk(request.user),
            "reports": reports[:HOME_REPORTS],
            "more_reports": len(reports) > HOME_REPORTS,
        },
    )


def permission_denied(request, exception=None):
    """The 403 answer (``handler403``) says why when the refusal did: the page, or for an htmx
    request the reason alone, which the page shows where the answer was to go."""
    reason = str(exception or "")
    if request.headers.get("HX-Request") == "true":
        return render(request, "web/_refused.html", {"reason": reason}, status=403)
    return render(request, "403.html", {"reason": reason}, status=403)


@require_GET
@login_required
@requires("grids")
def grid_list(request):
    form = GridFilterForm(request.user, request.GET or None)
    filters = form.filters() if form.is_bound else {}
    page = Paginator(selectors.grid_list(request.user, **filters), GRIDS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/grid_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_manage": can_manage_grids(request.user),
        },
    )


@require_GET
@login_required
@requires("grids")
def grids_geojson(request):
    form = GridFilterForm(request.user, request.GET or None)
    if form.is_bound and not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    filters = form.filters() if form.is_bound else {}
    return JsonResponse(
        selectors.grid_features(request.user, **filters),
        content_type="application/geo+json",
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
@login_required
def grid_detail(request, code):
    grid = get_visible_or_404(
        Grid.objects.select_related("community__parent", "district__parent"), request.user, code=code
    )
    return render(
        request,
        "web/grid_detail.html",
        {
            "grid": grid,
            "feature": selectors.grid_feature(grid),
            "staff": selectors.grid_staff(grid),
            "can_manage": can_manage_grids(request.user),
            "map": _map_settings(),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def grid_create(request):
    if not can_manage_grids(request.user):
        raise PermissionDenied
    form = GridForm(request.user, request.POST or None)
    if form.is_valid():
        try:
            grid = geo_actions.create_grid(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_action_errors(error)
        except OutOfScope:
            form.add_error("district", _("That would put the grid outside your scope."))
        else:
            messages.success(request, _("Grid %(grid)s created.") % {"grid": grid})
            return redirect("grid_detail", code=grid.code)
    return render(request, "web/grid_form.html", {"form": form, "grid": None})


@require_http_methods(["GET", "POST"])
@login_required
def grid_edit(request, code):
    grid = get_visible_or_404(Grid.objects, request.user, code=code)
    if not can_manage_grids(request.user):
        raise PermissionDenied
    form = GridForm(request.user, request.POST or None, grid=grid)
    if form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, _("Nothing changed."))
            return redirect("grid_detail", code=grid.code)
        try:
            grid = geo_actions.update_grid(grid, actor=request.user, **changes)
        except ValidationError as error:
            form.add_action_errors(error)
        except OutOfScope:
            form.add_error("district", _("That would put the grid outside your scope."))
        else:
            messages.success(request, _("Grid %(grid)s saved.") % {"grid": grid})
            return redirect("grid_detail", code=grid.code)
    return render(request, "web/grid_form.html", {"form": form, "grid": grid})
