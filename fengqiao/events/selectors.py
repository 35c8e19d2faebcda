"""Reads of events, always through the user's scope, and the one filter vocabulary that the list
page, the API and every indicator's link share (so a figure links to exactly its events)."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch, Q, Value
from django.db.models.functions import Length, Replace
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core.params import ParamFilter
from fengqiao.core.scoping import get_visible_or_404
from fengqiao.events.choices import (
    CRIME_GROUPS,
    Channel,
    CrimeClass,
    EventKind,
    FraudType,
    Offence,
    SolveMethod,
    Status,
)
from fengqiao.events.models import Event
from fengqiao.events.workflow import OPEN
from fengqiao.geo.models import Grid

UNSCOPED_OWN_REPORTS = "events: a resident's own reports, whatever grid they are in"
UNSCOPED_EVENT_GRIDS = "events: the grid of an event the user sees (as a join would read it)"

# Depth of a holder's path: 5 = a grid, 4 = a police district (community), 3 = a station, ...
HOLDER_DEPTH = Length("holder_path") - Length(Replace("holder_path", Value("/"), Value(""))) + 1
GRID_DEPTH, COMMUNITY_DEPTH = 5, 4
# Filed: taken in and not turned away (rejected) or folded into another (merged).
FILED = (Status.FILED, Status.DISPATCHED, Status.HANDLING, Status.REPORTED_BACK, Status.CLOSED)
# Handled: reported back at least once. A rework or a reopening means it was; nothing else
# leads out of "reported back" or "closed".
HANDLED_Q = (
    Q(status__in=(Status.REPORTED_BACK, Status.CLOSED)) | Q(rework_count__gt=0) | Q(reopen_count__gt=0)
)


def events_for(user):
    # Prefetched, not joined: a page's rows then come straight off the (scope, opened) index,
    # where joins made SQLite carry every row of the scope through the sort. A list never draws
    # a grid's outline: it is left in the database.
    grids = Prefetch("grid", queryset=Grid.objects.unscoped(reason=UNSCOPED_EVENT_GRIDS).defer("geometry"))
    return Event.objects.visible_to(user).prefetch_related("category", grids, "assignee")


def event_for(user, number: str) -> Event:
    return get_visible_or_404(
        Event.objects.select_related("category", "grid", "assignee", "address"), user, number=number
    )


def own_reports(user):
    """What a resident reported with their account: they follow it without seeing the grid's other events."""
    if user is None or not user.is_authenticated:
        return Event.objects.none()
    return (
        Event.objects.unscoped(reason=UNSCOPED_OWN_REPORTS).filter(reporter=user).select_related("category")
    )


@dataclass
class EventFilter(ParamFilter):
    """Query-string filters: ``?status=open&kind=help&unit=640300/640302&opened_from=2026-01-01``."""

    status: str = ""  # a status, or "open" / "done"
    kind: str = ""
    category: str = ""  # a code: the category and everything under it
    channel: str = ""
    unit: str = ""  # a tree path: events that happened at or under it
    grid: str = ""  # a grid code
    holder: str = ""  # a tree path: events held exactly there
    opened_from: str = ""
    opened_to: str = ""  # inclusive dates
    closed_from: str = ""
    closed_to: str = ""
    overdue: str = ""  # "1": open and past the limit
    escalated: str = ""  # "1": climbed at least one rung
    reworked: str = ""  # "1": sent back at least once
    reopened: str = ""  # "1": reopened by the reporter
    filed: str = ""  # "1": filed (not awaiting filing, rejected or merged)
    handled: str = ""  # "1": reported back at least once
    on_time: str = ""  # "1" / "0": closed without / after missing a limit
    within: str = ""  # "grid" / "community": closed while held by a grid / a grid or district
    offence: str = ""  # "criminal" / "administrative"
    crime: str = ""  # a crime class, or a group of them (serious_violent, theft, two_robberies)
    fraud_type: str = ""
    solved: str = ""  # "1" / "0": solved or not yet
    solved_by: str = ""  # how it was solved (video, ...)
    q: str = ""  # number or words of the title

    def apply(self, qs):
        """Narrow a scoped queryset. Unknown values are errors naming the parameter."""
        if self.status == "open":
            qs = qs.filter(status__in=OPEN)
        elif self.status == "done":
            qs = qs.exclude(status__in=OPEN)
        elif self.status:
            qs = qs.filter(status=self._choice("status", Status.values))
        if self.kind:
            qs = qs.filter(kind=self._choice("kind", EventKind.values))
        if self.channel:
            qs = qs.filter(channel=self._choice("channel", Channel.values))
        if self.category:
            qs = qs.filter(category__code__startswith=self.category)
        if self.unit:
            qs = self._under(qs, self.unit)
        if self.grid:
            qs = qs.filter(grid__code=self.grid)
        if self.holder:
            qs = qs.filter(holder_path=self.holder)
        qs = self._between(qs, "opened_at", "opened_from", "opened_to")
        qs = self._between(qs, "closed_at", "closed_from", "closed_to")
        if self.overdue == "1":
            qs = qs.filter(status__in=OPEN, due_at__lte=timezone.now())
        if self.escalated == "1":
            qs = qs.filter(level__gt=0)
        if self.reworked == "1":
            qs = qs.filter(rework_count__gt=0)
        if self.reopened == "1":
            qs = qs.filter(reopen_count__gt=0)
        if self.filed == "1":
            qs = qs.filter(status__in=FILED)
        if self.handled == "1":
            qs = qs.filter(HANDLED_Q)
        if self.on_time in ("0", "1"):
            qs = qs.filter(status=Status.CLOSED)
            qs = qs.filter(missed_deadlines=0) if self.on_time == "1" else qs.filter(missed_deadlines__gt=0)
        if self.within:
            depth = {"grid": GRID_DEPTH, "community": COMMUNITY_DEPTH}.get(self.within)
            if depth is None:
                raise ValidationError({"within": [_("Say grid or community.")]})
            qs = qs.filter(status=Status.CLOSED).alias(depth=HOLDER_DEPTH).filter(depth__gte=depth)
        qs = self._classified(qs)
        if self.q:
            qs = qs.filter(Q(number__icontains=self.q) | Q(title__icontains=self.q))
        return qs

    def _classified(self, qs):
        if self.offence:
            qs = qs.filter(offence=self._choice("offence", Offence.values))
        if self.crime in CRIME_GROUPS:
            qs = qs.filter(crime_class__in=CRIME_GROUPS[self.crime][1])
        elif self.crime:
            qs = qs.filter(crime_class=self._choice("crime", CrimeClass.values))
        if self.fraud_type:
            qs = qs.filter(fraud_type=self._choice("fraud_type", FraudType.values))
        if self.solved in ("0", "1"):
            qs = qs.filter(solved_at__isnull=self.solved == "0")
        if self.solved_by:
            qs = qs.filter(solved_by=self._choice("solved_by", SolveMethod.values))
        return qs


def board(user):
    """The command room's board: open events past their limit or escalated, worst first."""
    now = timezone.now()
    return (
        events_for(user)
        .filter(status__in=OPEN)
        .filter(Q(due_at__lte=now) | Q(level__gt=0))
        .order_by(F("level").desc(), F("due_at").asc(nulls_last=True))
    )
