from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    ISSUING = "issuing", _("station's issuing account")
    VOLUNTEER = "volunteer", _("volunteer's account")
    STOCK = "stock", _("store's stock of an item")
    GOODS_OUT = "goods_out", _("goods delivered in or handed out")
    HELD = "held", _("points held for reservations")
    RESERVED = "reserved", _("pieces reserved, not yet picked up")


# What an account counts: points, or pieces of one item.
POINT_KINDS = (AccountKind.ISSUING, AccountKind.VOLUNTEER, AccountKind.HELD)
# Accounts that may never go below zero.
NON_NEGATIVE_KINDS = (AccountKind.VOLUNTEER, AccountKind.STOCK, AccountKind.HELD, AccountKind.RESERVED)


class Source(models.TextChoices):
    PATROL = "patrol", _("patrol")
    LEAD = "lead", _("lead that became a filed event")
    MEDIATION = "mediation", _("help in a mediation")
    LECTURE = "lecture", _("lecture attended")
    MANUAL = "manual", _("manual award")
    REDEMPTION = "redemption", _("redemption at the counter")
    DELIVERY = "delivery", _("delivery of goods")
    REVERSAL = "reversal", _("reversal")
    RESERVATION = "reservation", _("reservation")
    PICKUP = "pickup", _("reservation picked up")
    RELEASE = "release", _("reservation released")
    WRITE_OFF = "write_off", _("write-off")
    STOCK_COUNT = "stock_count", _("stock count")
    EXPIRY = "expiry", _("points expired")


class ReservationStatus(models.TextChoices):
    HELD = "held", _("waiting to be picked up")
    PICKED_UP = "picked_up", _("picked up")
    EXPIRED = "expired", _("expired")
    CANCELLED = "cancelled", _("cancelled")


# Sources that earn points: the monthly cap counts these.
EARNING_SOURCES = (Source.PATROL, Source.LEAD, Source.MEDIATION, Source.LECTURE, Source.MANUAL)
# Sources by which points come back to the station from volunteers' hands.
REDEEMING_SOURCES = (Source.REDEMPTION, Source.PICKUP)


class FlagKind(models.TextChoices):
    OFTEN = "often", _("credited unusually often")
    OWN_HOUSEHOLD = "own_household", _("points given to someone at the giver's own address or household")
    UNDER_CAP = "under_cap", _("redemptions just under the cap")
