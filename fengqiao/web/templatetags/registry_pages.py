"""Template helpers of the registry's pages: who sees the registry, how numbers are shown."""

from django import template

from fengqiao.registry import access
from fengqiao.registry.choices import SpecialTrade
from fengqiao.registry.selectors import may_standardise_addresses
from fengqiao.web.registry import rules as registry_rules
from fengqiao.web.registry import selectors as selectors_registry

register = template.Library()


@register.simple_tag
def may_use_registry(user) -> bool:
    return registry_rules.may_use_registry(user)


@register.simple_tag
def imports_url(user) -> str:
    """The import pages' address, for those who may import; empty otherwise."""
    return selectors_registry.imports_url(user)


@register.simple_tag(takes_context=True)
def shown(context, value, field: str) -> str:
    """``{% shown person.id_number "id_number" %}``: masked unless the user's role sees it whole."""
    return registry_rules.shown(context["request"].user, field, value)


@register.filter
def special_trades(organisation) -> list[str]:
    """The labels of the special-control trades an organisation is flagged for."""
    return [trade.label for trade in SpecialTrade if getattr(organisation, trade.value, False)]


@register.filter
def percent_change(value) -> str:
    """A year-on-year ratio as a signed percentage: 1.09 → "+109%", -0.125 → "−12.5%"."""
    if value is None:
        return "—"
    percent = round(value * 100, 1)
    text = f"{abs(percent):.1f}".rstrip("0").rstrip(".")
    if percent > 0:
        return f"+{text}%"
    if percent < 0:
        return f"−{text}%"
    return "0%"


@register.simple_tag
def reviews_reads(user) -> bool:
    """Whether the user reviews the reading of staff under them (station chiefs and above)."""
    return access.may_review_reads(user)


@register.simple_tag
def standardises_addresses(user) -> bool:
    """Whether the user settles addresses to standardise (community officers and above)."""
    return may_standardise_addresses(user)


@register.simple_tag
def reading_purpose(request):
    """The purpose stated for this session's registry work, or None."""
    return access.session_purpose(getattr(request, "session", None))
