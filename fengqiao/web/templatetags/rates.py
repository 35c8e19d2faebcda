"""Rates and changes on the statistics pages, the one way (core.rates, web.rates):
``{% shown_rate rate %}`` a Rate with its counts, ``{% change value better %}`` a change coloured
by the figure's direction."""

from django import template

from fengqiao.core.rates import judged
from fengqiao.web.rates import rate_cell

register = template.Library()


@register.inclusion_tag("web/_rate.html")
def shown_rate(rate):
    return {"rate": rate_cell(rate)}


@register.inclusion_tag("web/_change.html")
def change(value, better=""):
    """A relative change (同比: 0.125 → +12.5%), "better"/"worse" by the figure's direction."""
    return {"value": value, "trend": judged(value, better)}
