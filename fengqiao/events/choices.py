from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EventKind(models.TextChoices):
    INCIDENT = "incident", _("police incident")
    CASE = "case", _("case information")
    OPINION = "opinion", _("public-opinion item")
    SOCIAL = "social", _("social condition")
    CONSULTATION = "consultation", _("consultation")
    HELP = "help", _("request for help")
    COMPLAINT = "complaint", _("complaint")
    REPORT = "report", _("report")
    SUGGESTION = "suggestion", _("suggestion")


class Responsible(models.TextChoices):
    """Who handles a category's events: the grid where they happen, or the station straight away."""

    GRID = "grid", _("grid")
    STATION = "station", _("police station")


class Channel(models.TextChoices):
    STAFF = "staff", _("staff entry")
    PHONE = "phone", pgettext_lazy("intake channel", "phone call")
    PORTAL = "portal", _("resident portal")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")
    DISPATCH_110 = "110", _("110 dispatch")


class Status(models.TextChoices):
    """The one word for each status on every staff page, list, filter, export and message."""

    REPORTED = "reported", pgettext_lazy("event status", "reported")
    FILED = "filed", pgettext_lazy("event status", "filed")
    REJECTED = "rejected", pgettext_lazy("event status", "not taken up")
    DISPATCHED = "dispatched", pgettext_lazy("event status", "dispatched")
    HANDLING = "handling", pgettext_lazy("event status", "being handled")
    REPORTED_BACK = "reported_back", pgettext_lazy("event status", "reported back, to be checked")
    CLOSED = "closed", pgettext_lazy("event status", "closed")
    MERGED = "merged", pgettext_lazy("event status", "merged as a duplicate")


# What the reporter reads for each status (the portal, "my reports", their messages): words meant
# for residents, without the steps inside (filing, dispatching, checking).
PUBLIC_STATUS = {
    Status.REPORTED: pgettext_lazy("status for residents", "received"),
    Status.FILED: pgettext_lazy("status for residents", "accepted"),
    Status.REJECTED: pgettext_lazy("status for residents", "not taken up"),
    Status.DISPATCHED: pgettext_lazy("status for residents", "being handled"),
    Status.HANDLING: pgettext_lazy("status for residents", "being handled"),
    Status.REPORTED_BACK: pgettext_lazy("status for residents", "handled, being checked"),
    Status.CLOSED: pgettext_lazy("status for residents", "closed"),
    Status.MERGED: pgettext_lazy("status for residents", "joined with the same report"),
}


def public_status_label(status: str) -> str:
    """The reporter's word for ``status``."""
    return str(PUBLIC_STATUS[Status(status)])


# --- the classification of cases the statistics need (issue 16 §1) ----------------------------


class Offence(models.TextChoices):
    """Criminal case (刑事) or administrative, i.e. public-order, case (行政/治安)."""

    CRIMINAL = "criminal", _("criminal")
    ADMINISTRATIVE = "administrative", _("administrative")


class CrimeClass(models.TextChoices):
    """The class of a criminal case, as the figures count them."""

    HOMICIDE = "homicide", _("homicide")
    ARSON = "arson", _("arson")
    EXPLOSION = "explosion", _("explosion")
    KIDNAPPING = "kidnapping", _("kidnapping")
    ROBBERY = "robbery", _("robbery")
    RAPE = "rape", _("rape")
    POISONING = "poisoning", _("spreading dangerous substances")
    GRIEVOUS_INJURY = "grievous_injury", _("intentional injury causing serious injury or death")
    BURGLARY = "burglary", _("burglary")
    EBIKE_THEFT = "ebike_theft", _("theft of an electric bicycle")
    VEHICLE_THEFT = "vehicle_theft", _("theft of a motor vehicle")
    PICKPOCKETING = "pickpocketing", _("pickpocketing")
    OTHER_THEFT = "other_theft", _("other theft")
    SNATCHING = "snatching", _("snatching")
    FRAUD = "fraud", _("telecom and online fraud")
    OTHER = "other", _("other criminal case")


# The groups the figures report, each a set of classes (a class may be in several: robbery is one
# of the eight serious violent crimes and one of the two robberies).
SERIOUS_VIOLENT = (  # 八类严重暴力犯罪
    CrimeClass.HOMICIDE,
    CrimeClass.ARSON,
    CrimeClass.EXPLOSION,
    CrimeClass.KIDNAPPING,
    CrimeClass.ROBBERY,
    CrimeClass.RAPE,
    CrimeClass.POISONING,
    CrimeClass.GRIEVOUS_INJURY,
)
THEFT = (
    CrimeClass.BURGLARY,
    CrimeClass.EBIKE_THEFT,
    CrimeClass.VEHICLE_THEFT,
    CrimeClass.PICKPOCKETING,
    CrimeClass.OTHER_THEFT,
)
TWO_ROBBERIES = (CrimeClass.ROBBERY, CrimeClass.SNATCHING)  # 两抢
CRIME_GROUPS = {
    "serious_violent": (_("the eight serious violent crimes"), SERIOUS_VIOLENT),
    "theft": (_("theft"), THEFT),
    "two_robberies": (_("robbery and snatching"), TWO_ROBBERIES),
}


class FraudType(models.TextChoices):
    """The kind of a telecom or online fraud, as the anti-fraud centres count them."""

    ORDER_BRUSHING = "order_brushing", _("fake order brushing for rebates")
    INVESTMENT = "investment", _("fake investment and wealth management")
    LOAN = "loan", _("fake online loans")
    CUSTOMER_SERVICE = "customer_service", _("impersonating e-commerce or delivery customer service")
    AUTHORITIES = "authorities", _("impersonating police, prosecutors or courts")
    CREDIT = "credit", _("fake credit record repair")
    GAME_TRADING = "game_trading", _("fake game item trading")
    ROMANCE = "romance", _("online dating and romance")
    ACQUAINTANCE = "acquaintance", _("impersonating a superior or acquaintance")
    OTHER = "other", _("other fraud")


class SolveMethod(models.TextChoices):
    """How a case was solved (破案方式)."""

    VIDEO = "video", _("solved by video")
    ON_SCENE = "on_scene", _("caught on the scene")
    INVESTIGATION = "investigation", _("investigation")
    FORENSICS = "forensics", _("forensic match")
    TIP = "tip", _("tip from the public")
    OTHER = "other", _("other way")
