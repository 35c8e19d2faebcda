"""Reads for the demo city: the demo accounts as a table."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from fengqiao.accounts.choices import Role
from fengqiao.accounts.models import User
from fengqiao.demo.actions import DemoAccount


@dataclass(frozen=True)
class AccountRow:
    username: str
    role: str
    full_name: str
    posting: str


def demo_accounts() -> list[AccountRow]:
    """The seven demo accounts that exist, in their fixed order, with where each is posted."""
    users = {
        u.username: u
        for u in User.objects.filter(username__in=DemoAccount.ALL, is_active=True).prefetch_related(
            "postings__unit", "postings__grid__district"
        )
    }
    rows = []
    for username in DemoAccount.ALL:
        user = users.get(username)
        if user is None:
            continue
        role = _("superuser") if user.is_superuser else str(Role(user.role).label)
        rows.append(AccountRow(username, role, user.full_name, _posting_label(user)))
    return rows


def _posting_label(user) -> str:
    labels = []
    for posting in user.postings.all():
        if posting.grid_id:
            grid = posting.grid
            labels.append(f"{grid.name} {grid.code} ({grid.district.name})")
        else:
            labels.append(f"{posting.unit.name} {posting.unit.code}")
    return "; ".join(labels) or "-"
