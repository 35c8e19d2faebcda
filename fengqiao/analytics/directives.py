"""Analysis directives (研判指令, issue 16 §6): findings of the command room pushed down as tasks.

A directive goes to one grid (a finding that concerns several grids issues one per grid, so each
grid's inbox, deadline and escalation are its own, as the kernel keeps them): issued → fed back by
the grid's people (what they did) → checked by the station and closed, or sent back to be done
again. An overdue directive climbs the ladder as events do (the kernel's sweep). The check is not
by whoever fed it back (separation of duties).
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.analytics.models import Directive, DirectiveSource, Task
from fengqiao.analytics.models import DirectiveStatus as Status
from fengqiao.core import audit, casework
from fengqiao.core.casework import Move, State, Transition, Workflow, either, holder, roles
from fengqiao.core.roles import Role
from fengqiao.core.scoping import is_under

# Who issues, checks and closes directives: the station and above.
COMMANDERS = (Role.STATION, Role.COUNTY_BUREAU, Role.CITY_COMMAND)
OPEN = (Status.ISSUED, Status.FED_BACK)
# How long the station has to check what a grid fed back.
CHECK_LIMIT = dt.timedelta(days=2)
# A directive sent back after its deadline gets at least this long again.
REDO_LIMIT = dt.timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# the workflow


def _of_the_grid(user, directive) -> bool:
    """The grid's own people (and those above it) keep the directive when it has climbed."""
    return any(is_under(directive.scope_path, p) for p in user.scope_paths())


concerned = either(holder(), _of_the_grid)
commanders = roles(*COMMANDERS)


def _feed_back(directive: Directive, move: Move) -> None:
    directive.feedback = move.note
    directive.fed_back_at = move.at
    # In time: by the deadline the directive was issued with, whatever the ladder did since.
    directive.fed_back_in_time = move.at <= directive.deadline


def _send_back(directive: Directive, move: Move) -> None:
    directive.fed_back_in_time = None
    directive.fed_back_at = None


def _deadline(directive: Directive, status: str, start: dt.datetime):
    if status == Status.ISSUED:
        return (
            max(directive.deadline, start + REDO_LIMIT) if start > directive.opened_at else directive.deadline
        )
    if status == Status.FED_BACK:
        return start + CHECK_LIMIT
    return None


def _station_path(path: str) -> str:
    return "/".join(path.split("/")[:3])


def _recipients(directive: Directive, transition: Transition | None):
    """A new or sent-back directive: the grid's workers and its district's community officer;
    fed back: the station that checks it."""
    User = get_user_model()
    if transition is not None and transition.name == "feed_back":
        return User.list_posted_at(_station_path(directive.scope_path))
    grid_path = directive.scope_path
    return User.list_posted_at(grid_path, grid_path.rsplit("/", 1)[0], directive.holder_path)


S = Status
T = Transition
TRANSITIONS = [
    T(
        "feed_back",
        gettext_lazy("report what was done"),
        (S.ISSUED,),
        S.FED_BACK,
        concerned,
        needs_note=True,
        effect=_feed_back,
    ),
    T(
        "close",
        gettext_lazy("check and close"),
        (S.FED_BACK,),
        S.CLOSED,
        commanders,
        not_by=("feed_back",),
    ),
    T(
        "send_back",
        gettext_lazy("send back"),
        (S.FED_BACK,),
        S.ISSUED,
        commanders,
        needs_note=True,
        effect=_send_back,
        not_by=("feed_back",),
    ),
]

DIRECTIVE_WORKFLOW = Workflow(
    case_type="directive",
    prefix="D",
    model=Directive,
    states=[State(s, s.label, open=s in OPEN) for s in Status],
    transitions=TRANSITIONS,
    initial=S.ISSUED,
    deadline=_deadline,
    recipients=_recipients,
)


# ---------------------------------------------------------------------------------------------
# actions

ISSUE = audit.register("directive_issue", "issued an analysis directive")


def may_issue(user) -> bool:
    return user is not None and user.is_authenticated and (user.is_superuser or user.role in COMMANDERS)


