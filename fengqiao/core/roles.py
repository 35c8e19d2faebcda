"""The roles of DESIGN.md and the rules that follow from a role alone.

They live in ``core`` because every layer asks them (geo's actions, the pages, the API); where a
user is posted is ``accounts``' business, what a role may do is decided here, once.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITY_COMMAND = "city_command", _("city bureau command")
    COUNTY_BUREAU = "county_bureau", _("county bureau")
    STATION = "station", _("police station")
    COMMUNITY_OFFICER = "community_officer", _("community officer")
    AUXILIARY = "auxiliary", _("auxiliary / specialist")
    GRID_WORKER = "grid_worker", _("grid worker")
    VOLUNTEER = "volunteer", _("volunteer")
    RESIDENT = "resident", _("resident")


# Roles that manage the territory's grids (create, redraw, rename) within their scope.
GRID_MANAGERS = {Role.CITY_COMMAND, Role.COUNTY_BUREAU, Role.STATION}
STAFF_ROLES = set(Role) - {Role.RESIDENT, Role.VOLUNTEER}
# Roles that post and un-post the staff of their own subtree.
POSTING_MANAGERS = GRID_MANAGERS


def _role(user) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.role


def can_manage_grids(user) -> bool:
    return _role(user) is not None and (user.is_superuser or user.role in GRID_MANAGERS)


def can_manage_postings(user) -> bool:
    return _role(user) is not None and (user.is_superuser or user.role in POSTING_MANAGERS)


def can_set_territory(user) -> bool:
    """Divisions and their outlines are the city's to set."""
    return _role(user) is not None and (user.is_superuser or user.role == Role.CITY_COMMAND)
