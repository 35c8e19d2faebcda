"""Reads for the demo city: whether it (and what it is built from) exists, and the demo accounts."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from fengqiao.accounts.models import User
from fengqiao.core.models import AuditEntry
from fengqiao.core.roles import Role
from fengqiao.demo.actions import DEMO_GENERATE, DEMO_REGISTRY
from fengqiao.demo.names import DemoAccount
from fengqiao.geo.choices import DivisionLevel
from fengqiao.geo.models import Division, PoliceUnit


def divisions_loaded() -> bool:
    """Whether the divisions and the county outlines the demo city needs are in the database."""
    counties = Division.objects.filter(level=DivisionLevel.COUNTY)
    return (
        Division.objects.filter(level=DivisionLevel.VILLAGE).exists()
        and counties.exists()
        and not counties.filter(outline__isnull=True, children__isnull=False).exists()
    )


def territory_exists() -> bool:
    """Whether there is a police tree already (generated or imported)."""
    return PoliceUnit.objects.exists()


def last_generation() -> dict | None:
    """The scale, seed and counts of the last demo generation, from its audit entry."""
    entry = AuditEntry.objects.filter(action=DEMO_GENERATE.name).order_by("-id").first()
    if entry is None:
        return None
    return {**(entry.after or {}), "at": entry.created_at}


def last_registry_generation() -> dict | None:
    """The scale, seed, day and counts of the last demo registry generation, from its audit entry."""
    entry = AuditEntry.objects.filter(action=DEMO_REGISTRY.name).order_by("-id").first()
    if entry is None:
        return None
    return {**(entry.after or {}), "at": entry.created_at}


@dataclass(frozen=True)
class AccountRow:
    username: str
    role: str
    full_name: str
    posting: str


def demo_accounts() -> list[AccountRow]:
    """The demo accounts that exist and are active, in their fixed order, with their postings."""
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