@dataclass
class Order:
    """What a directive says: the grids it concerns, what to do, by when, and why."""

    grids: list
    task: str
    title: str
    deadline: dt.datetime
    source: str = DirectiveSource.MANUAL
    instructions: str = ""
    event: object = None

    def check(self, now: dt.datetime) -> None:
        errors = {}
        if not self.grids:
            errors["grids"] = [_("Choose at least one grid.")]
        if self.task not in Task.values:
            errors["task"] = [_("Choose what to do: patrol, visit, publicity or check.")]
        if self.source not in DirectiveSource.values:
            errors["source"] = [_("Unknown source of a directive.")]
        if not (self.title or "").strip():
            errors["title"] = [_("Give the directive a title.")]
        elif len(self.title) > 200:
            errors["title"] = [_("The title is at most 200 characters.")]
        if len(self.instructions or "") > 4000:
            errors["instructions"] = [_("The instructions are at most 4,000 characters.")]
        if self.deadline is None or self.deadline <= now:
            errors["deadline"] = [_("The deadline must be in the future.")]
        if errors:
            raise ValidationError(errors)


def issue(order: Order, *, actor, at: dt.datetime | None = None) -> list[Directive]:
    """Issue a directive to each grid of the order, all or none: a station chief and above, to
    grids in their scope. Each grid's people hear of it and find it in their inbox."""
    now = at or timezone.now()
    if not may_issue(actor):
        raise PermissionDenied(_("Only a police station and above issue directives."))
    order.check(now)
    outside = [g.name for g in order.grids if not g.is_visible_to(actor)]
    if outside:
        raise PermissionDenied(_("Grids outside your area: %(grids)s.") % {"grids": "、".join(outside)})
    made = []
    with transaction.atomic():
        for grid in order.grids:
            district = grid.scope_path.rsplit("/", 1)[0]
            posted = get_user_model().list_posted_at(district)
            officer = next((u for u in posted if u.role == Role.COMMUNITY_OFFICER), None)
            directive = Directive(
                grid=grid,
                scope_path=grid.scope_path,
                holder_path=grid.scope_path,
                source=order.source,
                task=order.task,
                title=order.title.strip(),
                instructions=(order.instructions or "").strip(),
                deadline=order.deadline,
                event=order.event,
                # The grid holds it (its workers' inbox); the district's community officer is
                # addressed too, so it is in their inbox from the start, not only once it climbs.
                assignee=officer,
            )

            def record(case):
                audit.record(
                    ISSUE,
                    case,
                    actor=actor,
                    after={
                        "grid": case.grid.code,
                        "source": case.source,
                        "task": case.task,
                        "deadline": case.deadline.isoformat(),
                        "event": getattr(order.event, "number", None),
                    },
                )

            casework.open_case(
                directive, actor=actor, county=grid.scope_path.split("/")[1], at=now, record=record
            )
            made.append(directive)
    return made


def move(
    directive: Directive,
    name: str,
    *,
    actor,
    version: int | None,
    note: str = "",
    at: dt.datetime | None = None,
) -> Directive:
    """A step of the workflow, through the kernel (permission, separation of duties, audit)."""
    return casework.apply(directive, name, actor=actor, version=version, note=note, at=at)


# ---------------------------------------------------------------------------------------------
# indicators


def list_url(params: dict) -> str:
    from django.urls import reverse
    from django.utils.http import urlencode

    return f"{reverse('directive_list')}?{urlencode(params)}"


def register_indicators() -> None:
    from django.db.models import Q

    from fengqiao.core import indicators

    def count(name, label, formula, q=None, params=None):
        return indicators.Indicator(
            f"analytics.directives_{name}",
            label,
            unit=gettext_lazy("directives"),
            formula=formula,
            section="directives",
            model=Directive,
            q=q or Q(),
            params=params or {},
            list_url=list_url,
        )

    indicators.register(
        count("issued", gettext_lazy("directives issued"), gettext_lazy("Directives issued in the period.")),
        count(
            "in_time",
            gettext_lazy("directives fed back in time"),
            gettext_lazy("Directives issued in the period whose grid reported what it did by the deadline."),
            Q(fed_back_in_time=True),
            {"in_time": "1"},
        ),
        count(
            "closed",
            gettext_lazy("directives closed"),
            gettext_lazy("Directives issued in the period that the station checked and closed."),
            Q(status=Status.CLOSED),
            {"status": Status.CLOSED},
        ),
    )
