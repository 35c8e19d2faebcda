"""Where an event goes: its grid (from a point or an address) and who holds it first."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from fengqiao.core.scoping import is_under, path_within, scope_prefixes
from fengqiao.events.choices import Responsible
from fengqiao.geo import locator
from fengqiao.geo.models import Grid, PoliceUnit

UNSCOPED_PLACING = "events: placing a report in its grid, whoever reports it"


def place(*, lon=None, lat=None, address=None) -> Grid:
    """The grid of a point (through the locator) or, without one, of a registry address."""
    if lon is not None and lat is not None:
        try:
            return locator.locate(lon, lat)
        except locator.OutsideTerritory:
            raise ValidationError({"lon": [_("This point is outside the territory.")]}) from None
        except ValueError as exc:
            raise ValidationError({"lon": [str(exc)]}) from None
    if address is not None:
        if address.grid_id is None:
            raise ValidationError({"address": [_("This address has no grid yet.")]})
        return Grid.objects.unscoped(reason=UNSCOPED_PLACING).get(pk=address.grid_id)
    raise ValidationError({"lon": [_("Give a point on the map or an address.")]})


def station_path(grid: Grid) -> str:
    return "/".join(grid.scope_path.split("/")[:3])


def holder_for(category, grid: Grid) -> str:
    """The grid itself, or its station when the category's events go straight there."""
    if category.responsible == Responsible.STATION:
        return station_path(grid)
    return grid.scope_path


def check_holder(path: str, actor) -> str:
    """A grid or unit path the actor reaches."""
    path = str(path).strip()
    exists = (
        PoliceUnit.objects.filter(path=path).exists()
        or Grid.objects.unscoped(reason=UNSCOPED_PLACING).filter(scope_path=path, is_active=True).exists()
    )
    if not exists or not path_within(path, scope_prefixes(actor)):
        raise ValidationError({"holder_path": [_("No grid or unit %(path)s in your area.") % {"path": path}]})
    return path


def check_assignee(user_id, holder_path: str):
    """A staff member posted at the holder or below it."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not any(is_under(p, holder_path) for p in user.scope_paths()):
        raise ValidationError({"assignee": [_("This person does not work where the event is held.")]})
    return user
