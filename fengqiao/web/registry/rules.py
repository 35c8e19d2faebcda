"""What the registry's pages offer to whom, and how personal numbers are shown.

The rules themselves are the registry's (``fengqiao.registry.selectors``): its actions enforce them
and the pages only ask them what to offer (a link, a button); a refusal of the action is a 403.
"""

from fengqiao.registry import selectors
from fengqiao.registry.validators import mask_id_number


def may_use_registry(user) -> bool:
    """Who sees the registry's pages (within their scope): staff, never residents or volunteers."""
    return selectors.may_collect(user)


may_collect = selectors.may_collect
may_reveal = selectors.may_reveal
may_view_care_tags = selectors.may_view_care_tags


def shown(user, field: str, value) -> str:
    """A value as this user sees it in the pages: ID numbers and phones masked unless their role
    sees them whole; other fields as they are."""
    if value in (None, ""):
        return ""
    if field == "id_number":
        return selectors.shown_id_number(user, value)
    if field == "phone":
        return selectors.shown_phone(user, value)
    if field == "legal_representative_id":
        return str(value) if selectors.sees_whole_numbers(user) else mask_id_number(value)
    return str(value)
