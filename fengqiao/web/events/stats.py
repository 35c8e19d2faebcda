"""The indicators page of the closed loop (/events/indicators/): thin over
:mod:`fengqiao.events.indicators`, which counts, checks scope and says which events are behind
each figure; here the figures are only laid out and formatted."""

from dataclasses import replace

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from fengqiao.core.rates import judged, min_cases
from fengqiao.events import indicators as ind
from fengqiao.web.rates import rate_cell

# The table's columns, in order: counts and rates of each child unit.
COLUMNS = (
    "received",
    "received_per_10k",
    "filed",
    "closed",
    "closure_rate",
    "on_time_rate",
    "rework_rate",
    "grid_share",
    "community_share",
    "escalated",
    "reopened",
    "open",
    "overdue",
)
# The summary's figures, with 同比 and 环比.
SUMMARY = (
    "received",
    "filed",
    "closed",
    "closure_rate",
    "on_time_rate",
    "rework_rate",
    "grid_share",
    "community_share",
)


class IndicatorForm(forms.Form):
    unit = forms.CharField(required=False, max_length=255, widget=forms.HiddenInput)
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _value(figure: ind.Figure) -> str:
    if figure.value is None:
        return "—"
    if figure.population is not None:
        return f"{figure.value:.1f}"
    return f"{figure.value:.1%}" if figure.rate else str(figure.value)


def _per_10k(figure: ind.Figure) -> dict | None:
    """A figure per 10,000 residents, with the registry's population it divides by on hover."""
    if figure.population is None:
        return None
    title = _("per 10,000 of %(population)s residents recorded") % {"population": figure.population}
    return {"text": _value(figure), "title": title if figure.population else "", "reliable": True}


def _change(value: float | None, rate: bool, better: str) -> dict:
    if value is None:
        return {"text": "—", "trend": ""}
    text = _("%(points)+.1f pt") % {"points": value * 100} if rate else f"{value:+.1%}"
    return {"text": text, "trend": judged(value, better)}


def _cell(figure: ind.Figure, list_base: str) -> dict:
    return {
        "name": figure.name,
        "label": figure.label,
        "value": _value(figure),
        "rate": rate_cell(figure.share) if figure.rate else _per_10k(figure),
        "url": f"{list_base}?{urlencode(figure.params)}" if list_base and figure.value is not None else "",
        "last_year": _value(replace(figure, value=figure.last_year)),
        "previous": _value(replace(figure, value=figure.previous)),
        # A rate from too few cases is not compared with other periods either.
        "yoy": _change(figure.yoy if figure.reliable else None, figure.rate, figure.better),
        "mom": _change(figure.mom if figure.reliable else None, figure.rate, figure.better),
    }


@login_required
@require_GET
def indicators(request):
    user = request.user
    if not ind.may_see_indicators(user):
        raise PermissionDenied
    form = IndicatorForm(request.GET)
    result = None
    if form.is_valid():
        try:
            result = ind.indicators(user, **form.cleaned_data)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field if field in ("start", "end") else None, messages)
    context = {"form": form, "result": result}
    if result is not None:
        list_base = ind.list_url({}).rstrip("?")
        period = {"start": result.period.start.isoformat(), "end": result.period.end.isoformat()}
        context.update(
            columns=[result.total.figures[c].label for c in COLUMNS],
            rows=[
                {
                    "name": row.name,
                    "code": row.code,
                    "drill": ""
                    if row.path == result.node.path
                    else "?" + urlencode({"unit": row.path, **period}),
                    "cells": [_cell(row.figures[c], list_base) for c in COLUMNS],
                    "steps": row.steps,
                }
                for row in result.rows
            ],
            total={
                "name": result.total.name,
                "cells": [_cell(result.total.figures[c], list_base) for c in COLUMNS],
                "steps": result.total.steps,
            },
            summary=[_cell(result.total.figures[c], list_base) for c in SUMMARY],
            steps=ind.STEPS,
            ranking=[
                {"name": row.name, "rate": rate_cell(row.figures[ind.RANKED_BY].share)}
                for row in result.ranking
            ],
            unranked=[row.name for row in result.unranked] if len(result.rows) > 1 else [],
            ranked_by=result.total.figures[ind.RANKED_BY].label,
            min_cases=min_cases(),
            up=[{"name": n.name, "query": urlencode({"unit": n.path, **period})} for n in result.breadcrumbs],
            chart={
                "months": [m["label"] for m in result.monthly],
                "received": [m["received"] for m in result.monthly],
                "closed": [m["closed"] for m in result.monthly],
                "labels": {"received": _("received"), "closed": _("closed")},
            },
        )
    return render(request, "web/events/indicators.html", context)
