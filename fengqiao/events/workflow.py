"""The closed loop of GB/T 30428 as a casework workflow.

reported → filed (or rejected) → dispatched → handling → reported back → checked: pass → closed,
fail → handling again (rework). The reporter rates a closed event and may reopen it within
``FENGQIAO_REOPEN_DAYS`` days. Besides: reassign, request / approve / refuse an extension,
escalate with a reason, merge as a duplicate, re-categorise (which re-routes).
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from fengqiao.core import workcalendar
from fengqiao.core.casework import (
    Move,
    State,
    Transition,
    Workflow,
    either,
    extension_steps,
    holder,
    roles,
)
from fengqiao.core.notifications.actions import notify, text_phone
from fengqiao.events import routing
from fengqiao.events.choices import Status, public_status_label
from fengqiao.events.inputs import MergeInput, RateInput, ReassignInput, RecategoriseInput, ReplyInput
from fengqiao.events.models import Category, Event

OPEN = (Status.REPORTED, Status.FILED, Status.DISPATCHED, Status.HANDLING, Status.REPORTED_BACK)
BEFORE_HANDLING = (Status.REPORTED, Status.FILED, Status.DISPATCHED)
COMMANDERS = ("station", "county_bureau", "city_command")


def reopen_days() -> int:
    return int(getattr(settings, "FENGQIAO_REOPEN_DAYS", 7))


def reporter(user, event) -> bool:
    return event.reporter_id is not None and event.reporter_id == user.pk


staff = holder()  # the assignee and anyone posted at or above the holder


# ---------------------------------------------------------------------------------------------
# effects: what a transition changes beyond the status


def _reassign(event: Event, move: Move) -> None:
    """Give the event to another grid or unit (by path) and/or another person, within the mover's
    reach. A new holder without a person leaves it to the holder's inbox."""
    path = move.data.get("holder_path")
    moved = bool(path) and path != event.holder_path
    if moved:
        event.holder_path = routing.check_holder(path, move.actor)
    user_id = move.data.get("assignee")
    if user_id:
        event.assignee = routing.check_assignee(user_id, event.holder_path)
    elif moved:
        event.assignee = None


def _reply(event: Event, move: Move) -> None:
    """Keep the reply to the reporter the step was given (a step without one keeps the last)."""
    reply = (move.data.get("reply") or "").strip()
    if reply:
        event.reply = reply


def _rework(event: Event, move: Move) -> None:
    event.rework_count += 1


def _by_reporter(event: Event, move: Move) -> None:
    """A rating or reopening is the reporter's: its audit entry says so, and how they proved it
    (``events.actions.move_by_tracking_code`` asks the phone's last digits of anyone else)."""
    if move.actor is not None:
        proof = "account"
    else:
        proof = "tracking code and phone digits" if event.reporter_phone else "tracking code"
    move.after.update({"by": "reporter", "proof": proof})


def _rate(event: Event, move: Move) -> None:
    _by_reporter(event, move)
    event.rating = move.data["rating"]
    event.rated_at = move.at


def _reopen(event: Event, move: Move) -> None:
    _by_reporter(event, move)
    if event.closed_at is None or move.at - event.closed_at > dt.timedelta(days=reopen_days()):
        raise ValidationError(
            {
                "transition": [
                    _("An event can be reopened within %(days)s days of closing.") % {"days": reopen_days()}
                ]
            }
        )
    event.reopen_count += 1
    event.rating = event.rated_at = None


def _escalate(event: Event, move: Move) -> None:
    if "/" not in event.holder_path:
        raise ValidationError(
            {"transition": [_("The city bureau holds it already: there is no higher level.")]}
        )
    event.holder_path = event.holder_path.rsplit("/", 1)[0]
    event.level += 1


def _merge(event: Event, move: Move) -> None:
    number = move.data["into"].strip()
    original = (
        Event.objects.unscoped(
            reason="events: the original of a merge is checked against the mover's scope below"
        )
        .filter(number=number)
        .first()
    )
    if original is None or not original.is_visible_to(move.actor):
        raise ValidationError({"into": [_("No event %(number)s in your area.") % {"number": number}]})
    if original.pk == event.pk or original.status not in OPEN or original.duplicate_of_id:
        raise ValidationError({"into": [_("Merge into another event that is still open.")]})
    event.duplicate_of = original


def _recategorise(event: Event, move: Move) -> None:
    category = Category.objects.get(code=move.data["category"])  # an active one: the input's choices
    event.category, event.kind = category, category.kind
    event.holder_path = routing.holder_for(category, event.grid)
    event.assignee = None
    event.level = 0


# ---------------------------------------------------------------------------------------------


def _deadline(event: Event, status: str, start: dt.datetime):
    hours = event.category.limit_hours(status)
    if hours is None:
        return None
    return workcalendar.deadline(start, hours, working=not event.category.clock_hours)


