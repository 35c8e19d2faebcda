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
