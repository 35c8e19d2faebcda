"""The command room (/command/ and its wall view /command/wall/): thin over
:mod:`fengqiao.analytics.dashboard`, which counts, checks scope and says which records are behind
each figure; here the figures are only formatted and laid out. A unit outside the user's scope is
a 404, as a unit that does not exist."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from fengqiao.analytics import dashboard as command
from fengqiao.core.rates import min_cases
from fengqiao.web.menu import requires

REFRESH_SECONDS = 60


class PeriodForm(forms.Form):
    unit = forms.CharField(required=False, max_length=255, widget=forms.HiddenInput)
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _number(value, figure: command.Figure) -> str:
    if value is None:
        return "—"
    if figure.per_10k:
        return f"{value:.2f}"
    if figure.rate:
        return f"{value:.1%}"
    return str(value)


def _change(value: float | None, figure: command.Figure) -> dict:
    """同比/环比 as shown: a count's change in per cent, a share's in percentage points; whether
    it is good news (a fall of crime, a rise of a resolution rate)."""
    if value is None:
        return {"text": "—", "trend": ""}
    if figure.rate and not figure.per_10k:
        text = _("%(sign)s%(points).1f points") % {"sign": "+" if value > 0 else "", "points": value * 100}
    else:
        text = f"{value:+.2%}"
    if not value:
        return {"text": text, "trend": ""}
    good = (value < 0) == figure.lower_is_better
    return {"text": text, "trend": ("up " if value > 0 else "down ") + ("good" if good else "bad")}


def _cell(figure: command.Figure) -> dict:
    return {
        "name": figure.name,
        "label": figure.label,
        "unit": figure.unit,
        "formula": figure.formula,
        "url": figure.url,
        "value": _number(figure.value, figure),
        "raw": figure.value,
        "last_year": _number(figure.last_year, figure),
        "previous": _number(figure.previous, figure),
        "yoy": _change(figure.yoy, figure),
        "mom": _change(figure.mom, figure),
        "rate": figure.rate,
        "numerator": figure.numerator,
        "denominator": figure.denominator,
        "numerator_label": figure.numerator_label,
        "denominator_label": figure.denominator_label,
        "reliable": figure.reliable,
    }


def _render(request, template: str, *, wall: bool):
    form = PeriodForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, template, {"form": form}, status=400)
    data = form.cleaned_data if form.is_bound else {}
    try:
        result = command.dashboard(
            request.user, unit=data.get("unit") or "", start=data.get("start"), end=data.get("end")
        )
    except ValidationError as error:
        if "unit" in getattr(error, "message_dict", {}):
            raise Http404(_("No such unit in your area.")) from None
        form.add_error(None, error)
        return render(request, template, {"form": form}, status=400)
    sections = [
        {"key": s.key, "label": s.label, "cells": [_cell(f) for f in s.figures]} for s in result.sections
    ]
    chart = {
        "monthly": result.monthly,
        "classes": result.classes,
        "now_label": _("This period"),
        "last_year_label": _("A year earlier"),
    }
    query = {"start": result.period.start.isoformat(), "end": result.period.end.isoformat()}
    return render(
        request,
        template,
        {
            "form": form,
            "result": result,
            "sections": sections,
            "chart": chart,
            "query": query,
            "wall_url": command.dashboard_url(result.node.path, result.period, wall=True),
            "page_url": command.dashboard_url(result.node.path, result.period),
            "refresh_seconds": REFRESH_SECONDS,
            "min_cases": min_cases(),
        },
    )


@require_GET
@login_required
@requires("command")
def dashboard(request):
    return _render(request, "web/command/dashboard.html", wall=False)


@require_GET
@login_required
@requires("command")
def wall(request):
    return _render(request, "web/command/wall.html", wall=True)
