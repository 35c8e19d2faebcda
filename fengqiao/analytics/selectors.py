"""Reads of the command room's own records: the directives a user may see, filtered as the list
page and the dashboard's links filter them (one filter, so a figure equals its list)."""

import datetime as dt

from django.db import connections

from fengqiao.analytics.models import Directive, DirectiveStatus
from fengqiao.core.params import start_of
from fengqiao.core.scoping import scope_q

OPEN = (DirectiveStatus.ISSUED, DirectiveStatus.FED_BACK)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        return None  # a malformed date filters nothing, as the other lists do


def directives_for(user, params: dict):
    """The directives ``user`` may see, narrowed by the list's parameters: ``status`` (a status or
    ``open``), ``in_time=1``, ``unit`` (a node of the police tree), ``opened_from`` / ``opened_to``."""
    qs = Directive.objects.visible_to(user)
    status = params.get("status", "")
    if status in DirectiveStatus.values:
        qs = qs.filter(status=status)
    elif status == "open":
        qs = qs.filter(status__in=OPEN)
    if params.get("in_time") == "1":
        qs = qs.filter(fed_back_in_time=True)
    if params.get("unit"):
        qs = qs.filter(scope_q([params["unit"]], vendor=connections[qs.db].vendor))
    if (start := _date(params.get("opened_from", ""))) is not None:
        qs = qs.filter(opened_at__gte=start_of(start))
    if (end := _date(params.get("opened_to", ""))) is not None:
        qs = qs.filter(opened_at__lt=start_of(end + dt.timedelta(days=1)))
    return qs
