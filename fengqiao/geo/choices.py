from django.db import models
from django.utils.translation import gettext_lazy as _


class DivisionLevel(models.TextChoices):
    PROVINCE = "province", _("province")
    CITY = "city", _("city")
    COUNTY = "county", _("county")
    TOWN = "town", _("township")
    VILLAGE = "village", _("village / community")


class UnitKind(models.TextChoices):
    """The police tree, top to bottom."""

    CITY = "city", _("city bureau")
    COUNTY = "county", _("county bureau")
    STATION = "station", _("police station")
    DISTRICT = "district", _("police district")


UNIT_PARENT_KIND = {
    UnitKind.CITY: None,
    UnitKind.COUNTY: UnitKind.CITY,
    UnitKind.STATION: UnitKind.COUNTY,
    UnitKind.DISTRICT: UnitKind.STATION,
}
