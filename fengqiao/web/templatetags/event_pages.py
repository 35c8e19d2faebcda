"""Template helpers of the event pages and the resident portal."""

from django import template

from fengqiao.events.actions import may_take_in

register = template.Library()


@register.simple_tag
def takes_in_events(user) -> bool:
    """Staff (who work events) get the event pages in the menu; residents get the portal's."""
    return may_take_in(user)


@register.filter
def spaced(code: str) -> str:
    """A tracking code in groups of five, easier to read out on the phone: ABCDE FGHJK."""
    code = str(code or "")
    return " ".join(code[i : i + 5] for i in range(0, len(code), 5))
