from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    ISSUING = "issuing", _("station's issuing account")
    VOLUNTEER = "volunteer", _("volunteer's account")
    STOCK = "stock", _("store's stock of an item")
    GOODS_OUT = "goods_out", _("goods delivered in or handed out")


# What an account counts: points, or pieces of one item.
POINT_KINDS = (AccountKind.ISSUING, AccountKind.VOLUNTEER)
# Accounts that may never go below zero.
NON_NEGATIVE_KINDS = (AccountKind.VOLUNTEER, AccountKind.STOCK)


class Source(models.TextChoices):
    PATROL = "patrol", _("patrol")
    LEAD = "lead", _("lead that became a filed event")
    MEDIATION = "mediation", _("help in a mediation")
    MANUAL = "manual", _("manual award")
    REDEMPTION = "redemption", _("redemption at the counter")
    DELIVERY = "delivery", _("delivery of goods")
    REVERSAL = "reversal", _("reversal")


# Sources that earn points: the monthly cap counts these.
EARNING_SOURCES = (Source.PATROL, Source.LEAD, Source.MEDIATION, Source.MANUAL)
