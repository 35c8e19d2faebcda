from django import template

from fengqiao.core.roles import can_manage_postings

register = template.Library()


@register.simple_tag
def may_post_staff(user) -> bool:
    return can_manage_postings(user)
