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
