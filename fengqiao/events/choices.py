from django.db import models
from django.utils.translation import gettext_lazy as _


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
    PHONE = "phone", _("phone call")
    PORTAL = "portal", _("resident portal")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")
    DISPATCH_110 = "110", _("110 dispatch")


class Status(models.TextChoices):
    REPORTED = "reported", _("reported")
    FILED = "filed", _("filed")
    REJECTED = "rejected", _("rejected")
    DISPATCHED = "dispatched", _("dispatched")
    HANDLING = "handling", _("handling")
    REPORTED_BACK = "reported_back", _("reported back")
    CLOSED = "closed", _("closed")
    MERGED = "merged", _("merged as a duplicate")