def _recipients(event: Event, transition: Transition | None):
    """The staff told of a move in the staff's words; reporters hear in theirs (``_tell``)."""
    User = get_user_model()
    if transition is None:  # a new event: the grid's workers and the district's community officer
        paths = [event.holder_path]
        if event.holder_path == event.grid.scope_path:
            paths.append(event.grid.scope_path.rsplit("/", 1)[0])
        return User.list_posted_at(*paths)
    users = {u.pk: u for u in User.list_posted_at(event.holder_path)}
    if event.assignee is not None:
        users[event.assignee.pk] = event.assignee
    reporters = {event.reporter_id} | set(_followers(event).values_list("reporter_id", flat=True))
    return [u for u in users.values() if u.pk not in reporters]


def _followers(event: Event):
    """The events merged into ``event``: their reporters follow it."""
    duplicates = Event.objects.unscoped(reason="events: a duplicate's reporter follows the original")
    return duplicates.filter(duplicate_of=event)


DONE = (Status.CLOSED, Status.REJECTED)


def _tell(event: Event, transition: Transition, from_status: str, actor) -> None:
    """The reporter hears of a new status in their own words: in the app when they reported with
    an account, and by SMS to the phone they gave once the event is closed or not taken up, with
    the reply and the tracking page's link. A duplicate's reporter hears of the original's."""
    if event.status == from_status or transition.public:  # rating and reopening are their own
        return
    status = public_status_label(event.status)
    for followed in [event, *_followers(event).select_related("reporter")]:
        title = _("Your report: %(status)s") % {"status": status}
        if followed.pk != event.pk:
            title = _("The report yours was joined with: %(status)s") % {"status": status}
        message = {
            "kind": "event_reporter",
            "title": title,
            "body": event.reply if event.status in DONE else "",
            "link": reverse("portal_track_detail", args=[followed.tracking_code]),
            "scope_path": event.scope_path,
        }
        if followed.reporter is not None:
            if actor is None or followed.reporter.pk != actor.pk:
                notify([followed.reporter], **message)  # their account's phone hears of it too
        elif event.status in DONE and followed.reporter_phone:
            text_phone(followed.reporter_phone, **message)


S = Status
STATES = [State(status, status.label, open=status in OPEN) for status in Status]

T = Transition
TRANSITIONS = [
    T("file", pgettext_lazy("event step", "file"), (S.REPORTED,), S.FILED, staff),  # 立案, not a document
    T(
        "reject",
        gettext_lazy("reject"),
        (S.REPORTED,),
        S.REJECTED,
        staff,
        needs_note=True,
        effect=_reply,
        input=ReplyInput,
    ),
    T(
        "dispatch",
        gettext_lazy("dispatch"),
        (S.FILED,),
        S.DISPATCHED,
        staff,
        effect=_reassign,
        input=ReassignInput,
    ),
    T("accept", gettext_lazy("start handling"), (S.DISPATCHED,), S.HANDLING, staff),
    T(
        "report_back",
        gettext_lazy("report back"),
        (S.HANDLING,),
        S.REPORTED_BACK,
        staff,
        needs_note=True,
        effect=_reply,
        input=ReplyInput,
    ),
    # The check is someone else's: not whoever reported the work back.
    T(
        "pass",
        gettext_lazy("pass the check"),
        (S.REPORTED_BACK,),
        S.CLOSED,
        staff,
        effect=_reply,
        input=ReplyInput,
        not_by=("report_back",),
    ),
    T(
        "rework",
        gettext_lazy("send back for rework"),
        (S.REPORTED_BACK,),
        S.HANDLING,
        staff,
        needs_note=True,
        effect=_rework,
    ),
    T("rate", gettext_lazy("rate"), (S.CLOSED,), None, reporter, public=True, effect=_rate, input=RateInput),
    T(
        "reopen",
        gettext_lazy("reopen"),
        (S.CLOSED,),
        S.HANDLING,
        reporter,
        needs_note=True,
        public=True,
        effect=_reopen,
    ),
    T(
        "reassign",
        gettext_lazy("reassign"),
        OPEN,
        None,
        staff,
        effect=_reassign,
        input=ReassignInput,
        restarts_clock=False,
    ),
    *extension_steps(
        OPEN,
        allowed=staff,
        asks="hours",
        pending="extension_hours",
        unit=dt.timedelta(hours=1),
        most=24 * 30,
        label=gettext_lazy("Extra hours"),
    ),
    T(
        "escalate",
        gettext_lazy("escalate"),
        OPEN,
        None,
        staff,
        needs_note=True,
        effect=_escalate,
        restarts_clock=True,
    ),
    T(
        "merge",
        gettext_lazy("merge as a duplicate"),
        BEFORE_HANDLING,
        S.MERGED,
        staff,
        needs_note=False,
        effect=_merge,
        input=MergeInput,
    ),
    T(
        "recategorise",
        gettext_lazy("change the category"),
        BEFORE_HANDLING,
        None,
        either(staff, roles(*COMMANDERS)),
        effect=_recategorise,
        input=RecategoriseInput,
        restarts_clock=True,
    ),
]

EVENT_WORKFLOW = Workflow(
    case_type="event",
    prefix="E",
    model=Event,
    states=STATES,
    transitions=TRANSITIONS,
    initial=S.REPORTED,
    deadline=_deadline,
    recipients=_recipients,
    tell=_tell,
    working_hours=Q(category__in=Category.objects.filter(clock_hours=False)),
)
