"""The command room's hotspot map, emerging hotspots and near-repeat table: thin over
:mod:`fengqiao.analytics.spatial` and :mod:`fengqiao.analytics.nearrepeat`, which read the user's
grids and events and compute; here the parameters are parsed and the results laid out. The maps
take the values from a JSON script element and the outlines from /grids.geojson (both scoped)."""

import datetime as dt

import numpy as np
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from fengqiao.analytics import nearrepeat, spatial
from fengqiao.analytics.directives import may_issue
from fengqiao.web.hotspots.forms import ChoiceForm, EmergingForm, NearRepeatForm
from fengqiao.web.menu import requires

DEFAULT_CRIME = nearrepeat.WATCHED[0]
HOTSPOT_DAYS = 28
NEAR_REPEAT_DAYS = 365
TOP = 15


def _map_settings() -> dict:
    return {"tile_url": settings.MAP_TILE_URL, "tile_attribution": settings.MAP_TILE_ATTRIBUTION}


def _form(form_class, params, *, days: int):
    """The page's form bound to the query with what is missing filled in (burglaries, the last
    ``days`` days, the form's initial values)."""
    data = {key: params.get(key) for key in params}
    end = timezone.localdate()
    if not data.get("category") and not data.get("crime"):
        data["crime"] = DEFAULT_CRIME
    data.setdefault("end", end.isoformat())
    if "start" in form_class.base_fields:
        data.setdefault("start", (end - dt.timedelta(days=days - 1)).isoformat())
    for name, field in form_class.base_fields.items():
        if field.initial is not None and not data.get(name):
            data[name] = field.initial
    return form_class(data)


def _choice(form) -> spatial.Choice | None:
    if not form.is_valid():
        return None
    data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in form.cleaned_data.items() if v}
    try:
        return spatial.parse_choice(data)
    except ValidationError as error:
        _add_errors(form, error)
    return None


def _add_errors(form, error: ValidationError) -> None:
    """A rule's errors on the form, each on its field where the form has it."""
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


def _events_link(choice: spatial.Choice) -> str:
    return f"{reverse('event_list')}?{urlencode(choice.params())}"


def _row(r: spatial.GridResult) -> dict:
    return {
        "code": r.code,
        "name": r.name,
        "count": r.count,
        "z": round(r.z, 2),
        "p": round(r.p, 3),
        "bin": r.bin,
        "confidence": abs(r.bin),
    }


@require_GET
@login_required
@requires("hotspots")
def hotspot_map(request):
    form = _form(ChoiceForm, request.GET, days=HOTSPOT_DAYS)
    choice = _choice(form)
    context = {"form": form, "map": _map_settings(), "may_issue": may_issue(request.user)}
    if choice is not None:
        result = spatial.hotspots(request.user, choice)
        context.update(
            result=result,
            choice=choice,
            class_label=choice.label,
            grid_query=_grid_query(choice),
            hot=[_row(r) for r in result.hot[:TOP]],
            cold=[_row(r) for r in result.cold[:TOP]],
            events_link=_events_link(choice),
            values={
                "grids": {r.code: _row(r) for r in result.rows},
                "density": spatial.density(request.user, choice),
            },
            legend=LEGEND,
        )
    return render(request, "web/hotspots/map.html", context, status=400 if form.errors else 200)


LEGEND = (
    (99, "hot99"),
    (95, "hot95"),
    (90, "hot90"),
    (0, "none"),
    (-90, "cold90"),
    (-95, "cold95"),
    (-99, "cold99"),
)


def _emerging(user, form: EmergingForm) -> spatial.Emerging:
    data = form.cleaned_data
    end = data.get("end") or timezone.localdate()
    choice = spatial.parse_choice(
        {"category": data.get("category"), "crime": data.get("crime"), "end": end.isoformat()}
    )
    weeks = data.get("weeks") or spatial.DEFAULT_WEEKS
    return spatial.emerging(user, choice.category, crime=choice.crime, end=end, weeks=weeks)


def _grid_query(choice: spatial.Choice, weeks: int | None = None) -> str:
    """The query of a grid's weekly page for the same class."""
    params = {"category": choice.category.code if choice.category else "", "crime": choice.crime}
    params["end"] = choice.end.isoformat()
    if weeks:
        params["weeks"] = weeks
    return urlencode({k: v for k, v in params.items() if v})


@require_GET
@login_required
@requires("hotspots")
def emerging_hotspots(request):
    form = _form(EmergingForm, request.GET, days=HOTSPOT_DAYS)
    context = {"form": form, "map": _map_settings()}
    if form.is_valid():
        result = _emerging(request.user, form)
        choice = result.choice
        context.update(
            result=result,
            class_label=choice.label,
            rows=result.with_pattern(),
            values={r.code: {"pattern": r.pattern, "label": r.label, "name": r.name} for r in result.rows},
            patterns=spatial.Pattern.choices,
            query=_grid_query(choice, len(result.weeks)),
        )
    return render(request, "web/hotspots/emerging.html", context, status=400 if form.errors else 200)


@require_GET
@login_required
def grid_trend(request, code):
    """One grid's weeks: its counts and Gi* z-scores, its trend and pattern. A grid outside the
    user's analysis scope (or any grid, for roles below a station) is a 404."""
    if code not in spatial.lattice_for(request.user).codes:
        raise Http404
    form = _form(EmergingForm, request.GET, days=HOTSPOT_DAYS)
    if not form.is_valid():
        return render(request, "web/hotspots/grid.html", {"form": form}, status=400 if form.errors else 200)
    result = _emerging(request.user, form)
    row = next(r for r in result.rows if r.code == code)
    weeks = [
        {"start": start, "count": count, "z": z}
        for start, count, z in zip(result.weeks, row.counts, row.z, strict=True)
    ]
    return render(
        request,
        "web/hotspots/grid.html",
        {"form": form, "row": row, "class_label": result.choice.label, "weeks": weeks},
    )


def _knox_rows(result: nearrepeat.Knox) -> list[dict]:
    """The Knox table as the page draws it: a row per distance band, a cell per time band."""
    rows = []
    for r, label in enumerate(result.bands.spatial_labels()):
        cells = []
        for c in range(result.observed.shape[1]):
            ratio = result.ratio[r, c]
            cells.append(
                {
                    "observed": int(result.observed[r, c]),
                    "expected": round(float(result.expected[r, c]), 1),
                    "ratio": "—" if np.isnan(ratio) else f"{ratio:.2f}",
                    "p": f"{result.p[r, c]:.3f}",
                    "significant": bool(result.significant[r, c]),
                }
            )
        rows.append({"label": label, "cells": cells})
    return rows


@require_GET
@login_required
@requires("near_repeat")
def near_repeat(request):
    form = _form(NearRepeatForm, request.GET, days=NEAR_REPEAT_DAYS)
    choice = _choice(form)
    context = {"form": form}
    result = None
    if choice is not None:
        try:
            result = nearrepeat.near_repeat_for(request.user, choice, bands=form.bands())
        except ValidationError as error:
            _add_errors(form, error)
    if result is not None:
        risk = result.risk()
        context.update(
            result=result,
            choice=choice,
            class_label=choice.label,
            columns=result.bands.temporal_labels(),
            table=_knox_rows(result),
            risk={"distance": int(risk[0]), "days": risk[1]} if risk else None,
            events_link=_events_link(choice),
        )
    return render(request, "web/hotspots/near_repeat.html", context, status=400 if form.errors else 200)
